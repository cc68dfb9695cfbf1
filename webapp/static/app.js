// ReformWatch review app: small progressive enhancements (no inline scripts; CSP script-src 'self').
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
      });
    }
    var bulkAll = document.getElementById("bulk-all");
    if (bulkAll) {
      bulkAll.addEventListener("click", function (ev) {
        var total = document.getElementById("total-count");
        var msg = "Xác nhận tất cả bài chưa duyệt theo bộ lọc hiện tại" + (total ? " (" + total.textContent + " bài phù hợp)" : "") + "?";
        if (!window.confirm(msg)) { ev.preventDefault(); }
      });
    }
    // filters: changing a select applies it at once
    var filters = document.getElementById("filters");
    if (filters) {
      filters.querySelectorAll("select").forEach(function (sel) {
        sel.addEventListener("change", function () { filters.requestSubmit ? filters.requestSubmit() : filters.submit(); });
      });
    }
  });
})();

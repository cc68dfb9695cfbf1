"""Near-duplicate detection (storage/dedup.py): MinHash, LSH bands in the database."""
import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from storage import dedup
from storage.articles import ArticleStore
from storage.models import Article, MinhashBand

UTC = dt.timezone.utc
PARAS = [
    "Sáng 26/11, Ủy ban nhân dân tỉnh Nghệ An tổ chức hội nghị sơ kết một năm vận hành trung tâm phục vụ hành chính công "
    "cấp tỉnh sau khi sắp xếp lại bộ máy theo mô hình chính quyền địa phương hai cấp.",
    "Theo báo cáo, trong mười một tháng đầu năm trung tâm đã tiếp nhận hơn 182 nghìn hồ sơ, trong đó 97 phần trăm được "
    "giải quyết đúng hạn và trước hạn; tỷ lệ hồ sơ nộp trực tuyến toàn trình đạt 68 phần trăm.",
    "Phó Chủ tịch Ủy ban nhân dân tỉnh đề nghị các sở, ngành tiếp tục rà soát, cắt giảm thành phần hồ sơ, số hóa kết quả "
    "giải quyết thủ tục hành chính và xử lý nghiêm cán bộ gây phiền hà, sách nhiễu người dân, doanh nghiệp.",
    "Dịp này, tỉnh công bố bộ chỉ số đánh giá mức độ hài lòng của người dân đối với sự phục vụ của cơ quan hành chính, "
    "được cập nhật hằng quý trên cổng dịch vụ công của tỉnh.",
]
STORY = " ".join(PARAS)
# same kind of event, same boilerplate opening, another province's own report: not a copy
NEAR_MISS = " ".join([
    PARAS[0].replace("Nghệ An", "Hà Tĩnh"),
    "Năm nay trung tâm nhận khoảng 95 nghìn hồ sơ; lãnh đạo tỉnh thừa nhận vẫn còn tình trạng trễ hạn ở lĩnh vực "
    "đất đai và xây dựng, nhất là tại các xã mới sáp nhập.",
    "Các đại biểu kiến nghị bổ sung biên chế cho bộ phận một cửa cấp xã, nâng cấp đường truyền và tập huấn kỹ năng "
    "số cho cán bộ tiếp nhận hồ sơ.",
    PARAS[3].replace("của tỉnh", "của tỉnh Hà Tĩnh"),
])
OTHER = ("Đội tuyển bóng đá quốc gia đã có buổi tập đầu tiên tại sân vận động Mỹ Đình để chuẩn bị cho trận đấu "
         "vòng loại. Huấn luyện viên trưởng cho biết toàn đội đang có tinh thần tốt và sẵn sàng thi đấu. " * 3)


def test_band_keys_are_signed_64_bit_and_carry_the_band_index():
    keys = dedup.band_keys(dedup.signature(STORY))
    assert len(keys) == dedup.BANDS and len(set(keys)) == dedup.BANDS
    assert all(0 <= k < 2**63 for k in keys)
    assert [k >> 56 for k in keys] == list(range(dedup.BANDS))


def test_similarity_separates_light_edits_from_different_stories():
    light_edits = [
        STORY + " Bài viết được đăng lại từ báo đối tác.",
        "(Theo Báo Mẫu) " + STORY,
        " ".join(PARAS[:3]) + " " + PARAS[3].replace("hằng quý", "mỗi quý"),
        STORY.replace("Sáng 26/11", "Sáng ngày 26/11"),
    ]
    for edited in light_edits:
        assert dedup.pair_similarity(STORY, edited) >= dedup.THRESHOLD, edited[:60]
    assert dedup.pair_similarity(STORY, OTHER) < 0.2
    assert dedup.exact_jaccard(STORY, NEAR_MISS) < dedup.THRESHOLD
    assert dedup.pair_similarity(STORY, NEAR_MISS) < dedup.THRESHOLD
    # the diacritic-folded text is what is compared: an NFD copy is the same story
    import unicodedata
    assert dedup.pair_similarity(STORY, unicodedata.normalize("NFD", STORY)) == 1.0
    assert dedup.signature("") is None


def test_generated_demo_stories_are_not_confused():
    """Demo articles come from shared templates: the closest different stories stay below the threshold."""
    from crawler.demo.content import generate

    texts = [" ".join(a.paragraphs) for a in generate(120, seed=11)]
    sigs = [dedup.signature(t) for t in texts]
    worst = max(dedup.similarity(a, b) for a, b in itertools.combinations(sigs, 2))
    assert worst < dedup.THRESHOLD


def _item(outlet, url, text, published):
    return dict(outlet_id=outlet, url=url, canonical_url=url, title="Tin", published=published, author=None,
                text=text, html=text.encode(), http_status=200, headers={}, fetched_at=dt.datetime.now(UTC), final_url=url)


@pytest.fixture
def store(db_url):
    s = ArticleStore(db_url)
    s.upsert_outlets([{"id": o, "name": o, "domain": f"{o}.vn", "kind": "national"} for o in ("a", "b", "c", "d")])
    yield s
    s.close()


def test_syndicated_copies_are_linked_to_the_earliest(store):
    t0 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert store.save(_item("a", "https://a.vn/1", STORY, t0)) == "new"
    assert store.save(_item("b", "https://b.vn/1", "(Theo Báo A) " + STORY, t0 + dt.timedelta(hours=2))) == "duplicate"
    assert store.save(_item("c", "https://c.vn/1", OTHER, t0)) == "new"
    assert store.save(_item("c", "https://c.vn/2", NEAR_MISS, t0)) == "new"
    # an even earlier copy stored later becomes the original of the whole group
    assert store.save(_item("d", "https://d.vn/1", STORY + " Nguồn: TTXVN.", t0 - dt.timedelta(hours=1))) == "new"
    store.commit()
    rows = {a.canonical_url: a for a in store.session.scalars(select(Article))}
    original = rows["https://d.vn/1"]
    assert original.duplicate_of_id is None
    assert rows["https://a.vn/1"].duplicate_of_id == original.id
    assert rows["https://b.vn/1"].duplicate_of_id == original.id
    assert 0.7 <= rows["https://b.vn/1"].duplicate_similarity <= 1.0
    assert rows["https://c.vn/1"].duplicate_of_id is None and rows["https://c.vn/2"].duplicate_of_id is None
    n_bands = store.session.scalar(select(func.count()).select_from(MinhashBand))
    assert n_bands == dedup.BANDS * 5


def test_candidates_found_from_another_process_view(db_url):
    """The index lives in the database: a second store (another session/process) finds the first one's story."""
    one = ArticleStore(db_url)
    one.upsert_outlets([{"id": o, "name": o, "domain": f"{o}.vn", "kind": "local"} for o in ("a", "b")])
    one.save(_item("a", "https://a.vn/x", STORY, dt.datetime(2026, 11, 1, tzinfo=UTC)))
    one.close()
    two = ArticleStore(db_url)
    assert two.save(_item("b", "https://b.vn/x", STORY + " (Theo báo A)", dt.datetime(2026, 11, 2, tzinfo=UTC))) == "duplicate"
    two.close()


def test_fast_fold_equals_storage_fold():
    from crawler.demo.content import generate
    from storage.search import fold

    samples = [STORY, NEAR_MISS, OTHER, "ĐÀ NẴNG\u00a0 “Thủy”\tthuỷ — Hoà…", "İstanbul ǅ", "日本語 và tiếng Việt", ""]
    samples += [" ".join(a.paragraphs) + " " + a.title for a in generate(40, seed=3)]
    import unicodedata
    samples += [unicodedata.normalize("NFD", s) for s in samples]
    for s in samples:
        assert dedup.fast_fold(s) == fold(s), s[:40]


def test_fast_fold_on_the_shared_corpus(shared_dir):
    import json

    from storage.search import fold

    with open(shared_dir / "corpus" / "articles.jsonl", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            rec = json.loads(line)
            text = " ".join(str(rec.get(k) or "") for k in ("title", "text"))
            assert dedup.fast_fold(text) == fold(text), rec.get("id")
            if n > 200:
                break

"""Phrase lists for synthetic demo articles (Vietnamese-like, fictional, assembled at random).

``story(rng, home_province)`` returns a :class:`Story` with a title, lead, 4–5 paragraphs and
the labels the story was built to carry. All randomness comes from the caller's ``rng``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

PROVINCES = ("Hà Nội", "Thành phố Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế", "Quảng Ninh",
             "Nghệ An", "Thanh Hóa", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh",
             "Hưng Yên", "Ninh Bình", "Hà Tĩnh", "Quảng Trị", "Quảng Ngãi", "Gia Lai", "Khánh Hòa",
             "Lâm Đồng", "Đắk Lắk", "Đồng Nai", "Tây Ninh", "Vĩnh Long", "Đồng Tháp", "An Giang", "Cà Mau",
             "Lạng Sơn", "Cao Bằng", "Điện Biên", "Lai Châu", "Sơn La")
COMMUNES = ("Tân Phú", "Hòa Bình", "Đông Hưng", "An Thạnh", "Phú Mỹ", "Thanh Xuân", "Bình An", "Long Hải",
            "Hưng Lộc", "Quang Trung", "Tân Lập", "Minh Khai", "Vĩnh Phúc", "Hòa Khánh", "Yên Thế",
            "Đồng Tâm", "Tiên Phong", "Hải Châu", "Nam Sơn", "Bắc Hà", "Tam Kỳ", "Phước Long", "Cẩm Thành")
FIELDS = ("đất đai", "hộ tịch", "đăng ký kinh doanh", "xây dựng", "tư pháp", "lao động", "bảo trợ xã hội",
          "giao thông", "tài nguyên môi trường", "đầu tư", "y tế", "giáo dục", "nông nghiệp", "thuế")
MINISTRIES = ("Bộ Nội vụ", "Bộ Tư pháp", "Văn phòng Chính phủ", "Bộ Tài chính", "Bộ Công an",
              "Bộ Khoa học và Công nghệ", "Bộ Xây dựng", "Bộ Y tế")
AUTHORS = ("Minh Anh", "Thu Hà", "Quốc Huy", "Ngọc Lan", "Đức Thắng", "Hải Yến", "Văn Long", "Bảo Ngọc",
           "Thanh Tùng", "Phương Thảo", "Hoàng Nam", "Kim Oanh", "Trọng Nghĩa", "Diệu Linh")

# theme -> tone -> title templates
TITLES = {
    "procedures": {
        "positive": ["{place} cắt giảm {c} thủ tục hành chính lĩnh vực {field}",
                     "Trung tâm phục vụ hành chính công {place} trả đúng hạn {pct}% hồ sơ tháng {m}",
                     "Phường {commune} ({place}) giải quyết hồ sơ {field} trong {d} ngày"],
        "neutral": ["{place} công bố {c} thủ tục hành chính mới về {field}",
                    "{place} rà soát {c} thủ tục {field} trong quý {q}"],
        "negative": ["{place} còn {n} hồ sơ {field} trễ hạn trong tháng {m}",
                     "Người dân xã {commune} ({place}) phản ánh hồ sơ {field} bị chậm {d} ngày"],
    },
    "digital_government": {
        "positive": ["{place}: {pct}% hồ sơ {field} được nộp trực tuyến trong tháng {m}",
                     "{place} số hóa {n} nghìn hồ sơ, kết quả giải quyết thủ tục {field}"],
        "neutral": ["{place} triển khai {c} dịch vụ công trực tuyến toàn trình lĩnh vực {field}",
                    "{ministry} hướng dẫn kết nối cơ sở dữ liệu {field} với Cổng Dịch vụ công quốc gia đợt {q}"],
        "negative": ["Dịch vụ công trực tuyến lĩnh vực {field} ở {place} vẫn vắng hồ sơ, chỉ đạt {pct}%",
                     "Hệ thống thông tin giải quyết thủ tục {field} của {place} gián đoạn {d} ngày"],
    },
    "apparatus": {
        "positive": ["{place} hoàn thành sắp xếp {c} đơn vị sự nghiệp thuộc lĩnh vực {field}",
                     "Chính quyền hai cấp ở xã {commune} ({place}) vận hành thông suốt sau {d} tuần"],
        "neutral": ["{place} lấy ý kiến đề án sắp xếp {c} phòng chuyên môn lĩnh vực {field}",
                    "{ministry} hướng dẫn phân cấp thẩm quyền lĩnh vực {field} cho địa phương, đợt {q}"],
        "negative": ["Xã {commune} ({place}) lúng túng khi tiếp nhận {n} nhiệm vụ {field} được phân cấp",
                     "{place}: trụ sở dôi dư sau sắp xếp bỏ trống, {c} cơ sở chưa có phương án"],
    },
    "civil_service": {
        "positive": ["{place} tuyển dụng {c} công chức cấp xã qua thi tuyển trực tuyến",
                     "{place} khen thưởng {c} cán bộ một cửa tận tụy lĩnh vực {field}"],
        "neutral": ["{place} phê duyệt {c} vị trí việc làm trong các cơ quan {field}",
                    "{ministry} lấy ý kiến quy định đánh giá công chức theo kết quả, đợt {q}"],
        "negative": ["{place} kỷ luật {k} công chức gây phiền hà trong giải quyết hồ sơ {field}",
                     "Cán bộ xã {commune} ({place}) bị phản ánh nhũng nhiễu hồ sơ {field}, {n} đơn thư"],
    },
    "public_finance": {
        "positive": ["{place} giải ngân {pct}% vốn đầu tư công sau {m} tháng",
                     "{c} đơn vị sự nghiệp ở {place} tự chủ chi thường xuyên lĩnh vực {field}"],
        "neutral": ["{place} giao dự toán ngân sách {n} tỷ đồng cho lĩnh vực {field}",
                    "{ministry} lấy ý kiến cơ chế tự chủ tài chính đơn vị sự nghiệp {field}, đợt {q}"],
        "negative": ["{place} giải ngân vốn đầu tư công mới đạt {pct}% sau {m} tháng",
                     "{c} dự án {field} ở {place} chậm giải ngân, bị điều chuyển vốn"],
    },
    "institutional": {
        "positive": ["{place} bãi bỏ {c} văn bản quy phạm pháp luật chồng chéo về {field}",
                     "{ministry} hoàn thành rà soát {c} văn bản vướng mắc lĩnh vực {field}"],
        "neutral": ["{ministry} lấy ý kiến dự thảo nghị định về {field}, lần {q}",
                    "{place} ban hành kế hoạch xây dựng {c} văn bản quy phạm pháp luật năm {y}"],
        "negative": ["{place} còn {c} văn bản quy định chi tiết về {field} chậm ban hành",
                     "Vướng mắc pháp lý khiến {n} hồ sơ {field} ở {place} chưa được giải quyết"],
    },
    "direction": {
        "positive": ["{place} tăng {k} bậc Chỉ số cải cách hành chính, xếp thứ {rank}",
                     "{place} đạt {pct}% kế hoạch cải cách hành chính {m} tháng"],
        "neutral": ["{place} kiểm tra công tác cải cách hành chính tại {c} xã, phường đợt {q}",
                    "Ban Chỉ đạo cải cách hành chính {place} họp phiên thứ {k}"],
        "negative": ["{place} giảm {k} bậc Chỉ số hài lòng SIPAS, xếp thứ {rank}",
                     "Kiểm tra cải cách hành chính ở {place}: {c} cơ quan chưa đạt yêu cầu"],
    },
    "ordinary": {
        "positive": ["Đội bóng {place} thắng {w}-{g} ở vòng {q} giải hạng Nhất",
                     "Lễ hội văn hóa xã {commune} ({place}) đón {n} nghìn lượt khách"],
        "neutral": ["{place} dự báo mưa {n} mm trong {d} ngày tới",
                    "Giá lúa tại {place} đi ngang, quanh {price} nghìn đồng mỗi tạ"],
        "negative": ["Cháy xưởng gỗ ở xã {commune} ({place}), thiệt hại {n} triệu đồng",
                     "Tai nạn trên quốc lộ qua {place}, {d} người bị thương"],
    },
}

SENTENCES = {
    "procedures": [
        "Bộ phận một cửa của {place} tiếp nhận trung bình {n} hồ sơ mỗi ngày trong lĩnh vực {field}.",
        "Thời gian giải quyết thủ tục {field} được rút ngắn từ {d2} ngày xuống còn {d} ngày.",
        "Người dân có thể theo dõi tiến độ hồ sơ bằng mã tra cứu in trên giấy biên nhận.",
        "Cán bộ tiếp nhận phải hướng dẫn một lần, đầy đủ thành phần hồ sơ cho người nộp.",
        "Các hồ sơ quá hạn phải có văn bản xin lỗi gửi tổ chức, công dân theo quy định.",
        "Tỷ lệ hồ sơ giải quyết đúng hạn trong kỳ đạt {pct}%, {trend} so với cùng kỳ.",
    ],
    "digital_government": [
        "Hệ thống được kết nối với Cổng Dịch vụ công quốc gia và cơ sở dữ liệu quốc gia về dân cư.",
        "Người dân đăng nhập bằng tài khoản định danh điện tử mức độ hai để nộp hồ sơ {field}.",
        "Kết quả giải quyết được trả dưới dạng bản điện tử có chữ ký số của cơ quan.",
        "Trong tháng {m}, toàn {place} có {n} hồ sơ được thanh toán phí trực tuyến.",
        "Tổ công nghệ số cộng đồng ở các xã hỗ trợ người cao tuổi thao tác trên điện thoại.",
        "Đơn vị chủ trì cho biết đã số hóa {pct}% hồ sơ còn hiệu lực của lĩnh vực {field}.",
    ],
    "apparatus": [
        "Sau sắp xếp, đầu mối các phòng chuyên môn giảm từ {d2} xuống còn {d}.",
        "Việc phân cấp giúp xã chủ động giải quyết các việc về {field} mà không phải chờ cấp trên.",
        "Một số trụ sở dôi dư được chuyển sang làm nhà văn hóa hoặc điểm trường.",
        "Chính quyền địa phương hai cấp đã ban hành quy chế làm việc mới cho các phòng, ban.",
        "Sở Nội vụ {place} được giao theo dõi, tổng hợp vướng mắc sau sắp xếp để báo cáo.",
        "Cán bộ dôi dư được bố trí lại theo vị trí việc làm hoặc hưởng chính sách nghỉ việc.",
    ],
    "civil_service": [
        "Kỳ tuyển dụng năm nay có {n} thí sinh đăng ký cho {d} chỉ tiêu.",
        "Công chức được đánh giá hằng tháng dựa trên số hồ sơ xử lý đúng hạn.",
        "Đường dây nóng tiếp nhận phản ánh về thái độ phục vụ của cán bộ được công khai tại trụ sở.",
        "Người đứng đầu cơ quan chịu trách nhiệm nếu để xảy ra nhũng nhiễu, gây phiền hà.",
        "Việc tinh giản biên chế được thực hiện gắn với rà soát vị trí việc làm ở từng đơn vị.",
        "Trong kỳ có {d} trường hợp bị nhắc nhở vì chậm trả lời kiến nghị của người dân.",
    ],
    "public_finance": [
        "Đến cuối tháng {m}, {place} đã giải ngân {n} tỷ đồng vốn đầu tư công.",
        "Các chủ đầu tư chậm giải ngân sẽ bị điều chuyển vốn sang dự án khác.",
        "Đơn vị sự nghiệp tự chủ được chủ động sắp xếp nhân sự và chi thu nhập tăng thêm.",
        "Tài sản công dôi dư sau sắp xếp được kiểm kê, đề xuất phương án xử lý công khai.",
        "Sở Tài chính {place} kiến nghị tháo gỡ vướng mắc về giải phóng mặt bằng ở {d} dự án.",
        "Dự toán chi thường xuyên năm {y} được giao sớm hơn {d} ngày so với năm trước.",
    ],
    "institutional": [
        "Dự thảo được đăng tải trên cổng thông tin điện tử để lấy ý kiến trong {d2} ngày.",
        "Cơ quan soạn thảo đã tiếp thu {n} ý kiến của người dân và doanh nghiệp.",
        "Việc rà soát tập trung vào các quy định chồng chéo về {field}.",
        "Sở Tư pháp {place} chủ trì thẩm định các dự thảo văn bản trước khi trình ban hành.",
        "Các văn bản hết hiệu lực được công bố danh mục và cập nhật vào cơ sở dữ liệu pháp luật.",
        "Đại diện doanh nghiệp đề nghị quy định rõ thời hạn giải quyết đối với hồ sơ {field}.",
    ],
    "direction": [
        "Kế hoạch cải cách hành chính năm {y} của {place} gồm {n} nhiệm vụ cụ thể.",
        "Đoàn kiểm tra đề nghị các đơn vị khắc phục tồn tại trước ngày {d}/{m}.",
        "Kết quả chỉ số được dùng làm căn cứ đánh giá người đứng đầu các cơ quan.",
        "Ban Chỉ đạo yêu cầu báo cáo tiến độ định kỳ hằng quý.",
        "Công tác tuyên truyền cải cách hành chính được đẩy mạnh trên sóng phát thanh cơ sở.",
        "Điểm số thành phần về thủ tục hành chính đạt {pct}%, {trend} so với năm trước.",
    ],
    "ordinary": [
        "Theo ghi nhận của phóng viên, khu vực này đông người qua lại vào cuối tuần.",
        "Lực lượng chức năng có mặt tại hiện trường và hướng dẫn người dân di chuyển an toàn.",
        "Cơ quan khí tượng khuyến cáo người dân theo dõi thông tin cập nhật trong {d} ngày tới.",
        "Ban tổ chức cho biết số người tham gia năm nay tăng khoảng {pct}%.",
        "Thương lái thu mua tại ruộng với giá {price} nghìn đồng mỗi tạ.",
        "Nguyên nhân vụ việc đang được cơ quan chức năng làm rõ.",
    ],
}

GENERIC = [
    "Lãnh đạo địa phương cho biết sẽ tiếp tục theo dõi và báo cáo kết quả vào cuối năm {y}.",
    "Đại diện đơn vị, ông {man}, cho rằng cần sự phối hợp chặt chẽ hơn giữa các cơ quan.",
    "Bà {woman}, một người dân ở xã {commune}, chia sẻ kinh nghiệm của gia đình mình.",
    "Số liệu được tổng hợp đến ngày {d}/{m} và sẽ được cập nhật trong kỳ báo cáo tới.",
    "Nhiều ý kiến đề nghị công khai kết quả định kỳ để người dân cùng giám sát.",
    "Trước đó, địa phương đã tổ chức hội nghị với sự tham gia của {n} đại biểu.",
    "Theo kế hoạch, giai đoạn tiếp theo sẽ được triển khai từ tháng {m2}.",
    "Những khó khăn còn lại chủ yếu liên quan đến nhân lực và cơ sở vật chất.",
]

LEADS = {
    "positive": "{title_sentence}, cho thấy những chuyển biến rõ nét tại {place}.",
    "neutral": "{title_sentence}, theo thông tin từ cơ quan chức năng {place}.",
    "negative": "{title_sentence}, khiến nhiều người dân và doanh nghiệp bức xúc.",
}
MEN = ("Nguyễn Văn An", "Lê Hoàng Cường", "Hoàng Minh Đức", "Đặng Quốc Khánh", "Đỗ Văn Phúc")
WOMEN = ("Trần Thị Bình", "Phạm Thu Dung", "Vũ Thị Hạnh", "Bùi Thanh Mai", "Ngô Thị Quyên")
PERSONS = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Minh Đức",
           "Vũ Thị Hạnh", "Đặng Quốc Khánh", "Bùi Thanh Mai", "Đỗ Văn Phúc", "Ngô Thị Quyên")


@dataclass
class Story:
    title: str
    lead: str
    paragraphs: list[str]
    author: str
    labels: dict
    relevant: bool


_SLOTS = {
    "n": lambda r: r.randint(3, 4800), "c": lambda r: r.randint(3, 180), "k": lambda r: r.randint(1, 15),
    "d": lambda r: r.randint(1, 28), "d2": lambda r: r.randint(29, 60), "m": lambda r: r.randint(1, 12),
    "m2": lambda r: r.randint(1, 12), "pct": lambda r: r.randint(41, 99), "q": lambda r: r.randint(1, 4),
    "g": lambda r: r.randint(0, 3), "w": lambda r: r.randint(1, 5), "price": lambda r: r.randint(600, 1200),
    "rank": lambda r: r.randint(1, 34), "man": lambda r: r.choice(MEN), "woman": lambda r: r.choice(WOMEN),
    "person": lambda r: r.choice(PERSONS), "trend": lambda r: r.choice(("tăng", "giảm", "tương đương")),
    "commune": lambda r: r.choice(COMMUNES),
}


class _Slots(dict):
    """Template values; random ones are drawn only when a template asks for them."""

    def __init__(self, fixed: dict, rng: random.Random):
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, key):
        return _SLOTS[key](self.rng)


def _fill(template: str, rng: random.Random, slots: dict) -> str:
    return template.format_map(_Slots(slots, rng))


def story(rng: random.Random, home_province: str | None = None) -> Story:
    theme = rng.choices(list(TITLES), weights=(3, 3, 2, 2, 2, 2, 2, 3))[0]
    tone = rng.choice(("positive", "neutral", "negative"))
    place = home_province if home_province and rng.random() < 0.7 else rng.choice(PROVINCES)
    slots = {"place": place, "field": rng.choice(FIELDS), "ministry": rng.choice(MINISTRIES), "y": 2026}
    template = rng.choice(TITLES[theme][tone])
    title = _fill(template, rng, slots)
    title = title[0].upper() + title[1:]
    lead = LEADS[tone].format(title_sentence=title, place=place)
    pool = SENTENCES[theme] + GENERIC
    paragraphs = []
    for _ in range(rng.randint(4, 5)):
        picked = rng.sample(pool, k=rng.randint(2, 4))
        paragraphs.append(" ".join(_fill(s, rng, slots) for s in picked))
    relevant = theme != "ordinary"
    uses_ministry = "{ministry}" in template
    labels = {"relevant": relevant, "themes": [theme] if relevant else [], "sentiment": tone,
              "provinces": [] if uses_ministry else [place],
              "ministries": [slots["ministry"]] if uses_ministry else []}
    return Story(title=title, lead=lead, paragraphs=paragraphs, author=rng.choice(AUTHORS), labels=labels,
                 relevant=relevant)

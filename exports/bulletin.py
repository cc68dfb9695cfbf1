"""The weekly reform bulletin ("Bản tin cải cách hành chính") as HTML, DOCX and, where a
PDF engine is installed, PDF.

    build_bulletin(session, start, end, outdir) -> BulletinResult

Content, from the relevant, non-duplicate articles published in [start, end]:

- an overview (counts by tone, outlets, provinces, stories flagged for follow-up);
- I. leading stories per theme (one heading per theme with coverage), ordered by how many
  outlets syndicated the story (its duplicates), then relevance score, then date;
- II. a section per province with coverage (current division), its stories;
- III. negative stories, flagged "Cần theo dõi" (follow-up), also marked where they appear.

Every story links to the original article. PDF: LibreOffice (``soffice --headless``) converts
the DOCX, else WeasyPrint the HTML; with neither, the PDF is skipped with a message.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exports.labels import SENTIMENT_LABELS, THEME_LABELS, sentiment_label, theme_label, themes_label, vn_date
from exports.records import VN_TZ, local_datetime

TITLE = "Bản tin cải cách hành chính"
FOLLOW_UP = "Cần theo dõi"
STORIES_PER_THEME = 15
STORIES_PER_PROVINCE = 10
THEME_ORDER = [t for t in THEME_LABELS if t] + [""]


@dataclass
class BulletinResult:
    html: Path
    docx: Path
    pdf: Optional[Path]
    articles: int
    messages: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.articles == 0


def period_text(start: dt.date, end: dt.date) -> str:
    y, w, d = start.isocalendar()
    if d == 1 and end == start + dt.timedelta(days=6):
        return f"Tuần {w}/{y} (từ {vn_date(start)} đến {vn_date(end)})"
    return f"Từ ngày {vn_date(start)} đến ngày {vn_date(end)}"


def file_stem(start: dt.date, end: dt.date) -> str:
    y, w, d = start.isocalendar()
    if d == 1 and end == start + dt.timedelta(days=6):
        return f"ban-tin-cchc-{y}-W{w:02d}"
    return f"ban-tin-cchc-{start.isoformat()}_{end.isoformat()}"


def _copies(session: Session, ids: list[int]) -> dict[int, int]:
    from storage.models import Article

    out: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        stmt = (select(Article.duplicate_of_id, func.count()).where(Article.duplicate_of_id.in_(chunk))
                .group_by(Article.duplicate_of_id))
        out.update({int(k): int(n) for k, n in session.execute(stmt)})
    return out


def collect(session: Session, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The bulletin's content as plain data (what the HTML and DOCX renderers read)."""
    from exports.records import stream_articles
    from storage.queries import ArticleFilter

    f = ArticleFilter(date_from=start, date_to=end, relevant=True, duplicate=False)
    articles = list(stream_articles(session, f))
    copies = _copies(session, [a.id for a in articles])

    def story(a) -> dict[str, Any]:
        published = local_datetime(a.published)
        return {
            "id": a.id, "title": a.title or a.url, "url": a.url,
            "outlet": a.outlet.name if a.outlet else (a.outlet_id or ""),
            "date": published.strftime("%d/%m/%Y") if published else "",
            "provinces": ", ".join(a.provinces_current or []), "themes": themes_label(a.themes),
            "sentiment": sentiment_label(a.sentiment), "negative": a.sentiment == "negative",
            "copies": copies.get(a.id, 0), "score": a.relevance_score or 0.0,
            "ts": a.published.timestamp() if a.published else 0.0,
        }

    stories = {a.id: story(a) for a in articles}
    rank = lambda s: (-s["copies"], -s["score"], -s["ts"], s["id"])  # noqa: E731
    by_theme: dict[str, list] = defaultdict(list)
    by_province: dict[str, list] = defaultdict(list)
    for a in articles:
        for t in dict.fromkeys(a.themes or [""]):
            by_theme[t].append(stories[a.id])
        for p in dict.fromkeys(a.provinces_current or []):
            by_province[p].append(stories[a.id])
    themes = []
    for t in THEME_ORDER:
        if by_theme.get(t):
            ranked = sorted(by_theme[t], key=rank)
            themes.append({"code": t, "label": theme_label(t), "count": len(ranked),
                           "stories": ranked[:STORIES_PER_THEME], "more": max(0, len(ranked) - STORIES_PER_THEME)})
    from storage.search import fold

    provinces = []
    for name in sorted(by_province, key=lambda n: (fold(n), n)):
        ranked = sorted(by_province[name], key=rank)
        provinces.append({"name": name, "count": len(ranked), "negative": sum(s["negative"] for s in ranked),
                          "stories": ranked[:STORIES_PER_PROVINCE], "more": max(0, len(ranked) - STORIES_PER_PROVINCE)})
    sentiments = Counter(a.sentiment or "neutral" for a in articles)
    flagged = sorted((s for s in stories.values() if s["negative"]), key=rank)
    return {
        "title": TITLE, "period": period_text(start, end), "start": start, "end": end,
        "total": len(articles), "outlets": len({a.outlet_id for a in articles}),
        "by_sentiment": [(lbl, sentiments.get(code, 0)) for code, lbl in SENTIMENT_LABELS.items()],
        "themes": themes, "provinces": provinces, "flagged": flagged,
    }


def render_html(data: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("exports", "templates"), autoescape=select_autoescape(["html"]))
    return env.get_template("bulletin.html").render(**data)


def _hyperlink(paragraph, url: str, text: str, *, bold: bool = False) -> None:
    """Append a clickable hyperlink run (python-docx has no public API for it)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    props.append(color)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    if bold:
        props.append(OxmlElement("w:b"))
    run.append(props)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def _story_paragraph(doc, s: dict[str, Any], *, style: str = "Normal", number: Optional[int] = None,
                     lead: bool = False, meta: Optional[str] = None) -> None:
    """One story: [number.] linked title [Cần theo dõi], then a grey line of details.

    Numbers are written out (Word's "List Number" would run on across sections)."""
    from docx.shared import Cm, Pt, RGBColor

    p = doc.add_paragraph(style=style)
    if number is not None:
        p.paragraph_format.left_indent = Cm(0.8)
        p.paragraph_format.first_line_indent = Cm(-0.8)
        p.add_run(f"{number}.\t").bold = lead
    _hyperlink(p, s["url"], s["title"], bold=lead)
    if s["negative"]:
        flag = p.add_run(f" [{FOLLOW_UP}]")
        flag.bold = True
        flag.font.color.rgb = RGBColor(0xB0, 0x00, 0x00)
    line = meta if meta is not None else " · ".join(x for x in (
        s["outlet"], s["date"], s["provinces"], s["sentiment"],
        f"{s['copies']} báo đăng lại" if s["copies"] else "") if x)
    run = p.add_run("\n" + line)
    run.font.size = Pt(10)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


def render_docx(data: dict[str, Any], path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)
    props = doc.core_properties
    props.title = f"{data['title']} – {data['period']}"
    props.language = "vi-VN"
    props.author = "ReformWatch"
    stamp = dt.datetime.combine(data["end"], dt.time(), tzinfo=VN_TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)
    props.created = props.modified = stamp

    doc.add_heading(data["title"], level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(data["period"])
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.runs[0].italic = True
    if not data["total"]:
        doc.add_paragraph("Không có tin nào về cải cách hành chính trong kỳ này.").runs[0].bold = True
        doc.save(path)
        return
    doc.add_heading("Tổng quan", level=1)
    tones = ", ".join(f"{lbl.lower()} {n}" for lbl, n in data["by_sentiment"])
    p = doc.add_paragraph(f"Trong kỳ có {data['total']} tin, bài về cải cách hành chính trên {data['outlets']} "
                          f"cơ quan báo chí, đề cập {len(data['provinces'])} tỉnh/thành: {tones}.")
    if data["flagged"]:
        p.add_run(f" {len(data['flagged'])} tin tiêu cực cần theo dõi.").bold = True

    doc.add_heading("I. Tin nổi bật theo lĩnh vực", level=1)
    for i, section in enumerate(data["themes"], start=1):
        doc.add_heading(f"{i}. {section['label']} ({section['count']} tin)", level=2)
        for j, s in enumerate(section["stories"], start=1):
            _story_paragraph(doc, s, number=j, lead=j == 1)
        if section["more"]:
            doc.add_paragraph(f"… và {section['more']} tin khác.")

    doc.add_heading("II. Theo tỉnh, thành phố", level=1)
    for prov in data["provinces"]:
        heading = f"{prov['name']} – {prov['count']} tin"
        if prov["negative"]:
            heading += f" ({prov['negative']} tin cần theo dõi)"
        doc.add_heading(heading, level=2)
        for s in prov["stories"]:
            _story_paragraph(doc, s, style="List Bullet", meta=f"{s['outlet']}, {s['date']}")
        if prov["more"]:
            doc.add_paragraph(f"… và {prov['more']} tin khác.")

    doc.add_heading("III. Tin cần theo dõi", level=1)
    if data["flagged"]:
        for j, s in enumerate(data["flagged"], start=1):
            _story_paragraph(doc, s, number=j,
                             meta=" · ".join(x for x in (s["outlet"], s["date"], s["provinces"], s["themes"]) if x))
    else:
        doc.add_paragraph("Không có tin tiêu cực trong kỳ.")
    doc.add_paragraph("Bản tin do ReformWatch tổng hợp tự động từ báo chí; nhấn vào tiêu đề để xem bài gốc.")
    doc.save(path)


def pdf_engine() -> Optional[str]:
    """``'libreoffice'``, ``'weasyprint'`` or None."""
    if shutil.which("soffice") or shutil.which("libreoffice"):
        return "libreoffice"
    if importlib.util.find_spec("weasyprint") is not None:
        return "weasyprint"
    return None


def render_pdf(html_path: Path, docx_path: Path, pdf_path: Path) -> Optional[str]:
    """Write ``pdf_path``; returns None on success, else why it was skipped."""
    engine = pdf_engine()
    if engine is None:
        return "Bỏ qua bản PDF: máy này không có LibreOffice (soffice) hay WeasyPrint."
    if engine == "libreoffice":
        exe = shutil.which("soffice") or shutil.which("libreoffice")
        proc = subprocess.run([exe, "--headless", "--convert-to", "pdf", "--outdir", str(pdf_path.parent),
                               str(docx_path)], capture_output=True, text=True, timeout=180)
        produced = pdf_path.parent / (docx_path.stem + ".pdf")
        if proc.returncode != 0 or not produced.exists():
            return f"Bỏ qua bản PDF: LibreOffice thất bại ({proc.stderr.strip()[:200]})"
        if produced != pdf_path:
            produced.replace(pdf_path)
        return None
    import weasyprint  # type: ignore

    weasyprint.HTML(filename=str(html_path)).write_pdf(str(pdf_path))
    return None


def build_bulletin(session: Session, start: dt.date, end: dt.date, outdir, *, pdf: bool = True) -> BulletinResult:
    """Write the bulletin for [start, end] into ``outdir`` (created when missing)."""
    if start > end:
        raise ValueError(f"empty period: start {start} is after end {end}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    data = collect(session, start, end)
    stem = file_stem(start, end)
    html_path, docx_path, pdf_path = (outdir / f"{stem}.{ext}" for ext in ("html", "docx", "pdf"))
    html_path.write_text(render_html(data), encoding="utf-8")
    render_docx(data, docx_path)
    messages = []
    if data["total"] == 0:
        messages.append(f"Không có tin nào về CCHC {data['period'].lower()}: bản tin rỗng (hợp lệ).")
    made_pdf: Optional[Path] = None
    if pdf:
        why = render_pdf(html_path, docx_path, pdf_path)
        if why:
            messages.append(why)
        else:
            made_pdf = pdf_path
    return BulletinResult(html=html_path, docx=docx_path, pdf=made_pdf, articles=data["total"], messages=messages)

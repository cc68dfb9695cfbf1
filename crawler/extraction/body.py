"""Article body text: trafilatura on the already-parsed tree, or outlet selectors when given.

Paragraphs are joined by "\\n". Captions, related-link boxes, menus, scripts and ads are dropped
(pruned before trafilatura runs, or skipped when walking a selector-matched container).
"""
from __future__ import annotations

import re
import unicodedata
from copy import deepcopy
from typing import Optional

import trafilatura
from cssselect import GenericTranslator
from lxml import etree

from .selectors import node_text, select

# Boilerplate blocks that sit INSIDE article containers on Vietnamese outlets (and elsewhere):
# related-story boxes, share bars, tag lists, ads, video/photo captions.
_BLOCK = "self::div or self::section or self::ul or self::ol or self::aside or self::table or self::article or self::figure or self::p"
_NO_LONG_TEXT = "not(.//p[string-length(normalize-space(.)) > 200])"  # never drop a block holding story paragraphs
GENERIC_DROP_XPATH = [
    f"//*[{_BLOCK}][contains(@class,'relate') or contains(@class,'lienquan') or contains(@class,'lien-quan')"
    " or contains(@class,'box-new-lq') or contains(@class,'link-content-footer') or contains(@class,'insert-wiki')"
    " or contains(@class,'cms-insert') or contains(@class,'list-concern') or contains(@class,'tinlienquan')"
    " or contains(@class,'notebox') or contains(@class,'VideoCMS_Caption') or contains(@class,'chisochungkhoan')"
    " or contains(@class,'tindnd')][not(count(.//p[string-length(normalize-space(.)) > 200]) > 2)]",
    f"//*[{_BLOCK}][contains(@class,'social') or contains(@class,'share') or contains(@class,'advert') or contains(@id,'adv')"
    f" or contains(concat(' ',normalize-space(@class),' '),' hidden ')][{_NO_LONG_TEXT}]",
    f"//*[{_BLOCK}][@style and contains(translate(@style,' ',''),'display:none')][{_NO_LONG_TEXT}]",
]
LEAD_MARK = "data-rw-lead"
_CAPTION_XPATH = (
    "//figcaption|//*[contains(@class,'caption') or contains(@class,'Caption') or contains(@class,'desc_image')"
    " or contains(@class,'image-caption')]"
)
BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre", "td", "figcaption", "dd"}
_SKIP_TAGS = {"script", "style", "noscript", "iframe", "video", "audio", "button", "form", "nav", "aside", "svg", "template", "select"}


def css_or_xpath_to_xpath(spec: str) -> str:
    spec = spec.strip()
    if spec.startswith("xpath:"):
        return spec[6:].strip()
    if spec.startswith("css:"):
        spec = spec[4:]
    return GenericTranslator().css_to_xpath(spec.strip(), prefix="descendant-or-self::")


def clean_paragraph(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\xa0", " ").replace("\u200b", ""))
    return " ".join(text.split())


def join_paragraphs(paragraphs: list[str]) -> str:
    out = [clean_paragraph(p) for p in paragraphs]
    return "\n".join(p for p in out if p)


def _relative(xpath: str) -> str:
    """Make absolute ``//x`` branches of an XPath union relative to the context node."""
    return re.sub(r"(^|\|)\s*//", r"\1descendant-or-self::", xpath)


def _remove(nodes) -> None:
    """Remove elements, keeping their tail text (the text that follows them in the parent)."""
    for node in nodes:
        if isinstance(node, etree._Element) and node.getparent() is not None:
            if hasattr(node, "drop_tree"):
                node.drop_tree()
            else:  # pragma: no cover - plain etree elements
                parent, tail = node.getparent(), node.tail
                prev = node.getprevious()
                if tail:
                    if prev is not None:
                        prev.tail = (prev.tail or "") + tail
                    else:
                        parent.text = (parent.text or "") + tail
                parent.remove(node)


def text_from_containers(containers: list, drop: Optional[list[str]] = None, keep_captions: Optional[bool] = None) -> str:
    """Walk selector-matched containers and join their block-level texts.

    Captions are kept only when the container has no ordinary paragraph text (photo stories).
    """
    paragraphs: list[str] = []
    for container in containers:
        if not isinstance(container, etree._Element):
            continue
        node = deepcopy(container)
        for xp in (drop or []) + GENERIC_DROP_XPATH:
            _remove(node.xpath(_relative(xp)))
        _remove([el for el in node.iter() if isinstance(el.tag, str) and el.tag in _SKIP_TAGS])
        _remove(node.xpath(_relative(_VIDEO_CAPTION_XPATH)))
        captions = node.xpath(_relative(_CAPTION_XPATH))
        plain = [p for p in node.iter("p") if not any(c is p or p in c.iterdescendants() for c in captions)]
        has_plain_text = sum(len(node_text(p)) for p in plain) >= 200
        if keep_captions is False or (keep_captions is None and has_plain_text):
            _remove(captions)
        paragraphs.extend(_blocks(node))
    return join_paragraphs(paragraphs)


def _blocks(node) -> list[str]:
    out: list[str] = []
    for el in node.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in BLOCK_TAGS and not any(isinstance(a.tag, str) and a.tag in BLOCK_TAGS for a in el.iterancestors() if a is not node):
            text = "".join(t for t in el.itertext() if t)
            out.append(text)
    return out


def trafilatura_text(tree, url: Optional[str], drop_xpath: list[str], favor_precision: bool = True) -> str:
    """Main text by trafilatura on a (copied) parsed tree; extra pruning expressions applied first."""
    result = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_images=False,
        favor_precision=favor_precision,
        prune_xpath=drop_xpath or None,
    )
    if result is None:
        return ""
    text = result.text if hasattr(result, "text") else result.get("text")
    return join_paragraphs((text or "").split("\n"))


CAPTION_SHARE_PHOTO_STORY = 0.5
_VIDEO_CAPTION_XPATH = "//figure[.//video]//figcaption|//*[contains(@class,'VideoCMS_Caption')]"


def caption_texts(tree) -> set[str]:
    """Normalised texts of every caption on the page (figcaption and caption-classed blocks)."""
    out = set()
    for node in tree.xpath(_CAPTION_XPATH):
        text = clean_paragraph(" ".join(node.itertext())).casefold()
        if text:
            out.add(text)
    return out


def drop_caption_lines(text: str, captions: set[str]) -> tuple[str, bool]:
    """Remove caption lines unless captions carry most of the text (a photo story).

    Returns ``(text, is_photo_story)``.
    """
    lines = text.split("\n")
    is_caption = [bool(line) and any(line.casefold() == c or (len(line) >= 20 and line.casefold() in c) for c in captions) for line in lines]
    caption_chars = sum(len(l) for l, c in zip(lines, is_caption) if c)
    total = sum(len(l) for l in lines) or 1
    if caption_chars / total >= CAPTION_SHARE_PHOTO_STORY:
        return text, True
    return "\n".join(l for l, c in zip(lines, is_caption) if not c), False


def extract_body(tree, url: Optional[str], layout: Optional[dict] = None) -> tuple[str, str]:
    """Return ``(text, method)``; method is "rules", "trafilatura" or "trafilatura-photo-story".

    One trafilatura pass over the shared tree (boilerplate, video captions and the sapo node,
    marked ``data-rw-lead``, pruned first); then caption lines are removed unless captions
    carry most of the text, as in photo stories whose running text lives in figcaptions.
    """
    drop = [css_or_xpath_to_xpath(s) for s in (layout or {}).get("drop", [])]
    drop.append(f"//*[@{LEAD_MARK}]")
    if layout and layout.get("body"):
        containers = select(tree, layout["body"])
        if containers:
            text = text_from_containers(containers, drop)
            if len(text) >= 100:
                return text, "rules"
    text = trafilatura_text(tree, url, drop + GENERIC_DROP_XPATH + [_VIDEO_CAPTION_XPATH], favor_precision=False)
    text, photo_story = drop_caption_lines(text, caption_texts(tree))
    return text, "trafilatura-photo-story" if photo_story else "trafilatura"

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
GENERIC_DROP_XPATH = [
    "//*[contains(@class,'relate') or contains(@class,'lienquan') or contains(@class,'lien-quan')"
    " or contains(@class,'box-new-lq') or contains(@class,'link-content-footer') or contains(@class,'insert-wiki')"
    " or contains(@class,'cms-insert') or contains(@class,'list-concern') or contains(@class,'tinlienquan')"
    " or contains(@class,'social') or contains(@class,'share')"
    " or contains(concat(' ',normalize-space(@class),' '),' hidden ') or contains(@class,'notebox') or contains(@class,'advert') or contains(@id,'adv')"
    " or contains(@class,'VideoCMS_Caption') or contains(@class,'chisochungkhoan') or contains(@class,'tindnd')]",
    "//*[@style and contains(translate(@style,' ',''),'display:none')]",
]
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


def _remove(nodes) -> None:
    for node in nodes:
        if isinstance(node, etree._Element) and node.getparent() is not None:
            node.drop_tree() if hasattr(node, "drop_tree") else node.getparent().remove(node)


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
            _remove(node.xpath(xp.replace("//", "descendant-or-self::", 1) if xp.startswith("//") else xp))
        captions = node.xpath(_CAPTION_XPATH.replace("//", "descendant-or-self::"))
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
        if el.tag in _SKIP_TAGS or any(a.tag in _SKIP_TAGS for a in el.iterancestors()):
            continue
        if el.tag in BLOCK_TAGS and not any(isinstance(a.tag, str) and a.tag in BLOCK_TAGS for a in el.iterancestors() if a is not node):
            text = " ".join(t for t in el.itertext() if t)
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


def extract_body(tree, url: Optional[str], layout: Optional[dict] = None) -> tuple[str, str]:
    """Return ``(text, method)``; method is "rules" or "trafilatura"."""
    drop = [css_or_xpath_to_xpath(s) for s in (layout or {}).get("drop", [])]
    if layout and layout.get("body"):
        containers = select(tree, layout["body"])
        if containers:
            text = text_from_containers(containers, drop)
            if len(text) >= 100:
                return text, "rules"
    return trafilatura_text(tree, url, drop + GENERIC_DROP_XPATH), "trafilatura"

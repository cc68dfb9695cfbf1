"""Selector strings as data: ``css:…`` or ``xpath:…`` (a bare string is CSS), compiled once."""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Optional

from lxml import etree
from lxml.cssselect import CSSSelector


class SelectorError(ValueError):
    """A selector string in the outlet rules is malformed."""


@lru_cache(maxsize=2048)
def compile_selector(spec: str) -> Callable:
    spec = spec.strip()
    try:
        if spec.startswith("xpath:"):
            return etree.XPath(spec[6:].strip())
        if spec.startswith("css:"):
            spec = spec[4:]
        return CSSSelector(spec.strip())
    except Exception as exc:  # cssselect and lxml raise several types
        raise SelectorError(f"bad selector {spec!r}: {exc}") from exc


def select(tree, spec: Optional[str | list[str]]) -> list:
    """All nodes (or strings, for an XPath returning text/attributes) matched by ``spec``.

    ``spec`` may be a list: the first selector that matches anything wins.
    """
    if not spec:
        return []
    specs = [spec] if isinstance(spec, str) else list(spec)
    for one in specs:
        found = compile_selector(one)(tree)
        if isinstance(found, list) and found:
            return found
        if isinstance(found, str) and found.strip():
            return [found]
    return []


def node_text(node) -> str:
    """Visible text of a node (or the string an XPath returned), whitespace collapsed."""
    if isinstance(node, str):
        text = node
    else:
        text = " ".join(node.itertext())
    return " ".join(text.split())

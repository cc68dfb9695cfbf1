"""Parse page text into one lxml tree, shared by metadata, body and classification."""
from __future__ import annotations

import re
from typing import Optional

from lxml import html as lxml_html
from lxml.etree import ParserError, XMLSyntaxError

# the same parser settings trafilatura uses, so passing our tree changes nothing for it
_PARSER = lxml_html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_html(text: str) -> Optional[lxml_html.HtmlElement]:
    """The document root, or None for an empty/unparsable page."""
    if not text or not text.strip():
        return None
    text = _XML_DECL.sub("", text, count=1)
    try:
        tree = lxml_html.fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (ParserError, XMLSyntaxError, ValueError, UnicodeError):
        return None
    if tree is None:
        return None
    root = tree.getroottree().getroot()
    return root if root is not None else tree

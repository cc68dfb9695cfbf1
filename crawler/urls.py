"""URL canonicalisation: one address per article before anything is requested twice.

``canonicalize(url)`` is a pure function applied to every discovered URL:

* scheme and host lower-cased, a trailing dot and the default port (80/443) dropped;
  ``www.`` is kept (outlets serve different things on ``www`` and the bare domain);
* the fragment dropped;
* tracking parameters dropped (``utm_*``, ``fbclid``, ``gclid``, ``zarsrc``, ``gidzl``,
  ``ref``, ``cmpid`` … see ``TRACKING_PARAMS``), the remaining query sorted;
* AMP variants mapped to the canonical page when its ``rel=canonical`` is not known yet:
  an ``amp.`` sub-domain, an ``/amp`` path segment, a ``.amp`` suffix (``x.amp.html`` →
  ``x.html``), an ``amp`` / ``amp=1`` / ``outputType=amp`` query parameter;
* an empty path becomes ``/``; percent-encoding normalised (w3lib ``safe_url_string``).

Once an article is fetched, its ``rel=canonical`` (canonicalised again) wins: the store keys
articles by that.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import safe_url_string

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "spm", "scm", "cmpid", "cmp", "ref", "ref_src", "referrer",
        "zarsrc", "gidzl", "zalo_source", "itm_source", "itm_medium",
        "itm_campaign", "itm_content", "s_cid",
        "amp", "amp_js_v", "usqp", "outputtype", "__twitter_impression",
    }
)
TRACKING_PREFIXES = ("utm_", "vn_", "pk_", "mtm_", "hsa_", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_SUFFIX = re.compile(r"\.amp(?=\.[A-Za-z0-9]+$|$)")


def is_tracking_param(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _amp_path(path: str) -> str:
    segments = path.split("/")
    kept = [seg for seg in segments if seg.lower() != "amp"]
    if len(kept) != len(segments):
        path = "/".join(kept) or "/"
    last = path.rsplit("/", 1)
    if len(last) == 2:
        path = last[0] + "/" + _AMP_SUFFIX.sub("", last[1])
    return re.sub(r"/{2,}", "/", path) or "/"


def canonicalize(url: str, *, amp: bool = True) -> str:
    """The canonical form of ``url`` (see the module docstring). Raises ValueError on garbage."""
    if not url or not isinstance(url, str):
        raise ValueError(f"not a URL: {url!r}")
    url = safe_url_string(url.strip())
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"URL without host: {url!r}")
    if amp and host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port in URL {url!r}") from exc
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path or "/"
    if amp:
        path = _amp_path(path)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")

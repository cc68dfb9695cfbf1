"""Per-outlet extraction rules as data (crawler/outlet_rules.toml and registry ``[[outlet.rules]]``).

A rule set (layout) is a dict with optional keys ``since``/``until`` (dates, inclusive/exclusive)
and selectors ``title``, ``published``, ``author``, ``body``, ``lead``, ``drop`` (a string or a
list of strings; ``css:`` or ``xpath:`` prefix, bare = CSS). Several layouts per outlet: the one
whose date range holds the page's date wins; without a usable date, the first whose ``body``
(or, lacking one, any) selector matches the page.
"""
from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .selectors import SelectorError, compile_selector, select

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "outlet_rules.toml"
SELECTOR_KEYS = ("title", "published", "author", "body", "lead", "drop")
ALLOWED_KEYS = set(SELECTOR_KEYS) | {"since", "until", "name", "note"}


class RulesError(ValueError):
    """The rules file or a rule set is malformed (message names the file, outlet and key)."""


def _as_date(value: Any, where: str) -> Optional[date]:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RulesError(f"{where}: not a date (YYYY-MM-DD): {value!r}") from exc


def validate_layout(layout: dict, where: str) -> dict:
    """Check keys, dates and selectors; return a normalised copy (selectors as lists)."""
    if not isinstance(layout, dict):
        raise RulesError(f"{where}: a rule set must be a table, got {type(layout).__name__}")
    unknown = set(layout) - ALLOWED_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(ALLOWED_KEYS))}")
    out: dict = {k: layout[k] for k in ("name", "note") if k in layout}
    out["since"] = _as_date(layout.get("since"), f"{where}.since")
    out["until"] = _as_date(layout.get("until"), f"{where}.until")
    for key in SELECTOR_KEYS:
        value = layout.get(key)
        if value is None:
            continue
        specs = [value] if isinstance(value, str) else value
        if not isinstance(specs, list) or not all(isinstance(s, str) and s.strip() for s in specs):
            raise RulesError(f"{where}.{key}: expected a selector string or a list of them")
        for spec in specs:
            try:
                compile_selector(spec)
            except SelectorError as exc:
                raise RulesError(f"{where}.{key}: {exc}") from exc
        out[key] = list(specs)
    return out


def load_outlet_rules(path: Optional[str | Path] = None) -> dict[str, list[dict]]:
    """Read the rules file: ``{domain: [layout, …]}`` with validated, normalised layouts."""
    path = Path(path) if path else DEFAULT_RULES_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(f"{path}: rules file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: invalid TOML: {exc}") from exc
    domains = data.get("domain", {})
    if not isinstance(domains, dict):
        raise RulesError(f"{path}: [domain] must be a table of outlets")
    table: dict[str, list[dict]] = {}
    for domain, layouts in domains.items():
        if isinstance(layouts, dict):
            layouts = [layouts]
        if not isinstance(layouts, list):
            raise RulesError(f"{path}: domain {domain!r} must be [[domain.\"{domain}\"]] tables")
        key = domain.lower().removeprefix("www.")
        table[key] = [validate_layout(l, f"{path.name}: domain.{domain!r}[{i}]") for i, l in enumerate(layouts)]
    return table


_DEFAULT_TABLE: Optional[dict[str, list[dict]]] = None


def default_rules() -> dict[str, list[dict]]:
    global _DEFAULT_TABLE
    if _DEFAULT_TABLE is None:
        _DEFAULT_TABLE = load_outlet_rules()
    return _DEFAULT_TABLE


def rules_for(domain: str, rules_table: Optional[dict[str, list[dict]]] = None) -> list[dict]:
    """Layouts for ``domain`` (host; ``www.`` ignored), falling back to its parent domains."""
    table = default_rules() if rules_table is None else rules_table
    host = (domain or "").lower().removeprefix("www.")
    while host:
        if host in table:
            return table[host]
        if "." not in host:
            break
        host = host.split(".", 1)[1]
        if "." not in host:  # never fall back to a bare TLD
            break
    return []


def choose_layout(tree, layouts: list[dict], page_date: Optional[datetime] = None) -> Optional[dict]:
    """The layout for this page: by date range when the page's date is known, else by match."""
    if not layouts:
        return None
    if page_date is not None:
        day = page_date.date()
        dated = [l for l in layouts if (l.get("since") or date.min) <= day < (l.get("until") or date.max)]
        for layout in dated:
            if _matches(tree, layout):
                return layout
        if dated and not any(l.get("body") for l in dated):
            return dated[0]
    for layout in layouts:
        if _matches(tree, layout):
            return layout
    return None


def _matches(tree, layout: dict) -> bool:
    keys = ["body"] if layout.get("body") else [k for k in ("title", "published", "author", "lead", "drop") if layout.get(k)]
    return any(select(tree, layout[k]) for k in keys)

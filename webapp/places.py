"""Province and ministry names and province coordinates for forms, filters and the map.

The gazetteer (classifier.gazetteer) is the authority; while it is not importable the names
and coordinates come from the gazetteer's data file shipped in the package
(classifier/data/provinces.json).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "classifier" / "data" / "provinces.json"


def _gazetteer():
    try:
        from classifier import gazetteer  # type: ignore
    except ImportError:
        return None
    return gazetteer


@lru_cache(maxsize=1)
def _data() -> dict:
    try:
        return json.loads(DATA.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"former": [], "current": []}


def province_names(division: str = "current") -> list[str]:
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "province_names"):
        try:
            return list(gaz.province_names(division))
        except Exception:  # noqa: BLE001 - fall back to the data file
            pass
    return [p["name"] for p in _data().get(division, [])]


def province_coordinates(division: str = "current") -> dict[str, tuple[float, float]]:
    """name -> (lat, lon) for the provinces of ``division``."""
    coords = {p["name"]: (float(p["lat"]), float(p["lon"])) for p in _data().get(division, []) if "lat" in p}
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "province_coordinates"):
        try:
            names = set(province_names(division))
            try:
                found = gaz.province_coordinates(division)
            except TypeError:
                found = gaz.province_coordinates()
            for name, (lat, lon) in found.items():
                if name in names:
                    coords[name] = (float(lat), float(lon))
        except Exception:  # noqa: BLE001
            pass
    return coords


def ministry_names(current: bool = True) -> list[str]:
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "ministry_names"):
        try:
            return list(gaz.ministry_names(current=current))
        except Exception:  # noqa: BLE001
            pass
    path = DATA.with_name("ministries.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data.get("current", data.get("ministries", [])) if isinstance(data, dict) else data
    return [m["name"] if isinstance(m, dict) else str(m) for m in items]


def known_ministries() -> set[str]:
    return set(ministry_names(True)) | set(ministry_names(False))


def known_provinces() -> set[str]:
    return set(province_names("former")) | set(province_names("current"))


def province_to_current(name: str) -> str:
    """The current (post-2025) province of ``name``; the name itself when unknown."""
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "province_to_current"):
        try:
            return gaz.province_to_current(name)
        except Exception:  # noqa: BLE001
            return name
    for p in _data().get("former", []):
        if p["name"] == name:
            return p.get("current", name)
    return name

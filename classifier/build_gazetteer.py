"""Generate the compact gazetteer data files in ``classifier/data/`` from ``vietnamadminunits``.

Run ``python -m classifier.build_gazetteer`` after upgrading the package. The product reads only
the generated files (fast to load, no dependency at run time); each file records the package
name and version it came from.

Files written:

- ``provinces.json`` — the 63 former provinces and the 34 current ones: canonical short name,
  official full name, code, centroid (lat, lon) and the former → current mapping.
- ``districts.csv`` — legacy districts (before 1 July 2025) with their former province.
- ``communes.csv.gz`` — legacy communes/wards (with district and former province) and current
  communes/wards (with current province).
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import io
import json
import sqlite3
import sys
from importlib import metadata
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
PACKAGE = "vietnamadminunits"

# Canonical names follow LABELING.md and the corpus labels; the package's short names are
# used except where the guide names the unit differently.
FORMER_RENAMES = {
    "Hồ Chí Minh": "Thành phố Hồ Chí Minh",
    # The package already calls the legacy unit "Huế" (it became a centrally-run city on
    # 1 January 2025); articles before that and the corpus labels call it Thừa Thiên Huế.
    "Huế": "Thừa Thiên Huế",
}
CURRENT_RENAMES = {"Hồ Chí Minh": "Thành phố Hồ Chí Minh"}


def _dataset_path() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).parent / "data" / "dataset.db"


def _converter_path() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).parent / "data" / "converter_2025.json"


def _rows(sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(_dataset_path()) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


def _source() -> dict:
    return {
        "package": PACKAGE,
        "version": metadata.version(PACKAGE),
        "built": _dt.date.today().isoformat(),
        "builder": "classifier/build_gazetteer.py",
    }


def build_provinces() -> dict:
    former_rows = _rows(
        "SELECT DISTINCT province, provinceShort, provinceCode, provinceLat, provinceLon, "
        "provinceKey FROM admin_units_legacy ORDER BY provinceCode"
    )
    current_rows = _rows(
        "SELECT DISTINCT province, provinceShort, provinceCode, provinceLat, provinceLon, "
        "provinceKey FROM admin_units ORDER BY provinceCode"
    )
    current_by_key = {
        r["provinceKey"]: CURRENT_RENAMES.get(r["provinceShort"], r["provinceShort"])
        for r in current_rows
    }
    mapping = json.loads(_converter_path().read_text(encoding="utf-8"))["DICT_PROVINCE"]
    former_to_current_key = {old: new for new, olds in mapping.items() for old in olds}

    former = []
    for r in former_rows:
        name = FORMER_RENAMES.get(r["provinceShort"], r["provinceShort"])
        full = r["province"]
        if name == "Thừa Thiên Huế":
            full = "Tỉnh Thừa Thiên Huế"
        former.append(
            {
                "name": name,
                "full": full,
                "code": r["provinceCode"],
                "lat": round(r["provinceLat"], 4),
                "lon": round(r["provinceLon"], 4),
                "current": current_by_key[former_to_current_key[r["provinceKey"]]],
            }
        )
    current = []
    for r in current_rows:
        name = current_by_key[r["provinceKey"]]
        current.append(
            {
                "name": name,
                "full": r["province"],
                "code": r["provinceCode"],
                "lat": round(r["provinceLat"], 4),
                "lon": round(r["provinceLon"], 4),
                "former": [f["name"] for f in former if f["current"] == name],
            }
        )
    if len(former) != 63 or len(current) != 34:
        raise SystemExit(f"unexpected counts: {len(former)} former, {len(current)} current")
    return {"source": _source(), "former": former, "current": current}


def build_districts(former_names: dict[str, str]) -> str:
    rows = _rows(
        "SELECT DISTINCT provinceCode, district, districtShort, districtType, districtLat, "
        "districtLon FROM admin_units_legacy ORDER BY provinceCode, districtCode"
    )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["province", "district", "short", "type", "lat", "lon"])
    for r in rows:
        w.writerow(
            [
                former_names[r["provinceCode"]],
                r["district"],
                r["districtShort"],
                r["districtType"],
                round(r["districtLat"] or 0.0, 4),
                round(r["districtLon"] or 0.0, 4),
            ]
        )
    return buf.getvalue()


def build_communes(former_names: dict[str, str], current_names: dict[str, str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["division", "province", "district", "commune", "short", "type"])
    for r in _rows(
        "SELECT provinceCode, districtShort, ward, wardShort, wardType FROM admin_units_legacy "
        "WHERE ward IS NOT NULL ORDER BY provinceCode, districtCode, wardCode"
    ):
        w.writerow(
            ["former", former_names[r["provinceCode"]], r["districtShort"], r["ward"],
             r["wardShort"], r["wardType"] or ""]
        )
    for r in _rows(
        "SELECT provinceCode, ward, wardShort, wardType FROM admin_units "
        "WHERE ward IS NOT NULL ORDER BY provinceCode, wardCode"
    ):
        w.writerow(
            ["current", current_names[r["provinceCode"]], "", r["ward"], r["wardShort"],
             r["wardType"] or ""]
        )
    return gzip.compress(buf.getvalue().encode("utf-8"), mtime=0)


def build(data_dir: Path = DATA_DIR) -> list[Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    provinces = build_provinces()
    former_names = {p["code"]: p["name"] for p in provinces["former"]}
    current_names = {p["code"]: p["name"] for p in provinces["current"]}
    out = []
    p = data_dir / "provinces.json"
    p.write_text(json.dumps(provinces, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out.append(p)
    p = data_dir / "districts.csv"
    p.write_text(
        f"# source: {PACKAGE} {provinces['source']['version']}\n" + build_districts(former_names),
        encoding="utf-8",
    )
    out.append(p)
    p = data_dir / "communes.csv.gz"
    p.write_bytes(build_communes(former_names, current_names))
    out.append(p)
    meta = data_dir / "gazetteer_source.json"
    meta.write_text(json.dumps(provinces["source"], ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8")
    out.append(meta)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else DATA_DIR
    for path in build(target):
        print(f"{path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

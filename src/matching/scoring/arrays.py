"""Struct-of-arrays indexes of posts and labourers, built once and scored many times."""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from itertools import chain
from typing import Any, Self, TypeVar, get_args

import numpy as np
import numpy.typing as npt

from matching.scoring.codes import day_number, region_parts
from matching.scoring.dtypes import F32, I8, I16, I32, I64, Bool
from matching.scoring.geo import unit_vectors
from matching.scoring.params import (
    DECAY_KM,
    NO_SKILLS_REQUIRED,
    ON_THE_JOB,
    PREF_NONE,
    PREF_OTHER,
    REQUIRED_LEVEL,
    SKILL_PAD,
    WAGE_NOT_STATED,
)
from matching.scoring.sparse import PAD, check_csr, csr, invert, join_rows, pad, take_rows
from matching.scoring.types import LabourerProfile, PostKind, PostRecord, Willingness

AGE_NONE_MIN, AGE_NONE_MAX = 0, 200
DAY_NONE_FROM, DAY_NONE_UNTIL = 0, int(np.iinfo(np.int32).max)
_WELFARE_LIKE = (PostKind.public_welfare, PostKind.home_based)


_COLUMNS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _columns(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, dtype) of a class's init columns, read once from their NDArray[X] annotations."""
    if cls not in _COLUMNS:
        _COLUMNS[cls] = tuple(
            (f.name, get_args(get_args(f.type)[1])[0]) for f in fields(cls) if f.init
        )
    return _COLUMNS[cls]


def _coerce(obj: "PostArrays | LabourerArrays") -> None:
    """Cast every init column to its annotated dtype, so callers may pass lists or other dtypes."""
    n: int | None = None
    for name, dtype in _columns(type(obj)):
        value = np.ascontiguousarray(getattr(obj, name), dtype=dtype)
        if value.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional")
        object.__setattr__(obj, name, value)
        if not name.endswith(("_indptr", "_indices")):
            n = len(value) if n is None else n
            if len(value) != n:
                raise ValueError(f"{name} has {len(value)} rows, expected {n}")


def _set(obj: object, **values: Any) -> None:
    for name, value in values.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True, eq=False)
class PostArrays:
    """N posts as parallel arrays; region codes as int32 per level, 0 for levels a code lacks.

    openings_left, is_open, valid_* and age_* may be updated in place as posts change; the other
    columns feed derived arrays, so a change to them needs a new PostArrays.
    """

    ids: I64
    province: I32
    prefecture: I32
    county: I32
    township: I32
    lat: F32  # degrees, county seat; NaN when unknown
    lon: F32
    kind: I8  # PostKind
    wage_min: I32  # 0 when not stated
    wage_max: I32
    age_min: I16  # AGE_NONE_MIN when none
    age_max: I16  # AGE_NONE_MAX when none
    openings_left: I32
    is_open: Bool
    valid_from: I32  # day_number; DAY_NONE_FROM when none
    valid_until: I32  # inclusive; DAY_NONE_UNTIL when none
    occupation: I32  # taxonomy index, -1 when none
    skill_indptr: I64  # required skills as CSR over the taxonomy
    skill_indices: I32
    # Derived once here so that scoring calls do no per-post set-up.
    unit: tuple[F32, F32, F32] = field(init=False, repr=False)
    offered: F32 = field(init=False, repr=False)
    wage_stated: F32 = field(init=False, repr=False)  # 1 / 0
    wage_base: F32 = field(init=False, repr=False)  # score when no wage is stated, else 0
    welfare_like: Bool = field(init=False, repr=False)  # public-welfare or home-based
    public_welfare: Bool = field(init=False, repr=False)
    skill_floor: F32 = field(init=False, repr=False)  # ON_THE_JOB at a workshop: for no_skills
    occupation_slot: I64 = field(init=False, repr=False)  # occupation, PAD when none
    max_index: int = field(init=False, repr=False)  # largest taxonomy index used
    skill_pad: I64 = field(init=False, repr=False)
    skill_over_rows: I64 = field(init=False, repr=False)
    skill_over_idx: I32 = field(init=False, repr=False)
    skill_inv_count: F32 = field(init=False, repr=False)  # 1 / count, 0 when none
    skill_base: F32 = field(init=False, repr=False)  # score of a post with no skills, else 0

    def __post_init__(self) -> None:
        _coerce(self)
        check_csr(self.skill_indptr, self.skill_indices, len(self.ids), "skills")
        for name in ("prefecture", "county", "township"):  # -1 would equal a labourer's "none"
            _set(self, **{name: np.maximum(getattr(self, name), 0)})
        # A range is scored at its midpoint; a missing minimum means "up to wage_max".
        wmin, wmax = self.wage_min.astype(np.float32), self.wage_max.astype(np.float32)
        offered = np.where(wmin > 0, (wmin + wmax) / np.float32(2), wmax).astype(np.float32)
        stated = offered > 0
        counts = np.diff(self.skill_indptr).astype(np.float32)
        block, over_rows, over_idx = pad(self.skill_indptr, self.skill_indices, SKILL_PAD)
        _set(
            self,
            unit=unit_vectors(self.lat, self.lon),
            offered=offered,
            wage_stated=stated.astype(np.float32),
            wage_base=np.where(stated, np.float32(0), WAGE_NOT_STATED).astype(np.float32),
            welfare_like=np.isin(self.kind, _WELFARE_LIKE),
            public_welfare=self.kind == PostKind.public_welfare,
            skill_floor=np.where(self.kind == PostKind.workshop, ON_THE_JOB, np.float32(0)).astype(
                np.float32
            ),
            occupation_slot=np.where(self.occupation >= 0, self.occupation.astype(np.int64), PAD),
            max_index=int(max(self.skill_indices.max(initial=-1), self.occupation.max(initial=-1))),
            skill_pad=block,
            skill_over_rows=over_rows,
            skill_over_idx=over_idx,
            skill_inv_count=np.divide(
                np.float32(1), counts, out=np.zeros_like(counts), where=counts > 0
            ),
            skill_base=np.where(counts > 0, np.float32(0), NO_SKILLS_REQUIRED).astype(np.float32),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def span(self, start: int, stop: int) -> "PostArrays":
        """Rows start..stop as arrays of their own (a region's or a province's run of a block
        ordered by region)."""
        columns = {
            f.name: getattr(self, f.name)[start:stop]
            for f in fields(self)
            if f.init and f.name not in ("skill_indptr", "skill_indices")
        }
        indptr = self.skill_indptr[start : stop + 1]
        columns["skill_indptr"] = indptr - indptr[0]
        columns["skill_indices"] = self.skill_indices[indptr[0] : indptr[-1]]
        return PostArrays(**columns)

    def skills_of(self, row: int) -> I32:
        """The taxonomy indices of one post's required skills."""
        return self.skill_indices[self.skill_indptr[row] : self.skill_indptr[row + 1]]

    def per_post(self, rows: I64) -> "PostArrays":
        """These rows' per-post columns (derived ones included, rows may repeat), for scoring
        given pairs element by element (scoring.core.score_pairs), as
        `LabourerArrays.per_labourer` gives the labourers'. The required skills' lists and
        overflow are left out (None: a use fails loudly); `skill_pad` keeps the rows' columns,
        and the skills component of pairs reads the whole set's lists
        (components.skills_for_pairs)."""
        part = object.__new__(PostArrays)
        for f in fields(self):
            if f.name not in _POST_ROW_SPECIAL:
                _set(part, **{f.name: getattr(self, f.name)[rows]})
        _set(part, unit=tuple(axis[rows] for axis in self.unit), max_index=self.max_index,
             skill_pad=self.skill_pad[:, rows])  # fmt: skip
        for name in _POST_ROW_SPECIAL - {"unit", "max_index", "skill_pad"}:
            _set(part, **{name: None})
        return part

    @classmethod
    def from_records(cls, records: Iterable[PostRecord]) -> "PostArrays":
        """Pack post records into arrays (region codes parsed, dates as day numbers)."""
        return PostColumns.from_records(records).pack()


# PostArrays fields `per_post` does not take row by row.
_POST_ROW_SPECIAL = frozenset(
    {"unit", "max_index", "skill_pad", "skill_indptr", "skill_indices", "skill_over_rows",
     "skill_over_idx"}
)  # fmt: skip


def _day(day: date | None, none: int) -> int:
    return none if day is None else day_number(day)


_T = TypeVar("_T", bound=Hashable)


def factorize(values: Sequence[_T]) -> tuple[list[_T], I64]:
    """The distinct values in first-seen order, and each value's position among them.

    Row columns repeat few distinct values (regions, dates, post types), so converting each
    distinct value once and gathering with the positions beats converting row by row.
    """
    distinct = list(dict.fromkeys(values))
    position = dict(zip(distinct, range(len(distinct)), strict=True))
    at = np.fromiter(map(position.__getitem__, values), dtype=np.int64, count=len(values))
    return distinct, at


def region_key(code: str) -> int:
    """A region code (to township level) padded to nine digits: 430981 → 430981000."""
    return int(code[:9].ljust(9, "0"))


def by_value(values: Sequence[_T], convert: Callable[[_T], Any], dtype: Any) -> npt.NDArray[Any]:
    """convert() applied once per distinct value, one (scalar) result per row."""
    converted = {v: convert(v) for v in set(values)}
    return np.fromiter(map(converted.__getitem__, values), dtype=dtype, count=len(values))


_POST_CSR = ("skill_indptr", "skill_indices")
_POST_REGION_LEVELS = ("province", "prefecture", "county", "township")
_WIDE = {"lat": np.float64, "lon": np.float64}  # kept exact; PostArrays narrows them to float32


@dataclass(frozen=True, eq=False)
class PostColumns:
    """Posts column by column: what PostArrays is packed from, without one object per post.

    `columns` holds PostArrays's init columns in their dtypes (lat/lon as float64), `regions` each
    post's region code and `region_keys` its code padded to nine digits. The live index keeps
    these to take, join and re-pack rows between full builds; `record(row)` gives one post back
    as the scorer sees it.
    """

    columns: dict[str, npt.NDArray[Any]]
    regions: npt.NDArray[np.object_]
    region_keys: I64

    def __post_init__(self) -> None:
        names = [name for name, _ in _columns(PostArrays)]
        if set(self.columns) != set(names):
            raise ValueError(f"columns must be exactly {names}")
        regions = np.asarray(self.regions, dtype=object)
        n = len(regions)
        c: dict[str, npt.NDArray[Any]] = {}
        for name, dtype in _columns(PostArrays):
            value = np.ascontiguousarray(self.columns[name], dtype=_WIDE.get(name, dtype))
            if value.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional")
            if name not in _POST_CSR and len(value) != n:
                raise ValueError(f"{name} has {len(value)} rows, expected {n}")
            c[name] = value
        keys = np.ascontiguousarray(self.region_keys, dtype=np.int64)
        if regions.ndim != 1 or keys.shape != (n,):
            raise ValueError(f"regions and region_keys must be one-dimensional, {n} rows")
        _set(self, columns=c, regions=regions, region_keys=keys)
        check_csr(c["skill_indptr"], c["skill_indices"], n, "skills")
        wmin, wmax = c["wage_min"], c["wage_max"]
        # The checks PostRecord makes, for rows that never were records.
        if np.any(wmin < 0) or np.any(wmax < 0):
            raise ValueError("wages must be >= 0")
        if np.any((wmin > 0) & (wmax > 0) & (wmin > wmax)):
            raise ValueError("wage_min must be <= wage_max")
        if np.any(c["occupation"] < -1):
            raise ValueError("taxonomy indices must be >= 0")

    @classmethod
    def of(
        cls,
        regions: Sequence[str],
        *,
        seat: Callable[[str], tuple[float, float]] | None = None,
        ages: tuple[Sequence[int | None], Sequence[int | None]],
        valid: tuple[Sequence[date | None], Sequence[date | None]],
        occupation: Sequence[int | None],
        **columns: Any,
    ) -> "PostColumns":
        """From region codes, nullable ages, dates and occupations, and the other init columns
        but the four region levels, which are parsed here once per distinct code (as are lat
        and lon when `seat` gives them for a code)."""
        distinct, at = factorize(regions)
        parts = np.array([region_parts(c) for c in distinct], dtype=np.int32).reshape(-1, 4)[at]
        keys = np.array([region_key(c) for c in distinct], dtype=np.int64)[at]
        columns |= dict(zip(_POST_REGION_LEVELS, parts.T, strict=True))
        if seat is not None:
            seats = np.array([seat(c) for c in distinct], dtype=np.float64).reshape(-1, 2)[at]
            columns |= {"lat": seats[:, 0], "lon": seats[:, 1]}
        columns["age_min"] = [AGE_NONE_MIN if a is None else a for a in ages[0]]
        columns["age_max"] = [AGE_NONE_MAX if a is None else a for a in ages[1]]
        columns["valid_from"] = _days(valid[0], DAY_NONE_FROM)
        columns["valid_until"] = _days(valid[1], DAY_NONE_UNTIL)
        columns["occupation"] = by_value(occupation, lambda o: -1 if o is None else o, np.int32)
        codes = np.empty(len(distinct), dtype=object)
        codes[:] = distinct
        return cls(columns, codes[at], keys)

    @classmethod
    def from_records(cls, records: Iterable[PostRecord]) -> "PostColumns":
        """Post records as columns."""
        rs = list(records)
        indptr, indices = csr([r.required_skills for r in rs])
        return cls.of(
            [r.region for r in rs],
            ages=([r.age_min for r in rs], [r.age_max for r in rs]),
            valid=([r.valid_from for r in rs], [r.valid_until for r in rs]),
            occupation=[r.occupation for r in rs],
            ids=[r.id for r in rs],
            lat=[r.lat for r in rs],
            lon=[r.lon for r in rs],
            kind=[int(r.kind) for r in rs],
            wage_min=[r.wage_min for r in rs],
            wage_max=[r.wage_max for r in rs],
            openings_left=[r.openings_left for r in rs],
            is_open=[r.is_open for r in rs],
            skill_indptr=indptr,
            skill_indices=indices,
        )

    @property
    def ids(self) -> I64:
        """Post ids, one per row."""
        return self.columns["ids"]

    def __len__(self) -> int:
        return len(self.regions)

    def pack(self) -> PostArrays:
        """The rows as a PostArrays (sharing every column it need not convert)."""
        return PostArrays(**self.columns)

    def take(self, rows: I64) -> Self:
        """These rows, in this order."""
        rows = np.asarray(rows, dtype=np.int64)
        c = self.columns
        taken = {name: col[rows] for name, col in c.items() if name not in _POST_CSR}
        indptr, indices = take_rows(c["skill_indptr"], c["skill_indices"], rows)
        taken |= {"skill_indptr": indptr, "skill_indices": indices}
        return type(self)(taken, self.regions[rows], self.region_keys[rows])

    def concat(self, others: Sequence[Self]) -> Self:
        """These rows followed by the others'."""
        if not others:
            return self
        parts = [self, *others]
        names = [n for n in self.columns if n not in _POST_CSR]
        joined = {n: np.concatenate([p.columns[n] for p in parts]) for n in names}
        indptr, indices = join_rows([(p.columns["skill_indptr"], p.columns["skill_indices"])
                                     for p in parts])  # fmt: skip
        joined |= {"skill_indptr": indptr, "skill_indices": indices}
        regions = np.concatenate([p.regions for p in parts])
        return type(self)(joined, regions, np.concatenate([p.region_keys for p in parts]))

    def record(self, row: int) -> PostRecord:
        """One row as a record; sentinel ages, dates and occupations come back as None."""
        c = self.columns
        start, stop = c["skill_indptr"][row], c["skill_indptr"][row + 1]
        age_min, age_max = int(c["age_min"][row]), int(c["age_max"][row])
        occupation = int(c["occupation"][row])
        return PostRecord(
            id=int(c["ids"][row]), region=str(self.regions[row]),
            lat=float(c["lat"][row]), lon=float(c["lon"][row]), kind=PostKind(int(c["kind"][row])),
            wage_min=int(c["wage_min"][row]), wage_max=int(c["wage_max"][row]),
            age_min=None if age_min == AGE_NONE_MIN else age_min,
            age_max=None if age_max == AGE_NONE_MAX else age_max,
            openings_left=int(c["openings_left"][row]), is_open=bool(c["is_open"][row]),
            valid_from=_date(int(c["valid_from"][row]), DAY_NONE_FROM),
            valid_until=_date(int(c["valid_until"][row]), DAY_NONE_UNTIL),
            occupation=None if occupation < 0 else occupation,
            required_skills=tuple(c["skill_indices"][start:stop].tolist()),
        )  # fmt: skip


def _days(days: Sequence[date | None], none: int) -> I32:
    return by_value(days, lambda d: _day(d, none), np.int32)


def _date(number: int, none: int) -> date | None:
    return None if number == none else date.fromordinal(number)


# LabourerArrays fields a one-row slice rebuilds rather than slices (see LabourerArrays.row).
_ROW_SPECIAL = frozenset(
    {"unit", "skill_indptr", "skill_indices", "pref_indptr", "pref_indices", "skill_ptr",
     "skill_rows", "pref_ptr", "pref_rows", "max_index"}
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class LabourerArrays:
    """N labourers as parallel arrays, for the top-labourers-for-a-post direction.

    Region levels a code lacks may be given as 0; they are stored as -1, which no post code
    equals, so "same county" stays a plain integer comparison. Never changed in place: a
    labourer index's arrays may be read-only views of a file the host's web workers share
    (matches.store); a change makes a new LabourerArrays (a delta block).
    """

    ids: I64
    province: I32
    prefecture: I32
    county: I32
    township: I32
    lat: F32  # degrees, county seat; NaN when unknown
    lon: F32
    willingness: I8  # Willingness
    seeking: Bool  # able and seeking work
    age: I16  # -1 when unknown
    expected_wage: F32  # 0 when none
    sanwu: Bool
    zero_employment: Bool
    skill_indptr: I64
    skill_indices: I32
    pref_indptr: I64  # preferred occupations as CSR over the taxonomy
    pref_indices: I32
    unit: tuple[F32, F32, F32] = field(init=False, repr=False)
    required_level: I8 = field(init=False, repr=False)  # deepest common level a post needs
    inv_decay_km: F32 = field(init=False, repr=False)
    wage_expected: F32 = field(init=False, repr=False)  # 1 / 0
    pref_base: F32 = field(init=False, repr=False)  # PREF_NONE without preferences, else PREF_OTHER
    # Inverted indexes (taxonomy entry → labourer rows), so that scoring one post touches only
    # the labourers holding a relevant skill or occupation, not every labourer.
    skill_ptr: I64 = field(init=False, repr=False)
    skill_rows: I64 = field(init=False, repr=False)
    pref_ptr: I64 = field(init=False, repr=False)
    pref_rows: I64 = field(init=False, repr=False)
    max_index: int = field(init=False, repr=False)  # largest taxonomy index used
    no_skills: Bool = field(init=False, repr=False)  # no skill recorded

    def __post_init__(self) -> None:
        _coerce(self)
        check_csr(self.skill_indptr, self.skill_indices, len(self.ids), "skills")
        _set(self, no_skills=np.diff(self.skill_indptr) == 0)
        check_csr(self.pref_indptr, self.pref_indices, len(self.ids), "preferences")
        if len(self.willingness) and not (
            0 <= self.willingness.min() <= self.willingness.max() <= 4
        ):
            raise ValueError("willingness must be a Willingness rank 0..4")
        levels = [self.prefecture, self.county, self.township]
        for name, codes in zip(("prefecture", "county", "township"), levels, strict=True):
            _set(self, **{name: np.where(codes > 0, codes, -1).astype(np.int32)})
        # Capped at the depth the labourer's own code has: a county-level code can only be
        # matched "same county" even by someone who would stay in their township.
        depth = np.ones(len(self.ids), dtype=np.int8)
        for codes in levels:
            depth += codes > 0
        _set(
            self,
            unit=unit_vectors(self.lat, self.lon),
            required_level=np.minimum(REQUIRED_LEVEL[self.willingness], depth),
            inv_decay_km=(np.float32(1) / DECAY_KM[self.willingness]).astype(np.float32),
            wage_expected=(self.expected_wage > 0).astype(np.float32),
            pref_base=np.where(np.diff(self.pref_indptr) > 0, PREF_OTHER, PREF_NONE).astype(
                np.float32
            ),
        )
        skill_ptr, skill_rows = invert(self.skill_indptr, self.skill_indices)
        pref_ptr, pref_rows = invert(self.pref_indptr, self.pref_indices)
        _set(self, skill_ptr=skill_ptr, skill_rows=skill_rows, pref_ptr=pref_ptr)
        # An inverted index over v values has v + 1 pointers.
        _set(self, pref_rows=pref_rows, max_index=max(len(skill_ptr), len(pref_ptr)) - 2)

    def __len__(self) -> int:
        return len(self.ids)

    def skills_of(self, row: int) -> I32:
        """The taxonomy indices of one labourer's skills."""
        return self.skill_indices[self.skill_indptr[row] : self.skill_indptr[row + 1]]

    def preferences_of(self, row: int) -> I32:
        """The taxonomy indices of one labourer's preferred occupations."""
        return self.pref_indices[self.pref_indptr[row] : self.pref_indptr[row + 1]]

    def row(self, row: int) -> "LabourerArrays":
        """One labourer as arrays of its own, sliced rather than packed and derived again.

        The group scorer (scoring.batch) takes a group's shared columns and each distinct
        expected wage from single rows; re-packing them from profiles would cost more than the
        scoring. The slices are views: neither may be changed after.
        """
        one = object.__new__(LabourerArrays)
        window = slice(row, row + 1)
        skills, prefs = self.skills_of(row), self.preferences_of(row)
        for f in fields(self):
            if f.name not in _ROW_SPECIAL:
                _set(one, **{f.name: getattr(self, f.name)[window]})
        skill_indptr = np.array([0, len(skills)], dtype=np.int64)
        pref_indptr = np.array([0, len(prefs)], dtype=np.int64)
        skill_ptr, skill_rows = invert(skill_indptr, skills)
        pref_ptr, pref_rows = invert(pref_indptr, prefs)
        _set(
            one,
            unit=tuple(axis[window] for axis in self.unit),
            skill_indptr=skill_indptr,
            skill_indices=skills,
            pref_indptr=pref_indptr,
            pref_indices=prefs,
            skill_ptr=skill_ptr,
            skill_rows=skill_rows,
            pref_ptr=pref_ptr,
            pref_rows=pref_rows,
            max_index=max(len(skill_ptr), len(pref_ptr)) - 2,
        )
        return one

    def per_labourer(self, rows: I64) -> "LabourerArrays":
        """These rows' per-labourer columns (derived ones included), for the components scored
        pair by pair: the candidates of a post are scored only on the rows that pass the hard
        filters (scoring.core.score_labourers_for_post). Each column is gathered when first
        read: of the twenty, a post's scoring reads about two thirds, and gathering one over
        95,000 rows costs 0.2 ms (issue 14). Their skill and preference lists and inverted
        indexes are left out (None: a use fails loudly); the skills and preference components
        are computed on the whole set, through its inverted indexes."""
        part = object.__new__(_LabourerRows)
        _set(part, _whole=self, _rows=rows, max_index=self.max_index)
        for name in _ROW_SPECIAL - {"unit", "max_index"}:
            _set(part, **{name: None})
        return part

    @classmethod
    def from_profiles(cls, profiles: Iterable[LabourerProfile]) -> "LabourerArrays":
        """Pack labourer profiles into arrays. Directly, not through LabourerColumns: every
        match packs its one labourer, and the table's coding costs 70 µs more (176 against
        106 µs a profile)."""
        ps = list(profiles)
        regions = np.array([region_parts(p.region) for p in ps], dtype=np.int32).reshape(-1, 4)
        columns = _profile_columns(ps) | dict(zip(_POST_REGION_LEVELS, regions.T, strict=True))
        columns |= {"lat": [p.lat for p in ps], "lon": [p.lon for p in ps]}
        return cls(**columns)

    def parts(self) -> dict[str, npt.NDArray[Any]]:
        """Every array of the set, derived ones included (`unit` as unit_0..2), by name: what
        `from_parts` assembles again without deriving anything (a shared index: matches.store)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_ARRAYS}
        out |= {f"unit_{axis}": values for axis, values in enumerate(self.unit)}
        return out

    @classmethod
    def from_parts(cls, parts: Mapping[str, npt.NDArray[Any]]) -> "LabourerArrays":
        """The set `parts()` gave, from those arrays (which may be read-only views)."""
        arrays = object.__new__(cls)
        for f in fields(cls):
            if f.name not in _NOT_ARRAYS:
                _set(arrays, **{f.name: parts[f.name]})
        skill_ptr, pref_ptr = parts["skill_ptr"], parts["pref_ptr"]
        _set(arrays, unit=tuple(parts[f"unit_{axis}"] for axis in range(3)),
             max_index=max(len(skill_ptr), len(pref_ptr)) - 2)  # fmt: skip
        return arrays


_NOT_ARRAYS = frozenset({"unit", "max_index"})


class _LabourerRows(LabourerArrays):
    """Some rows of a LabourerArrays (`per_labourer`), each column gathered on first read."""

    _whole: LabourerArrays
    _rows: I64

    def __getattr__(self, name: str) -> Any:
        # Called only for an attribute not set yet: a column not gathered so far.
        whole = self.__dict__.get("_whole")
        if whole is None or name.startswith("__"):
            raise AttributeError(name)
        if name == "unit":
            value: Any = tuple(axis[self._rows] for axis in whole.unit)
        elif name in _PER_LABOURER:
            value = getattr(whole, name)[self._rows]
        else:
            raise AttributeError(name)
        _set(self, **{name: value})
        return value


_PER_LABOURER = frozenset(f.name for f in fields(LabourerArrays)) - _ROW_SPECIAL


_LABOURER_CSR = ("skill_indptr", "skill_indices", "pref_indptr", "pref_indices")


@dataclass(frozen=True, eq=False)
class LabourerColumns:
    """Labourers column by column: what LabourerArrays is packed from, and what a labourer's
    profile is made back from, without one object per labourer (issue 14).

    `columns` holds LabourerArrays's init columns (region levels as region_parts gives them,
    lat/lon as float64 so that a profile's seat is exact); region codes and sexes are kept as
    an index into a few distinct values (`region_codes`, `sexes`; -1: no sex recorded). Ages
    of -1 and expected wages of 0 read back as None.
    """

    columns: dict[str, npt.NDArray[Any]]
    region_index: I32
    region_codes: tuple[str, ...]
    sex: I8
    sexes: tuple[str, ...]

    def __post_init__(self) -> None:
        names = [name for name, _ in _columns(LabourerArrays)]
        if set(self.columns) != set(names):
            raise ValueError(f"columns must be exactly {names}")
        n = len(self.region_index)
        c: dict[str, npt.NDArray[Any]] = {}
        for name, dtype in _columns(LabourerArrays):
            value = np.asarray(self.columns[name], dtype=_WIDE.get(name, dtype))
            if value.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional")
            if name not in _LABOURER_CSR and len(value) != n:
                raise ValueError(f"{name} has {len(value)} rows, expected {n}")
            c[name] = value
        check_csr(c["skill_indptr"], c["skill_indices"], n, "skills")
        check_csr(c["pref_indptr"], c["pref_indices"], n, "preferences")
        region_index = np.asarray(self.region_index, dtype=np.int32)
        sex = np.asarray(self.sex, dtype=np.int8)
        if sex.shape != (n,):
            raise ValueError(f"sex must have {n} rows")
        if n and (region_index.min() < 0 or region_index.max() >= len(self.region_codes)):
            raise ValueError("region_index must point into region_codes")
        _set(self, columns=c, region_index=region_index, sex=sex,
             region_codes=tuple(self.region_codes), sexes=tuple(self.sexes))  # fmt: skip

    @classmethod
    def of(
        cls,
        regions: Sequence[str],
        *,
        seat: Callable[[str], tuple[float, float]],
        sex: Sequence[str | None],
        **columns: Any,
    ) -> "LabourerColumns":
        """From region codes (parsed, and placed by `seat`, once per distinct code), sexes,
        and the other init columns but the region levels and lat/lon."""
        distinct, at = factorize(regions)
        sexes, sex_at = factorize(list(sex))
        known = [s for s in sexes if s is not None]
        code = np.array([-1 if s is None else known.index(s) for s in sexes], dtype=np.int8)
        return cls.coded(distinct, at, seat=seat, sex=code[sex_at], sexes=known, **columns)

    @classmethod
    def coded(
        cls,
        region_codes: Sequence[str],
        region_index: npt.NDArray[Any],
        *,
        seat: Callable[[str], tuple[float, float]],
        sex: npt.NDArray[Any],
        sexes: Sequence[str],
        **columns: Any,
    ) -> "LabourerColumns":
        """As `of`, regions and sexes given as their distinct values and each row's position
        among them (sex -1: none recorded)."""
        at = np.asarray(region_index, dtype=np.int64)
        parts = np.array([region_parts(c) for c in region_codes], dtype=np.int32).reshape(-1, 4)
        seats = np.array([seat(c) for c in region_codes], dtype=np.float64).reshape(-1, 2)
        columns |= dict(zip(_POST_REGION_LEVELS, parts[at].T, strict=True))
        columns |= {"lat": seats[at, 0], "lon": seats[at, 1]}
        return cls(columns, at.astype(np.int32), tuple(region_codes), sex, tuple(sexes))

    @classmethod
    def from_profiles(cls, profiles: Iterable[LabourerProfile]) -> "LabourerColumns":
        """Labourer profiles as columns (their own lat/lon kept)."""
        ps = list(profiles)
        table = cls.of([p.region for p in ps], seat=_no_seat, sex=[p.sex for p in ps],
                       **_profile_columns(ps))  # fmt: skip
        # Each profile's own point (two of one region may carry different ones).
        table.columns["lat"][:] = [p.lat for p in ps]
        table.columns["lon"][:] = [p.lon for p in ps]
        return table

    @property
    def ids(self) -> I64:
        """Labourer ids, one per row."""
        return self.columns["ids"]

    @property
    def region_keys(self) -> I64:
        """Each row's region code padded to nine digits (region_key)."""
        keys = np.array([region_key(c) for c in self.region_codes], dtype=np.int64)
        return keys[self.region_index] if len(keys) else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.region_index)

    def pack(self) -> LabourerArrays:
        """The rows as a LabourerArrays (sharing every column it need not convert)."""
        return LabourerArrays(**self.columns)

    def take(self, rows: I64) -> Self:
        """These rows, in this order."""
        rows = np.asarray(rows, dtype=np.int64)
        c = self.columns
        taken = {name: col[rows] for name, col in c.items() if name not in _LABOURER_CSR}
        for kind in ("skill", "pref"):
            indptr, indices = take_rows(c[f"{kind}_indptr"], c[f"{kind}_indices"], rows)
            taken |= {f"{kind}_indptr": indptr, f"{kind}_indices": indices}
        return type(self)(taken, self.region_index[rows], self.region_codes, self.sex[rows],
                          self.sexes)  # fmt: skip

    def concat(self, others: Sequence[Self]) -> Self:
        """These rows followed by the others'."""
        if not others:
            return self
        parts = [self, *others]
        names = [n for n in self.columns if n not in _LABOURER_CSR]
        joined = {n: np.concatenate([p.columns[n] for p in parts]) for n in names}
        for kind in ("skill", "pref"):
            indptr, indices = join_rows(
                [(p.columns[f"{kind}_indptr"], p.columns[f"{kind}_indices"]) for p in parts]
            )
            joined |= {f"{kind}_indptr": indptr, f"{kind}_indices": indices}
        codes, sexes = _merged([p.region_codes for p in parts]), _merged([p.sexes for p in parts])
        region_index = np.concatenate([_recode(p.region_index, p.region_codes, codes)
                                       for p in parts])  # fmt: skip
        sex = np.concatenate([_recode(p.sex, p.sexes, sexes) for p in parts]).astype(np.int8)
        return type(self)(joined, region_index, codes, sex, sexes)

    def record(self, row: int) -> LabourerProfile:
        """One row as a profile."""
        c = self.columns
        age, wage, sex = int(c["age"][row]), int(c["expected_wage"][row]), int(self.sex[row])
        skills = c["skill_indices"][c["skill_indptr"][row] : c["skill_indptr"][row + 1]]
        prefs = c["pref_indices"][c["pref_indptr"][row] : c["pref_indptr"][row + 1]]
        return LabourerProfile(
            id=int(c["ids"][row]), region=self.region_codes[int(self.region_index[row])],
            lat=float(c["lat"][row]), lon=float(c["lon"][row]),
            willingness=Willingness(int(c["willingness"][row])),
            able_and_seeking=bool(c["seeking"][row]), age=None if age < 0 else age,
            sex=None if sex < 0 else self.sexes[sex], expected_wage=wage or None,
            skills=tuple(skills.tolist()), preferred_occupations=tuple(prefs.tolist()),
            sanwu=bool(c["sanwu"][row]), zero_employment_household=bool(c["zero_employment"][row]),
        )  # fmt: skip


def _no_seat(code: str) -> tuple[float, float]:
    return (float("nan"), float("nan"))


def _merged(codes: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chain.from_iterable(codes)))


def _recode(index: npt.NDArray[Any], codes: tuple[str, ...], into: tuple[str, ...]) -> I32:
    """Positions among `codes` as positions among `into` (a superset); -1 stays -1."""
    position = {c: i for i, c in enumerate(into)}
    mapping = np.array([position[c] for c in codes] + [-1], dtype=np.int32)
    return np.asarray(mapping[index], dtype=np.int32)  # -1 picks the appended -1


def _profile_columns(ps: Sequence[LabourerProfile]) -> dict[str, Any]:
    skill_indptr, skill_indices = csr([p.skills for p in ps])
    pref_indptr, pref_indices = csr([p.preferred_occupations for p in ps])
    return {
        "ids": [p.id for p in ps],
        "willingness": [int(p.willingness) for p in ps],
        "seeking": [p.able_and_seeking for p in ps],
        "age": [-1 if p.age is None else p.age for p in ps],
        "expected_wage": [p.expected_wage or 0 for p in ps],
        "sanwu": [p.sanwu for p in ps],
        "zero_employment": [p.zero_employment_household for p in ps],
        "skill_indptr": skill_indptr,
        "skill_indices": skill_indices,
        "pref_indptr": pref_indptr,
        "pref_indices": pref_indices,
    }

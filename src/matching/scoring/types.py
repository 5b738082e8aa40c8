"""Plain values the scoring core takes and returns: no ORM, no FastAPI, no database."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import IntEnum

COMPONENTS = ("location", "skills", "wage", "preference", "priority")


class Willingness(IntEnum):
    """How far from home a labourer will work (外出意愿), nearest first.

    Member names equal the values of `matching.labourers.models.Relocation`, so
    `Willingness.parse(labourer.relocation)` converts without importing the ORM here.
    """

    township = 0  # 本乡镇
    county = 1  # 本县
    prefecture = 2  # 本市
    province = 3  # 本省
    anywhere = 4  # 省外也可

    @classmethod
    def parse(cls, value: str) -> "Willingness":
        """The rank for a relocation name such as "county"."""
        try:
            return cls[str(value)]
        except KeyError:
            raise ValueError(f"unknown relocation willingness {value!r}") from None


class PostKind(IntEnum):
    """岗位类型; member names equal the values of `matching.posts.models.PostType`."""

    enterprise = 0  # 企业岗位
    workshop = 1  # 扶贫车间
    base = 2  # 就业扶贫基地
    public_welfare = 3  # 公益性岗位
    home_based = 4  # 居家就业

    @classmethod
    def parse(cls, value: str) -> "PostKind":
        """The code for a post-type name such as "workshop"."""
        try:
            return cls[str(value)]
        except KeyError:
            raise ValueError(f"unknown post type {value!r}") from None


class Level(IntEnum):
    """Deepest region level two codes share; higher is nearer."""

    other_province = 0
    province = 1
    prefecture = 2
    county = 3
    township = 4


@dataclass(frozen=True)
class ScoringWeights:
    """Weights of the score components, normalised on construction to sum 1."""

    location: float = 0.35
    skills: float = 0.30
    wage: float = 0.15
    preference: float = 0.10
    priority: float = 0.10

    def __post_init__(self) -> None:
        values = [float(getattr(self, name)) for name in COMPONENTS]
        if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
            raise ValueError(f"weights must be finite, >= 0 and not all 0: {values}")
        total = sum(values)
        for name, value in zip(COMPONENTS, values, strict=True):
            object.__setattr__(self, name, value / total)

    def as_dict(self) -> dict[str, float]:
        """Component name → weight."""
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    def shown(self) -> dict[str, float]:
        """Component name → weight to 6 decimals, as responses show them (normalising leaves
        float noise such as 0.35000000000000003)."""
        return {name: round(value, 6) for name, value in self.as_dict().items()}


@dataclass(frozen=True)
class LabourerProfile:
    """One labourer as the scorer sees them: ids, codes and numbers only."""

    id: int
    region: str  # canonical GB/T 2260 code, 2/4/6/9/12 digits
    lat: float  # of the county seat (NaN when unknown)
    lon: float
    willingness: Willingness = Willingness.county
    able_and_seeking: bool = True
    age: int | None = None
    # Carried for callers; a post's sex requirement is never applied (docs/domain.md, "Matching").
    sex: str | None = None
    expected_wage: int | None = None  # 元/月
    skills: tuple[int, ...] = ()  # indices into the skill similarity matrix
    # Same length as `skills` when given; not scored, since the index holds no required level.
    skill_levels: tuple[int, ...] = ()
    preferred_occupations: tuple[int, ...] = ()  # taxonomy indices
    sanwu: bool = False  # 三无: 无法离乡、无业可扶、无力脱贫
    zero_employment_household: bool = False  # 零就业家庭
    education: int | None = None  # rank, lowest first; §3 does not score it

    def __post_init__(self) -> None:
        if self.skill_levels and len(self.skill_levels) != len(self.skills):
            raise ValueError("skill_levels must be empty or as long as skills")
        if any(i < 0 for i in (*self.skills, *self.preferred_occupations)):
            raise ValueError("taxonomy indices must be >= 0")
        if self.expected_wage is not None and self.expected_wage < 0:
            raise ValueError("expected_wage must be >= 0")


@dataclass(frozen=True)
class PostRecord:
    """One post as the scorer sees it; `PostArrays.from_records` packs many of them."""

    id: int
    region: str  # workplace, canonical GB/T 2260 code
    lat: float  # of the workplace's county seat (NaN when unknown)
    lon: float
    kind: PostKind = PostKind.enterprise
    wage_min: int = 0  # 元/月; 0 when not stated
    wage_max: int = 0
    age_min: int | None = None
    age_max: int | None = None
    openings_left: int = 1
    is_open: bool = True  # status == open
    valid_from: date | None = None
    valid_until: date | None = None  # inclusive
    occupation: int | None = None  # taxonomy index
    required_skills: tuple[int, ...] = ()  # taxonomy indices

    def __post_init__(self) -> None:
        if self.wage_min < 0 or self.wage_max < 0:
            raise ValueError("wages must be >= 0")
        if self.wage_min and self.wage_max and self.wage_min > self.wage_max:
            raise ValueError("wage_min must be <= wage_max")
        if any(i < 0 for i in self.required_skills) or (self.occupation or 0) < 0:
            raise ValueError("taxonomy indices must be >= 0")


@dataclass(frozen=True)
class Reason:
    """One plain-language reason, in Chinese and English, with a stable code."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Match:
    """A scored labourer–post pair: total in [0, 1], the per-component breakdown, reasons."""

    post_id: int
    labourer_id: int
    total: float
    breakdown: Mapping[str, float]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Explanation:
    """Everything about one pair; `total` is what it scores, a candidate only when `eligible`."""

    post_id: int
    labourer_id: int
    eligible: bool
    failed: tuple[Reason, ...]  # the hard filters the pair fails, empty when eligible
    total: float
    breakdown: Mapping[str, float]
    reasons: tuple[Reason, ...]

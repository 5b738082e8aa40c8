"""What the scorer needs besides the two sides: skill similarities, corridors and weights."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching.scoring.types import ScoringWeights

PROVINCE_CODES = 100  # two-digit province codes index a 100 × 100 corridor table


def _index_name(index: int) -> str:
    return f"#{index}"


@dataclass(frozen=True, eq=False)
class SkillSpace:
    """The taxonomy as plain arrays: `similarity[have, need]` in [0, 1], a group per index."""

    similarity: npt.NDArray[np.float32]  # 1 on the diagonal, related weight, group constant, 0
    groups: npt.NDArray[np.int32]
    name: Callable[[int], str] = _index_name
    # What same-group membership alone scores; above it a pair is a directly related skill.
    group_similarity: float = 0.5
    # Per entry, what anyone reaches on it without a matching skill: a general-labour skill
    # (普工, 小工 …) is learnt on the job. None: zeros.
    floor: npt.NDArray[np.float32] | None = None

    def __post_init__(self) -> None:
        sim = np.ascontiguousarray(self.similarity, dtype=np.float32)
        groups = np.ascontiguousarray(self.groups, dtype=np.int32)
        if sim.ndim != 2 or sim.shape[0] != sim.shape[1] or groups.shape != (sim.shape[0],):
            raise ValueError("similarity must be T × T and groups of length T")
        if sim.size and (not np.isfinite(sim).all() or sim.min() < 0 or sim.max() > 1):
            raise ValueError("similarities must lie in [0, 1]")
        floor = np.zeros(len(groups), dtype=np.float32) if self.floor is None else self.floor
        floor = np.ascontiguousarray(floor, dtype=np.float32)
        if floor.shape != groups.shape or (
            floor.size and (not np.isfinite(floor).all() or floor.min() < 0 or floor.max() > 1)
        ):
            raise ValueError("floor must have one value in [0, 1] per taxonomy entry")
        object.__setattr__(self, "similarity", sim)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "floor", floor)
        # Rounded as the matrix is, so that a float32 0.4 is not "above" a threshold of 0.4.
        object.__setattr__(self, "group_similarity", float(np.float32(self.group_similarity)))

    @property
    def size(self) -> int:
        """Number of taxonomy entries."""
        return int(self.groups.shape[0])

    @property
    def floors(self) -> npt.NDArray[np.float32]:
        """`floor`, never None after construction."""
        assert self.floor is not None
        return self.floor


@dataclass(frozen=True, eq=False)
class Corridors:
    """Province pairs with a labour-cooperation agreement, either direction ("44", "45")."""

    pairs: tuple[tuple[str, str], ...] = ()
    table: npt.NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        table = np.zeros((PROVINCE_CODES, PROVINCE_CODES), dtype=np.bool_)
        for a, b in self.pairs:
            pa, pb = _province(a), _province(b)
            if pa == pb:  # the scorer relies on a corridor joining two provinces
                raise ValueError(f"a corridor joins two different provinces, got {a!r} twice")
            table[pa, pb] = table[pb, pa] = True
        object.__setattr__(self, "pairs", tuple((a, b) for a, b in self.pairs))
        object.__setattr__(self, "table", table)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "Corridors":
        """Corridors from any iterable of province-code pairs (e.g. the settings' list)."""
        return cls(tuple((a, b) for a, b in pairs))

    def links(self, a: str, b: str) -> bool:
        """True when the two provinces have an agreement."""
        return bool(self.table[_province(a), _province(b)])


def _province(code: str) -> int:
    if len(code) != 2 or not (code.isascii() and code.isdigit()) or code == "00":
        raise ValueError(f"a province code has two digits, got {code!r}")
    return int(code)


@dataclass(frozen=True, eq=False)
class ScoringContext:
    """The slow-changing inputs of every scoring call."""

    skills: SkillSpace
    weights: ScoringWeights = field(default_factory=ScoringWeights)
    corridors: Corridors = field(default_factory=Corridors)

"""A tiny synthetic taxonomy, a handful of regions and makers of profiles and posts.

Nothing here touches a database: the scoring core takes plain values and arrays.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pytest

from matching.scoring import (
    Corridors,
    LabourerProfile,
    PostRecord,
    ScoringContext,
    SkillSpace,
    Willingness,
)

TODAY = date(2025, 6, 1)

# index: name, group
SKILLS = [
    ("焊工", 0),
    ("电焊工", 0),
    ("叉车证", 1),
    ("电工", 0),
    ("缝纫工", 2),
    ("保洁员", 3),
    ("护林员", 3),
    ("电梯安装维修工", 4),
    ("普工", 5),  # general labour: learnt on the job (SkillSpace.floor)
]
GENERAL_LABOUR = 8
RELATED = [(0, 1, 0.8), (3, 7, 0.7)]  # 焊工–电焊工 (same group), 电工–电梯安装维修工 (across)
GROUP_SIMILARITY = 0.4


@dataclass(frozen=True)
class Place:
    """A region code with its county seat."""

    code: str
    lat: float
    lon: float


# The labourer lives in a village of 南宁市青秀区 (Guangxi); the rest are posts' workplaces.
HOME = Place("450103001001", 22.82, 108.39)
PLACES = {
    "township": Place("450103001", 22.82, 108.39),
    "county": Place("450103", 22.82, 108.39),
    "county_other_township": Place("450103002", 22.82, 108.39),
    "prefecture": Place("450123", 23.17, 107.69),  # 隆安县
    "province": Place("450202", 24.33, 109.41),  # 柳州
    "corridor": Place("440106", 23.13, 113.36),  # 广州天河 (Guangdong–Guangxi corridor)
    "other_province": Place("330106", 30.26, 120.13),  # 杭州西湖
}


def similarity_matrix() -> np.ndarray:
    """1 on the diagonal, related weights, the group constant within a group, else 0."""
    groups = np.array([g for _, g in SKILLS])
    sim = np.where(groups[:, None] == groups[None, :], GROUP_SIMILARITY, 0.0)
    for a, b, w in RELATED:
        sim[a, b] = sim[b, a] = w
    np.fill_diagonal(sim, 1.0)
    return sim.astype(np.float32)


@pytest.fixture(scope="session")
def space() -> SkillSpace:
    """The synthetic taxonomy."""
    return SkillSpace(
        similarity_matrix(),
        np.array([g for _, g in SKILLS]),
        name=lambda i: SKILLS[i][0],
        group_similarity=GROUP_SIMILARITY,
        floor=np.array([0.6 if i == GENERAL_LABOUR else 0.0 for i in range(len(SKILLS))]),
    )


@pytest.fixture(scope="session")
def ctx(space: SkillSpace) -> ScoringContext:
    """Default weights, one corridor (Guangdong–Guangxi)."""
    return ScoringContext(space, corridors=Corridors((("44", "45"),)))


def _profile(**overrides: Any) -> LabourerProfile:
    values: dict[str, Any] = {
        "id": 1,
        "region": HOME.code,
        "lat": HOME.lat,
        "lon": HOME.lon,
        "willingness": Willingness.anywhere,
        "age": 35,
        "expected_wage": 4000,
    }
    return LabourerProfile(**(values | overrides))


def _post(post_id: int = 100, place: str = "county", **overrides: Any) -> PostRecord:
    where = PLACES[place]
    values: dict[str, Any] = {
        "id": post_id,
        "region": where.code,
        "lat": where.lat,
        "lon": where.lon,
        "wage_min": 4500,
        "wage_max": 4500,
    }
    return PostRecord(**(values | overrides))


@pytest.fixture(scope="session")
def make_profile() -> Callable[..., LabourerProfile]:
    """A seeking labourer at HOME, willing to go anywhere, unless overridden."""
    return _profile


@pytest.fixture(scope="session")
def make_post() -> Callable[..., PostRecord]:
    """An open post in the labourer's county paying 4500, unless overridden."""
    return _post


@pytest.fixture(scope="session")
def today() -> date:
    """The day every test scores on."""
    return TODAY


@pytest.fixture(scope="session")
def places() -> dict[str, Place]:
    """Workplaces by their relation to the labourer's home, plus "home" itself."""
    return PLACES | {"home": HOME}

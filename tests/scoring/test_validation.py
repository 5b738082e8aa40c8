"""The scoring core refuses malformed input with a ValueError that names what is wrong, rather
than scoring it: records, packed columns, the skill space, and empty batches."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from matching.scoring import LabourerProfile, PostRecord, SkillSpace
from matching.scoring.arrays import LabourerArrays, PostColumns
from matching.scoring.batch import top_per_row
from matching.scoring.sparse import check_csr
from matching.scoring.types import PostKind, Willingness


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="relocation"):
        Willingness.parse("moon")
    with pytest.raises(ValueError, match="post type"):
        PostKind.parse("castle")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"skills": (1, 2), "skill_levels": (1,)}, "skill_levels"),
        ({"skills": (-1,)}, "taxonomy"),
        ({"expected_wage": -5}, "expected_wage"),
    ],
)
def test_a_bad_labourer_profile_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LabourerProfile(id=1, region="430981", lat=28.8, lon=112.4, **change)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"wage_min": -1}, "wages"),
        ({"wage_min": 5000, "wage_max": 4000}, "wage_min"),
        ({"required_skills": (-2,)}, "taxonomy"),
        ({"occupation": -3}, "taxonomy"),
    ],
)
def test_a_bad_post_record_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PostRecord(id=1, region="430981", lat=28.8, lon=112.4, **change)


def _columns() -> PostColumns:
    return PostColumns.from_records(
        [
            PostRecord(id=1, region="430981", lat=28.8, lon=112.4, wage_min=3000, wage_max=4000),
            PostRecord(id=2, region="441900", lat=23.0, lon=113.7, required_skills=(3,)),
        ]
    )


def _rebuilt(change: Callable[[dict[str, Any]], None]) -> PostColumns:
    base = _columns()
    columns = dict(base.columns)
    change(columns)
    return PostColumns(columns, base.regions, base.region_keys)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("wage_min"), "columns must be exactly"),
        (lambda c: c.update(wage_min=np.zeros((2, 1))), "one-dimensional"),
        (lambda c: c.update(kind=np.zeros(3, np.int8)), "3 rows, expected 2"),
        (lambda c: c.update(wage_max=np.array([-1, 0])), "wages"),
        (lambda c: c.update(wage_min=np.array([5000, 0]), wage_max=np.array([100, 0])), "wage_min"),
        (lambda c: c.update(occupation=np.array([-5, -1])), "taxonomy"),
        (lambda c: c.update(skill_indptr=np.array([0, 0, 2])), "indptr"),
    ],
)
def test_packed_post_columns_are_checked_as_records_are(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _rebuilt(change)


def test_region_keys_must_match_the_rows() -> None:
    base = _columns()
    with pytest.raises(ValueError, match="region_keys"):
        PostColumns(dict(base.columns), base.regions, base.region_keys[:1])


def test_concatenating_nothing_gives_the_same_rows() -> None:
    base = _columns()
    assert base.concat([]) is base
    assert list(base.concat([base]).ids) == [1, 2, 1, 2]


def test_labourer_arrays_refuse_a_bad_column_and_rank() -> None:
    profile = LabourerProfile(id=1, region="430981100", lat=28.8, lon=112.4)
    good = LabourerArrays.from_profiles([profile])
    fields = {name: getattr(good, name) for name in LabourerArrays.__dataclass_fields__
              if LabourerArrays.__dataclass_fields__[name].init}  # fmt: skip
    with pytest.raises(ValueError, match="one-dimensional"):
        LabourerArrays(**(fields | {"age": np.zeros((1, 1))}))
    with pytest.raises(ValueError, match="Willingness rank"):
        LabourerArrays(**(fields | {"willingness": np.array([7], np.int8)}))


def test_csr_refuses_negative_steps_and_indices() -> None:
    with pytest.raises(ValueError, match="indptr"):
        check_csr(np.array([0, 2, 1, 2]), np.array([1, 2], np.int32), 3, "skills")
    with pytest.raises(ValueError, match="skills"):
        check_csr(np.array([0, 1]), np.array([-1], np.int32), 1, "skills")


@pytest.mark.parametrize(
    ("similarity", "groups", "message"),
    [
        (np.ones((2, 3)), np.zeros(2), "T × T"),
        (np.ones((2, 2)), np.zeros(3), "T × T"),
        (np.full((2, 2), 1.5), np.zeros(2), r"\[0, 1\]"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), np.zeros(2), r"\[0, 1\]"),
    ],
)
def test_a_bad_skill_space_is_refused(
    similarity: np.ndarray, groups: np.ndarray, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SkillSpace(similarity=similarity, groups=groups)


def test_top_per_row_of_nothing_is_empty() -> None:
    rows, cols = top_per_row(np.zeros((0, 3), np.float32), np.arange(3), [2])
    assert len(rows) == len(cols) == 0
    rows, cols = top_per_row(np.zeros((2, 3), np.float32), np.arange(3), [0, 0])
    assert len(rows) == len(cols) == 0

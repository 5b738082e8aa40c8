"""The optimiser refuses a malformed instance with a ValueError naming what is wrong, and its
small arithmetic helpers hold at their edges (no weight, no part, too many nodes)."""

from typing import Any

import numpy as np
import pytest

from matching.planning import PlanInstance, PlanOptions, optimizer


def _instance(**change: Any) -> PlanInstance:
    fields: dict[str, Any] = {
        "labourer": [0, 1],
        "post": [0, 0],
        "probability": [0.3, 0.2],
        "labourer_cap": [1, 1],
        "post_cap": [2],
        "required": 1,
    }
    return PlanInstance(**(fields | change))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "guess"}, "method"),
        ({"max_pushes": -1}, "max_pushes"),
        ({"min_probability": 1.5}, "min_probability"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PlanOptions(**options)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"probability": [[0.3, 0.2]]}, "probability must be one-dimensional"),
        ({"probability": [0.3]}, "one entry per pair"),
        ({"labourer": [0, 5]}, "labourer ids"),
        ({"post": [0, 1]}, "post ids"),
        ({"probability": [0.3, 0.0]}, r"\(0, 1\]"),
        ({"post_cap": [-1]}, "caps"),
        ({"required": -1}, "required"),
        ({"labourer": [[0, 1]]}, "labourer must be one-dimensional"),
        ({"labourer": [0.0, 1.0]}, "labourer must hold integers"),
        ({"post": [0, 2**40]}, "post does not fit int32"),
    ],
)
def test_a_bad_instance_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _instance(**change)


def test_an_empty_instance_is_valid() -> None:
    empty = _instance(labourer=[], post=[], probability=[], labourer_cap=[], required=0)
    assert len(empty.labourer) == 0 and empty.labourer.dtype == np.int32


def test_too_many_nodes_for_exact_costs_are_refused() -> None:
    with pytest.raises(ValueError, match="too many"):
        optimizer._choose_scale(2**62, 10**6)


def test_an_integer_split_with_no_weight_is_all_zero() -> None:
    assert optimizer._largest_remainder(5, np.zeros(3, np.int64)).tolist() == [0, 0, 0]
    assert optimizer._largest_remainder(5, np.array([1, 1, 1])).sum() == 5
    assert optimizer._split_post_caps(np.array([3]), [], []) == []

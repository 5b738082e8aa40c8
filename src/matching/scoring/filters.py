"""Hard filters (docs/domain.md, "Matching"): a pair that fails one is not a candidate."""

from enum import StrEnum

import numpy as np

from matching.scoring.arrays import LabourerArrays, PostArrays
from matching.scoring.dtypes import I8, Bool


class HardFilter(StrEnum):
    """One hard filter; the value is the reason code's suffix."""

    post_closed = "post_closed"
    post_not_started = "post_not_started"
    post_expired = "post_expired"
    no_openings = "no_openings"
    not_seeking = "not_seeking"
    age = "age"
    relocation = "relocation"


def filter_masks(
    lab: LabourerArrays, post: PostArrays, level: I8, today: int
) -> dict[HardFilter, Bool]:
    """Per filter, True where the pair passes; `today` is a day number."""
    age_known = lab.age >= 0
    return {
        HardFilter.post_closed: post.is_open,
        HardFilter.post_not_started: post.valid_from <= today,
        HardFilter.post_expired: post.valid_until >= today,
        HardFilter.no_openings: post.openings_left > 0,
        HardFilter.not_seeking: lab.seeking,
        HardFilter.age: ~age_known | ((lab.age >= post.age_min) & (lab.age <= post.age_max)),
        HardFilter.relocation: level >= lab.required_level,
    }


def eligible(lab: LabourerArrays, post: PostArrays, level: I8, today: int) -> Bool:
    """True where the pair passes every hard filter."""
    masks = list(filter_masks(lab, post, level, today).values())
    shape = np.broadcast_shapes(*(m.shape for m in masks))
    # The one side's filters are one value each (one post's against many labourers): when one
    # fails nobody passes, and the others need no pass over every row.
    full = [m for m in masks if m.shape == shape]
    if not all(bool(m.all()) for m in masks if m.shape != shape):
        return np.zeros(shape, dtype=np.bool_)
    result = np.ones(shape, dtype=np.bool_)
    for mask in full:
        result &= mask
    return result


def failed_filters(
    lab: LabourerArrays, post: PostArrays, level: I8, today: int
) -> tuple[HardFilter, ...]:
    """The filters a single pair (one row on each side) fails, in declaration order."""
    return tuple(f for f, ok in filter_masks(lab, post, level, today).items() if not ok.all())

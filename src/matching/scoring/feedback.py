"""What a labourer's past refusals say about their taste (docs/planning.md, "Outcomes").

A push the labourer declined, that the employer rejected or that went unanswered says nothing
certain about the post, but something about the labourer: posts of the same occupation, and a
little less those of the same trade group, are less likely to suit them. The matching score
itself is left as it is (it explains the fit on paper); the total used to rank and plan is
multiplied by the factor below, and the reason says why.
"""

from collections.abc import Collection

from matching.scoring.types import Reason

SAME_OCCUPATION_FACTOR = 0.85  # declined this occupation before
SAME_GROUP_FACTOR = 0.93  # declined another occupation of the same trade group


def taste_factor(
    occupation: str | None,
    group: str | None,
    *,
    declined_occupations: Collection[str],
    declined_groups: Collection[str],
) -> float:
    """The multiplier for a post of `occupation` (in `group`) given what was declined."""
    if occupation is not None and occupation in declined_occupations:
        return SAME_OCCUPATION_FACTOR
    if group is not None and group in declined_groups:
        return SAME_GROUP_FACTOR
    return 1.0


def taste_reason(factor: float, occupation_name: str) -> Reason | None:
    """The reason shown with a lowered score, or None when nothing was lowered."""
    if factor >= 1.0:
        return None
    if factor == SAME_OCCUPATION_FACTOR:
        return Reason(
            "declined_occupation",
            f"曾拒绝或未回应同工种岗位（{occupation_name}），推荐度下调",
            f"Declined or ignored a {occupation_name} post before: ranked lower",
        )
    return Reason(
        "declined_group",
        f"曾拒绝或未回应同类工种岗位（{occupation_name} 所在类别），推荐度略下调",
        f"Declined or ignored a post of the same trade group as {occupation_name}: ranked lower",
    )

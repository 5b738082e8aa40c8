"""What a labourer's past pushes say about their taste (docs/planning.md, "Outcomes").

A push the labourer declined, that the employer rejected or that went unanswered says nothing
certain about the post, but something about the labourer: posts of the same occupation, and a
little less those of the same trade group, are less likely to suit them, and more so with each
refusal. An application says the opposite: posts like the one applied for (and not obtained)
are likelier to be taken up. Both are weighed as evidence about the labourer's own apply rate
(`Taste`). The matching score itself is left as it is (it explains the fit on
paper); the total used to rank, and the success probability used to plan, are multiplied by
the factor below, and the reason says why.
"""

from dataclasses import dataclass

from matching.scoring.types import Reason

TYPICAL_APPLY_RATE = 0.35  # of first outcomes, the share that are applications
PSEUDO_PUSHES = 2.0  # a labourer's history counts against this many typical pushes
FLOOR, CEILING = 0.3, 2.5


@dataclass(frozen=True, slots=True)
class Taste:
    """A labourer's refusals of and applications to one post's occupation and trade group.

    The factor is the labourer's estimated apply rate for posts like this one over a typical
    labourer's: (applications + 2 x 0.35) / (outcomes + 2), divided by 0.35 — a Beta estimate
    shrunk toward the typical rate. A decline speaks of the kind of post: it counts three times
    for the same occupation (one decline: 0.4x), twice for another occupation of the same trade
    group (0.5x). An unanswered push speaks of the labourer, whatever the post: once (0.67x).
    An application raises the odds the same way (same occupation x3: 2.1x, group x2, other x1).
    """

    occupation_refusals: int = 0  # declined posts of this occupation
    group_refusals: int = 0  # declined posts of other occupations in the same group
    occupation_applications: int = 0
    group_applications: int = 0
    unanswered: int = 0  # pushes of any post with no response
    other_applications: int = 0  # applications to posts of other groups

    @property
    def factor(self) -> float:
        """The multiplier: 1 with no history, within [FLOOR, CEILING]."""
        applied = (
            3 * self.occupation_applications + 2 * self.group_applications
            + self.other_applications
        )  # fmt: skip
        refused = 3 * self.occupation_refusals + 2 * self.group_refusals + self.unanswered
        outcomes = applied + refused
        if outcomes == 0:
            return 1.0
        rate = (applied + PSEUDO_PUSHES * TYPICAL_APPLY_RATE) / (outcomes + PSEUDO_PUSHES)
        return min(CEILING, max(FLOOR, rate / TYPICAL_APPLY_RATE))

    def reason(self, occupation_name: str) -> Reason | None:
        """The reason shown with a changed score, or None when nothing changed."""
        factor = self.factor
        if factor > 1.0:
            return Reason(
                "applied_similar",
                f"曾申请同类岗位（{occupation_name}），推荐度上调",
                f"Applied for a post like this ({occupation_name}) lately: ranked higher",
            )
        if factor < 1.0 and not (self.occupation_refusals or self.group_refusals):
            return Reason(
                "unanswered",
                "近期推送的岗位多未回应或被拒绝，推荐度下调",
                "Most posts pushed lately were declined or unanswered: ranked lower",
            )
        if factor < 1.0 and self.occupation_refusals:
            return Reason(
                "declined_occupation",
                f"曾 {self.occupation_refusals} 次拒绝或未回应同工种岗位（{occupation_name}），"
                "推荐度下调",
                f"Declined or ignored {self.occupation_refusals} {occupation_name} post(s) "
                "lately: ranked lower",
            )
        if factor < 1.0:
            return Reason(
                "declined_group",
                f"曾拒绝或未回应同类工种岗位（{occupation_name} 所在类别），推荐度略下调",
                f"Declined or ignored posts of the trade group of {occupation_name} lately: "
                "ranked lower",
            )
        return None

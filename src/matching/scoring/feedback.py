"""What a labourer's past pushes say about them (docs/planning.md, "Outcomes").

Two things, weighed separately. Whether the labourer answers pushes at all (`Responsiveness`):
some never do — no phone, already gone, not interested in being helped — and whatever is pushed
to them is wasted; a push left unanswered says that about the labourer, not about the post, and
an answer of any kind says the opposite. And their taste for a kind of post (`Taste`): a decline
lowers posts of the same occupation, and a little less those of the same trade group; an
application raises them. The matching score itself is left as it is (it explains the fit on
paper); the total used to rank, and the success probability used to plan, are multiplied by
the product of the two, and the reason says why.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from matching.scoring.types import Reason

TYPICAL_APPLY_RATE = 0.35  # of first outcomes, the share that are applications
PSEUDO_PUSHES = 2.0  # a labourer's history counts against this many typical pushes
FLOOR, CEILING = 0.3, 2.5  # of the taste for a kind of post
LOWEST = 0.02  # of the whole factor: a labourer who never answers is still pushed, rarely


@dataclass(frozen=True, slots=True)
class Responsiveness:
    """Whether labourers answer their pushes: a mixture of two kinds of labourer.

    A share of labourers answer (they apply, decline, or at least open the push) and leave only
    a few pushes unanswered; the rest leave nearly all unanswered. A labourer's own record —
    `unanswered` pushes and `answered` ones — gives the posterior that they are one who answers,
    and the factor is that posterior over the share: 1 with no record, about 1.2 after answers,
    0.5 after one push unanswered and 0.13 after two (with the prior parameters). A region's
    parameters are fitted from its labourers' records (`fit`); the prior is for a region with
    little data and for a single labourer's matches.
    """

    share: float = 0.8  # of labourers, those who answer
    unanswered_if_answering: float = 0.15  # of their pushes
    unanswered_if_not: float = 0.85

    def answering(self, unanswered: int, answered: int) -> float:
        """P(this labourer is one who answers | their record)."""
        yes = self.share * (
            self.unanswered_if_answering**unanswered
            * (1 - self.unanswered_if_answering) ** answered
        )
        no = (1 - self.share) * (
            self.unanswered_if_not**unanswered * (1 - self.unanswered_if_not) ** answered
        )
        return yes / (yes + no) if yes + no > 0 else self.share

    def factor(self, unanswered: int, answered: int) -> float:
        """How much likelier than a labourer with no record this one is to take a post up."""
        if unanswered == 0 and answered == 0:
            return 1.0
        return self.answering(unanswered, answered) / self.share

    @classmethod
    def fit(
        cls,
        records: Mapping[tuple[int, int], int],
        prior: "Responsiveness | None" = None,
        strength: float = 20.0,
        iterations: int = 50,
    ) -> "Responsiveness":
        """The two-kind mixture fitted by EM to `records`: (unanswered, answered) → how many
        labourers have that record. Each parameter is a Beta posterior around the prior's value
        worth `strength` labourers (or pushes), so a region with a few records keeps the prior
        and the two kinds keep their order (the answering kind leaves fewer pushes unanswered).
        """
        prior = prior or cls()
        cells = [(k, m, n) for (k, m), n in records.items() if n > 0 and k + m > 0]
        if not cells:
            return prior
        fitted = prior
        for _ in range(iterations):
            weight = answering_pushes = answering_unanswered = 0.0
            silent_pushes = silent_unanswered = labourers = 0.0
            for k, m, n in cells:
                w = fitted.answering(k, m) * n
                labourers += n
                weight += w
                answering_pushes += w * (k + m)
                answering_unanswered += w * k
                silent_pushes += (n - w) * (k + m)
                silent_unanswered += (n - w) * k
            a = strength
            fitted = cls(
                share=(weight + a * prior.share) / (labourers + a),
                unanswered_if_answering=(answering_unanswered + a * prior.unanswered_if_answering)
                / (answering_pushes + a),
                unanswered_if_not=(silent_unanswered + a * prior.unanswered_if_not)
                / (silent_pushes + a),
            )
        if fitted.unanswered_if_answering >= fitted.unanswered_if_not:
            return prior  # the data do not show two kinds
        return fitted


PRIOR_RESPONSIVENESS = Responsiveness()


@dataclass(frozen=True, slots=True)
class Taste:
    """A labourer's record with posts like one post: their answers about its occupation and
    trade group, and whether they answer at all.

    `kind` is the labourer's estimated apply rate for posts like this one over a typical
    labourer's: (applications + 2 x 0.35) / (answers + 2), divided by 0.35 — a Beta estimate
    shrunk toward the typical rate, within [0.3, 2.5]. A decline speaks of the kind of post: it
    counts three times for the same occupation (one decline: 0.4x), twice for another occupation
    of the same trade group (0.5x). An application raises the odds the same way (same
    occupation x3: 2.1x, group x2, other x1). `answers` is `Responsiveness.factor` of the
    labourer's unanswered and answered pushes, whatever the posts. The factor is the product.
    """

    occupation_refusals: int = 0  # declined posts of this occupation
    group_refusals: int = 0  # declined posts of other occupations in the same group
    occupation_applications: int = 0
    group_applications: int = 0
    other_applications: int = 0  # applications to posts of other groups
    unanswered: int = 0  # pushes of any post with no response
    answered: int = 0  # pushes of any post the labourer answered (viewed, applied, declined …)
    responsiveness: Responsiveness = PRIOR_RESPONSIVENESS

    @property
    def kind(self) -> float:
        """The labourer's taste for posts like this one: 1 with no answers about them."""
        applied = (
            3 * self.occupation_applications + 2 * self.group_applications
            + self.other_applications
        )  # fmt: skip
        refused = 3 * self.occupation_refusals + 2 * self.group_refusals
        outcomes = applied + refused
        if outcomes == 0:
            return 1.0
        rate = (applied + PSEUDO_PUSHES * TYPICAL_APPLY_RATE) / (outcomes + PSEUDO_PUSHES)
        return min(CEILING, max(FLOOR, rate / TYPICAL_APPLY_RATE))

    @property
    def answers(self) -> float:
        """Whether the labourer answers pushes: 1 with no record."""
        return self.responsiveness.factor(self.unanswered, self.answered)

    @property
    def factor(self) -> float:
        """The multiplier: 1 with no history, within [LOWEST, CEILING]."""
        return min(CEILING, max(LOWEST, self.kind * self.answers))

    def reason(self, occupation_name: str) -> Reason | None:
        """The reason shown with a changed score, or None when nothing changed."""
        factor, kind, answers = self.factor, self.kind, self.answers
        if factor > 1.0 and kind > 1.0:
            return Reason(
                "applied_similar",
                f"曾申请同类岗位（{occupation_name}），推荐度上调",
                f"Applied for a post like this ({occupation_name}) lately: ranked higher",
            )
        if factor > 1.0:
            return Reason(
                "answers_pushes",
                "本人回应了近期推送的岗位，推荐度上调",
                "Answered the posts pushed lately: ranked higher",
            )
        if factor < 1.0 and answers < 1.0 and answers <= kind:
            return Reason(
                "unanswered",
                f"近期推送的岗位有 {self.unanswered} 个未回应，推荐度下调",
                f"Left {self.unanswered} post(s) pushed lately unanswered: ranked lower",
            )
        if factor < 1.0 and self.occupation_refusals:
            return Reason(
                "declined_occupation",
                f"曾 {self.occupation_refusals} 次拒绝同工种岗位（{occupation_name}），推荐度下调",
                f"Declined {self.occupation_refusals} {occupation_name} post(s) lately: "
                "ranked lower",
            )
        if factor < 1.0:
            return Reason(
                "declined_group",
                f"曾拒绝同类工种岗位（{occupation_name} 所在类别），推荐度略下调",
                f"Declined posts of the trade group of {occupation_name} lately: ranked lower",
            )
        return None

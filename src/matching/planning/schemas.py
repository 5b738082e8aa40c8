"""Plan request and response bodies."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from matching.planning.rate import DEFAULT_SUCCESS_MARGIN
from matching.pushes.models import Channel
from matching.schemas import MONTH_PATTERN, ReasonRead


class PlanCreate(BaseModel):
    """A region's plan for this month or the next; the defaults are the policy's."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(description="Region code, any level / 区划代码")
    month: str | None = Field(
        None,
        pattern=MONTH_PATTERN,
        description="YYYY-MM: this month (default) or, in this month's last days, the next",
    )
    pushes_per_labourer: StrictInt = Field(
        3, ge=1, le=20, description="c: pushes per labourer a month"
    )
    pushes_per_opening: StrictInt = Field(5, ge=1, le=100, description="m: pushes per opening left")
    candidates_per_labourer: StrictInt = Field(
        10,
        ge=1,
        le=50,
        description="Best posts per labourer the optimiser chooses from; "
        "doubled (up to 50) while posts' caps keep the plan short of coverage",
    )
    coverage: StrictFloat | None = Field(
        None,
        gt=0,
        le=5,
        description="Pushes to make as a share of U; default the region's push target (policy 50%)",
    )
    success_margin: StrictFloat = Field(
        DEFAULT_SUCCESS_MARGIN,
        ge=0,
        le=0.5,
        description="Beyond coverage, keep a push only while the plan's "
        "expected success rate stays at the region's success target (policy 15%) plus this",
    )
    max_pushes: StrictInt | None = Field(
        None, ge=0, le=10_000_000, description="Budget: at most this many pushes in the plan"
    )
    min_probability: StrictFloat = Field(0.0, ge=0, le=1, description="Leave out weaker pairs")
    channel: Channel = Field(Channel.app, description="Channel of the committed pushes")


class PlanPost(BaseModel):
    """One proposed push."""

    post_id: int
    title: str
    employer: str
    workplace_region: str
    score: float
    probability: float = Field(description="Predicted success / 预计成功概率")
    reasons: list[ReasonRead]
    push_id: int | None = Field(None, description="The push written by the commit")


class PlanLabourer(BaseModel):
    """A labourer's proposed pushes."""

    labourer_id: int
    name: str
    posts: list[PlanPost]


class PlanShortfall(BaseModel):
    """Why a plan misses a target or is empty, with numbers."""

    limiting_factor: str = Field(
        description="no_seekers | no_posts_in_reach | candidates | labourer_caps | post_caps | "
        "caps_jointly | max_pushes | blocks | objective | success_rate | nothing_above_rate"
    )
    message: str
    message_zh: str
    labourers_without_candidates: int
    max_pushes_achievable: int


class PlanSummary(BaseModel):
    """A plan's numbers: whom it covers, what it pushes, and what that should achieve."""

    month: str | None = None
    unemployed_willing: int = Field(description="U: able, willing, unemployed on the 1st")
    new_seekers: int = Field(0, description="Seeking today but not in U (new this month)")
    seeking_in_index: int
    labourers_with_candidates: int
    candidate_pairs: int
    refused_pairs_left_out: int = Field(0, description="Pairs refused lately, not proposed")
    pairs_lowered_by_refusals: int = Field(0, description="Posts like refused ones, ranked lower")
    pairs_raised_by_applications: int = Field(
        0, description="Posts like ones applied for, ranked higher"
    )
    already_pushed_this_month: int
    required_pushes: int = Field(description="coverage x U")
    still_required: int
    proposed_pushes: int | None = Field(None, description="What the optimiser proposed")
    planned_pushes: int = Field(description="What the plan keeps (coverage, then the rate)")
    planned_reach: int
    expected_push_ratio: float | None
    expected_reach_ratio: float | None
    expected_hires: float = Field(
        description="Expected hires with competition: one job per labourer, openings per post"
    )
    expected_hires_without_competition: float | None = Field(
        None, description="The plain sum of the pushes' success probabilities"
    )
    expected_success_rate: float | None = Field(None, description="expected_hires / pushes")
    success_rate_floor: float | None = Field(None, description="Success target + margin")
    meets_push_target: bool
    meets_success_target: bool | None = None
    shortfall: PlanShortfall | None = None
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per step")


class PlanParamsRead(BaseModel):
    """The parameters a plan was made with (defaults resolved)."""

    month: str | None = None
    pushes_per_labourer: int
    pushes_per_opening: int
    candidates_per_labourer: int
    coverage: float
    min_probability: float
    success_target: float | None = None
    success_margin: float | None = None
    max_pushes: int | None = None
    decline_cooldown_months: int | None = None


class StageLevel(BaseModel):
    """One region level's early signals and outcomes."""

    region: str
    signal_pushes: int
    applied: int
    resolved_applied: int
    hired: int


class CalibrationStages(BaseModel):
    """The two stages: P(apply | score) at the knots and P(hire | applied)."""

    apply_rate: list[float]
    hire_given_apply: float
    levels: list[StageLevel]


class ResponsivenessRead(BaseModel):
    """Whether the region's labourers answer their pushes (scoring.feedback.Responsiveness):
    the two-kind mixture fitted to the labourers' records in the cooldown window."""

    labourers: int = Field(description="labourers with a record (an unanswered or answered push)")
    share: float = Field(description="of labourers, those who answer their pushes")
    unanswered_if_answering: float = Field(description="of their pushes, left unanswered")
    unanswered_if_not: float = Field(description="the same, for those who do not answer")


class PlanWeightsRead(BaseModel):
    """The component weights a plan scored with (docs/scoring.md, "Learned weights")."""

    fit_id: int = Field(description="The province's fit (GET /v1/scoring/weights)")
    province: str
    fitted_on: str
    outcome: str = Field(description="learned: its weights were in force; thin_data | no_gain: "
                         "the settings' weights were")  # fmt: skip
    in_force: dict[str, float]
    settings: dict[str, float]
    pushes: int
    applied: int
    holdout_pushes: int
    auc_settings: float | None
    auc_learned: float | None


class CalibrationRead(BaseModel):
    """How scores became success probabilities."""

    method: str = Field(
        description="prior | binned | two_stage | learned (P(apply | score) from the "
        "province's learned weights, P(hire | applied) from the two-stage fit)"
    )
    n_outcomes: int
    knots: list[float]
    values: list[float]
    pseudo_count: float
    stages: CalibrationStages | None = None
    responsiveness: ResponsivenessRead | None = Field(
        default=None,
        description="whether labourers answer (the labourer's taste factor uses it); absent "
        "on plans made before it was fitted",
    )
    competition_in_outcomes: float | None = Field(
        default=None,
        description="the competition the fitted rates already include (the region's committed "
        "plans' expected hires with competition over without, last 12 months); fitted "
        "probabilities are divided by it before the plan's competition model applies",
    )
    weights: PlanWeightsRead | None = Field(
        default=None,
        description="the component weights the plan scored with and the province's fit behind "
        "them; absent on plans made without learning or before weights were learned",
    )


class CommitResult(BaseModel):
    """What a commit wrote."""

    created: int
    already_pushed: int
    skipped_closed: int
    committed_at: datetime


class PlanRead(BaseModel):
    """A plan: its numbers, and a page of its labourers with their proposed posts."""

    id: int
    region: str
    region_name: str
    month: str
    status: str
    channel: str
    params: PlanParamsRead
    summary: PlanSummary
    calibration: CalibrationRead
    created_at: datetime
    committed_at: datetime | None = None
    commit_result: CommitResult | None = None
    labourers: list[PlanLabourer]
    next_cursor: str | None = None


class PlanBrief(BaseModel):
    """A plan in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    region: str
    month: str
    status: str
    summary: PlanSummary
    created_at: datetime
    committed_at: datetime | None = None

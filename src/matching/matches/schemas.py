"""Match bodies."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from matching.posts.schemas import PostRead
from matching.schemas import ReasonRead


def _four_places(value: float) -> float:
    # The scoring core works in float32; 0.4000000059604645 leaves the service as 0.4, rounded
    # like the total it sums to.
    return round(float(value), 4)


Component = Annotated[float, AfterValidator(_four_places)]


class Breakdown(BaseModel):
    """Each component's score in [0, 1], to four places like the total (their weighted sum)."""

    location: Component
    skills: Component
    wage: Component
    preference: Component
    priority: Component


class PostMatch(BaseModel):
    """A recommended post."""

    rank: int
    score: float = Field(description="Total in [0, 1], after the taste factor")
    breakdown: Breakdown
    reasons: list[ReasonRead]
    post: PostRead
    taste_factor: float = Field(
        1.0,
        description="< 1 when the labourer refused posts of this occupation or trade group "
        "lately (declined, rejected, no response); the score is multiplied by it",
    )
    refused_on: date | None = Field(
        None,
        description="This very pair was pushed that day and refused: monthly plans leave "
        "it out during the cooldown / 近期已拒绝",
    )


class PostMatches(BaseModel):
    """Top posts for a labourer."""

    labourer_id: int
    seeking: bool = Field(description="False: not able and seeking work, so no post qualifies")
    index_size: int = Field(description="Open posts in the index")
    items: list[PostMatch]


class CandidateProfile(BaseModel):
    """A labourer as an agency may see it: no name, ID number or phone."""

    age: int | None
    sex: str | None
    home_county: str = Field(description="户籍所在县")
    relocation: str
    skills: list[str]
    expected_wage: int | None


class LabourerMatch(BaseModel):
    """A candidate labourer; `labourer_id` and `name` only for staff and admin."""

    rank: int
    score: float
    breakdown: Breakdown
    reasons: list[ReasonRead]
    labourer_id: int | None
    name: str | None
    profile: CandidateProfile


class LabourerMatches(BaseModel):
    """Top labourers for a post."""

    post_id: int
    anonymised: bool = Field(description="True for agencies: personal data left out")
    count: int = Field(description="Candidates returned")
    items: list[LabourerMatch]


class PairExplanation(BaseModel):
    """One labourer–post pair explained, also when it fails a hard filter."""

    labourer_id: int
    post_id: int
    eligible: bool
    failed: list[ReasonRead] = Field(description="Hard filters the pair fails / 未通过的条件")
    score: float
    breakdown: Breakdown
    reasons: list[ReasonRead]

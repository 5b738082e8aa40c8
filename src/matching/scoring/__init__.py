"""Pure scoring core: plain values and numpy arrays in, scores and reasons out (docs/domain.md,
"Matching")."""

from matching.scoring.arrays import LabourerArrays, PostArrays
from matching.scoring.codes import region_parts
from matching.scoring.context import Corridors, ScoringContext, SkillSpace
from matching.scoring.core import (
    check_pair,
    explain_pair,
    score_labourers_for_post,
    score_posts_for_labourer,
)
from matching.scoring.filters import HardFilter
from matching.scoring.types import (
    COMPONENTS,
    Explanation,
    LabourerProfile,
    Level,
    Match,
    PostKind,
    PostRecord,
    Reason,
    ScoringWeights,
    Willingness,
)

__all__ = [
    "COMPONENTS",
    "Corridors",
    "Explanation",
    "HardFilter",
    "LabourerArrays",
    "LabourerProfile",
    "Level",
    "Match",
    "PostArrays",
    "PostKind",
    "PostRecord",
    "Reason",
    "ScoringContext",
    "ScoringWeights",
    "SkillSpace",
    "Willingness",
    "check_pair",
    "explain_pair",
    "region_parts",
    "score_labourers_for_post",
    "score_posts_for_labourer",
]

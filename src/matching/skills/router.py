"""Skill taxonomy endpoints (技能与职业)."""

from typing import Annotated

from fastapi import APIRouter, Query

from matching.auth.deps import AnyRole
from matching.errors import NotFound, problem_responses
from matching.skills.schemas import SkillSuggestion
from matching.skills.taxonomy import Skill, get_taxonomy

router = APIRouter(prefix="/v1/skills", tags=["skills"], responses=problem_responses(401, 403))


def _suggestion(skill: Skill, score: float) -> SkillSuggestion:
    taxonomy = get_taxonomy()
    group = taxonomy.group(skill.group)
    return SkillSuggestion(
        id=skill.id,
        name=skill.name,
        en=skill.en,
        kind=skill.kind,
        group=skill.group,
        group_name=group.name if group else skill.group,
        aliases=list(skill.aliases),
        score=round(score / 100 if score > 1 else score, 3),
    )


@router.get(
    "",
    summary="Suggest taxonomy entries / 技能联想",
    operation_id="suggest_skills",
    responses=problem_responses(422),
)
def suggest_skills(
    _: AnyRole,
    q: Annotated[str, Query(min_length=1, max_length=50, description="e.g. 电焊, 叉车, 月嫂")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[SkillSuggestion]:
    """Entries whose names or aliases fit the query, best first."""
    return [_suggestion(s, score) for s, score in get_taxonomy().suggest(q, limit=limit)]


@router.get(
    "/{skill_id}",
    summary="Read a taxonomy entry / 查看技能",
    operation_id="get_skill",
    responses=problem_responses(404),
)
def get_skill(skill_id: str, _: AnyRole) -> SkillSuggestion:
    """One entry with its group and aliases."""
    skill = get_taxonomy().get(skill_id)
    if skill is None:
        raise NotFound(f"No skill with id {skill_id!r}")
    return _suggestion(skill, 1.0)

"""Turning stored posts into response bodies."""

from datetime import date

from matching.labourers.presenter import region_name
from matching.posts.models import Post, SexRequirement
from matching.posts.schemas import PostRead, PostSkillRead
from matching.posts.service import status_on
from matching.skills.taxonomy import get_taxonomy


def flags(post: Post) -> list[str]:
    """Things a reviewer should look at."""
    found = []
    if post.sex_requirement != SexRequirement.any:
        found.append("sex_requirement: 性别限制通常违反《就业促进法》，仅作记录 / usually unlawful")
    return found


def present_post(post: Post, today: date) -> PostRead:
    """The response body of a post (status as of today)."""
    taxonomy = get_taxonomy()
    occupation = taxonomy.get(post.occupation_id) if post.occupation_id else None
    skills = []
    for s in post.skills:
        entry = taxonomy.get(s.skill_id)
        skills.append(
            PostSkillRead(
                skill_id=s.skill_id,
                name=entry.name if entry else s.skill_id,
                required=s.required,
                min_level=s.min_level,
            )
        )
    return PostRead(
        id=post.id,
        source=post.source,
        agency_id=post.agency_id,
        external_id=post.external_id,
        employer=post.employer,
        post_type=post.post_type,
        title=post.title,
        occupation_id=post.occupation_id,
        occupation_name=occupation.name if occupation else None,
        description=post.description,
        workplace_region=post.workplace_region,
        workplace_region_name=region_name(post.workplace_region),
        workplace_lat=post.workplace_lat,
        workplace_lon=post.workplace_lon,
        openings=post.openings,
        openings_left=post.openings_left,
        wage_min=post.wage_min,
        wage_max=post.wage_max,
        housing=post.housing,
        meals=post.meals,
        age_min=post.age_min,
        age_max=post.age_max,
        sex_requirement=post.sex_requirement,
        education_min=post.education_min,
        seasonal=post.seasonal,
        min_duration_months=post.min_duration_months,
        valid_from=post.valid_from,
        valid_until=post.valid_until,
        status=status_on(post, today),
        required_skills=skills,
        unresolved_skills=list(post.unresolved_skills or []),
        contact_phone=post.contact_phone,
        flags=flags(post),
        created_at=post.created_at,
        updated_at=post.updated_at,
    )

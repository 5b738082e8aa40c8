"""A labourer as a partner agency may see them: no name, ID number, phone or id — the same
profile in the candidate list of a post and in the notices of what became of its pushes."""

from datetime import date
from typing import Any

from matching.kit.idnumber import age_on
from matching.labourers.models import Labourer
from matching.regions.registry import get_registry
from matching.scoring import LabourerProfile
from matching.skills.taxonomy import get_taxonomy


def anonymised_profile(labourer: Labourer, today: date) -> dict[str, Any]:
    """Age, sex, home county, relocation willingness, skills by name, expected wage."""
    taxonomy = get_taxonomy()
    skills = []
    for s in labourer.skills:
        entry = taxonomy.get(s.skill_id)
        skills.append(entry.name if entry is not None else s.skill_id)
    return _profile(age_on(labourer.birth_date, today), labourer.sex, labourer.hukou_region,
                    labourer.relocation, skills, labourer.expected_wage)  # fmt: skip


def indexed_profile(profile: LabourerProfile) -> dict[str, Any]:
    """The same, from the labourer's profile in the matching index (built for today), without
    reading the labourer again: the candidate list's fifty labourers are in the index the
    search ran on. Skills in the order of their ids, as the table gives them."""
    taxonomy = get_taxonomy()
    entries = sorted((taxonomy.skills[i] for i in profile.skills), key=lambda e: e.id)
    return _profile(profile.age, profile.sex, profile.region, profile.willingness.name,
                    [e.name for e in entries], profile.expected_wage)  # fmt: skip


def _profile(
    age: int | None,
    sex: str | None,
    hukou_region: str,
    relocation: str,
    skills: list[str],
    expected_wage: int | None,
) -> dict[str, Any]:
    return {
        "age": age,
        "sex": sex,
        "home_county": get_registry().name_or_code(hukou_region[:6]),
        "relocation": relocation,
        "skills": skills,
        "expected_wage": expected_wage,
    }

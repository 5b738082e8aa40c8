"""A labourer as a partner agency may see them: no name, ID number, phone or id — the same
profile in the candidate list of a post and in the notices of what became of its pushes."""

from datetime import date
from typing import Any

from matching.kit.idnumber import age_on
from matching.labourers.models import Labourer
from matching.regions.registry import get_registry
from matching.skills.taxonomy import get_taxonomy


def anonymised_profile(labourer: Labourer, today: date) -> dict[str, Any]:
    """Age, sex, home county, relocation willingness, skills by name, expected wage."""
    taxonomy = get_taxonomy()
    skills = []
    for s in labourer.skills:
        entry = taxonomy.get(s.skill_id)
        skills.append(entry.name if entry is not None else s.skill_id)
    return {
        "age": age_on(labourer.birth_date, today),
        "sex": labourer.sex,
        "home_county": get_registry().name_or_code(labourer.hukou_region[:6]),
        "relocation": labourer.relocation,
        "skills": skills,
        "expected_wage": labourer.expected_wage,
    }

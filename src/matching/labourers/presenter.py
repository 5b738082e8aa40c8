"""Turning stored labourers into response bodies; unmasked reads are audited."""

from datetime import date

from sqlalchemy.orm import Session

from matching.audit.trail import AuditAction, record
from matching.auth.principal import Principal
from matching.kit.idnumber import age_on
from matching.kit.personal import PersonalData
from matching.labourers.models import EmploymentStatus, Labourer, StatusPeriod
from matching.labourers.schemas import LabourerRead, SkillRead
from matching.regions.registry import get_registry
from matching.skills.taxonomy import get_taxonomy


def region_name(code: str) -> str:
    """The full name of a region code, e.g. 湖南省益阳市沅江市琼湖街道."""
    return get_registry().full_name(code)


def former_region_name(code: str | None) -> str | None:
    """A former code as a clerk reads it: 沅江市（1988–1993年）; None for None."""
    if code is None:
        return None
    former = get_registry().former(code)
    if former is None:
        return code
    first, last = former.years[0][0], former.last_year
    return f"{former.name}（{first}–{last}年）"


def present(
    labourer: Labourer,
    status: StatusPeriod | None,
    *,
    today: date,
    personal: PersonalData | None = None,
) -> LabourerRead:
    """The response body; with `personal` given, ID number and phone are shown in full."""
    taxonomy = get_taxonomy()
    skills = []
    for s in labourer.skills:
        entry = taxonomy.get(s.skill_id)
        skills.append(
            SkillRead(
                skill_id=s.skill_id,
                name=entry.name if entry else s.skill_id,
                level=s.level,
                certificate=s.certificate,
            )
        )
    id_number, phone = labourer.id_number_mask, labourer.phone_mask
    if personal is not None:
        id_number = personal.reveal(labourer.id_number_cipher)
        phone = personal.reveal(labourer.phone_cipher)
    return LabourerRead(
        id=labourer.id,
        name=labourer.name,
        id_number=id_number,
        phone=phone,
        sex=labourer.sex,
        birth_date=labourer.birth_date if personal is not None else None,
        birth_year=labourer.birth_date.year if labourer.birth_date else None,
        age=age_on(labourer.birth_date, today),
        hukou_region=labourer.hukou_region,
        hukou_region_name=region_name(labourer.hukou_region),
        hukou_region_recorded=labourer.hukou_region_recorded,
        hukou_region_recorded_name=former_region_name(labourer.hukou_region_recorded),
        residence_region=labourer.residence_region,
        household_id=labourer.household_id,
        poverty_status=labourer.poverty_status,
        labour_ability=labourer.labour_ability,
        wants_work=labourer.wants_work,
        relocation=labourer.relocation,
        education=labourer.education,
        expected_wage=labourer.expected_wage,
        preferred_occupations=list(labourer.preferred_occupations or []),
        skills=skills,
        unresolved_skills=list(labourer.unresolved_skills or []),
        sanwu=labourer.sanwu,
        lianghousheng=labourer.lianghousheng,
        disabled=labourer.disabled,
        employment_status=status.status if status else EmploymentStatus.unemployed,
        status_since=status.effective_from if status else labourer.created_at.date(),
        app_linked_at=labourer.app_linked_at,
        merged_into_id=labourer.merged_into_id,
        created_at=labourer.created_at,
        updated_at=labourer.updated_at,
    )


def audit_reveal(
    session: Session, principal: Principal, labourer: Labourer, request_id: str | None
) -> None:
    """Write who read which labourer's ID number, phone and birth date unmasked."""
    record(
        session,
        AuditAction.reveal,
        key_id=principal.key_id,
        labourer_id=labourer.id,
        fields=("id_number", "phone", "birth_date"),
        request_id=request_id,
    )

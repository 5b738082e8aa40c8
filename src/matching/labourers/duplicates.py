"""Near-duplicate labourers for review: no ID match, but the same birth date and village and a
similar name (一人一号: one person must be one record)."""

from itertools import combinations

from rapidfuzz import fuzz
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from matching.auth.principal import Principal
from matching.labourers.models import Labourer
from matching.labourers.schemas import DuplicateCandidate, DuplicateGroup
from matching.scope import scope_clause

# Chinese names are two to four characters: one differing character already halves the ratio.
MIN_NAME_SIMILARITY = 0.5
MAX_GROUPS = 500


def name_similarity(a: str, b: str) -> float:
    """How alike two names are, in [0, 1]; different surnames (first character) count as 0."""
    a, b = a.strip(), b.strip()
    if not a or not b or a[0] != b[0]:
        return 0.0
    return fuzz.ratio(a, b) / 100


def _may_be_same_person(a: Labourer, b: Labourer) -> float:
    if a.id_number_hash and b.id_number_hash:
        return 0.0  # two different valid ID numbers are two people
    return name_similarity(a.name, b.name)


def near_duplicates(session: Session, principal: Principal) -> list[DuplicateGroup]:
    """Groups of records that may be one person, most similar first."""
    keys = select(Labourer.birth_date, Labourer.hukou_region).where(
        Labourer.birth_date.is_not(None), Labourer.merged_into_id.is_(None)
    )
    scope = scope_clause(principal, Labourer.hukou_region)
    if scope is not None:
        keys = keys.where(scope)
    keys = keys.group_by(Labourer.birth_date, Labourer.hukou_region).having(func.count() > 1)
    candidates = session.scalars(
        select(Labourer)
        .where(
            tuple_(Labourer.birth_date, Labourer.hukou_region).in_(keys),
            Labourer.merged_into_id.is_(None),
        )
        .order_by(Labourer.birth_date, Labourer.hukou_region, Labourer.id)
    ).all()
    buckets: dict[tuple[object, str], list[Labourer]] = {}
    for labourer in candidates:
        buckets.setdefault((labourer.birth_date, labourer.hukou_region), []).append(labourer)
    groups = [g for bucket in buckets.values() for g in _groups_in(bucket)]
    groups.sort(key=lambda g: (-g.similarity, g.labourers[0].id))
    return groups[:MAX_GROUPS]


def _groups_in(bucket: list[Labourer]) -> list[DuplicateGroup]:
    groups = []
    for a, b in combinations(bucket, 2):
        similarity = _may_be_same_person(a, b)
        if similarity >= MIN_NAME_SIMILARITY:
            assert a.birth_date is not None
            groups.append(
                DuplicateGroup(
                    birth_year=a.birth_date.year,
                    hukou_region=a.hukou_region,
                    similarity=round(similarity, 3),
                    labourers=[
                        DuplicateCandidate(
                            id=x.id,
                            name=x.name,
                            id_number=x.id_number_mask,
                            hukou_region=x.hukou_region,
                        )
                        for x in (a, b)
                    ],
                )
            )
    return groups

"""Normalising free-text skill terms to taxonomy ids, once, at write time."""

import functools

from matching.skills.schemas import TermResolution
from matching.skills.taxonomy import SkillTaxonomy, get_taxonomy

__all__ = ["TermResolution", "resolve_terms"]

_Reading = tuple[str | None, str | None, str, float]


def resolve_terms(terms: list[str]) -> list[TermResolution]:
    """One resolution per term: a taxonomy id as given, or the taxonomy's best reading."""
    taxonomy = get_taxonomy()
    resolved = []
    for term in terms:
        skill_id, name, method, score = _read(taxonomy, term)
        resolved.append(
            TermResolution(term=term, skill_id=skill_id, name=name, method=method, score=score)
        )
    return resolved


@functools.lru_cache(maxsize=4096)
def _read(taxonomy: SkillTaxonomy, term: str) -> _Reading:
    """(skill id, name, method, score) for one term; the same few terms recur across a batch."""
    entry = taxonomy.get(term.strip().upper())
    if entry is not None:
        return entry.id, entry.name, "id", 1.0
    found = taxonomy.resolve(term)
    score = found.score / 100 if found.score > 1 else found.score
    return found.skill_id, found.name, found.method, round(score, 3)

"""Normalising free-text skill terms to taxonomy ids, once, at write time."""

from matching.skills.schemas import TermResolution
from matching.skills.taxonomy import get_taxonomy

__all__ = ["TermResolution", "resolve_terms"]


def resolve_terms(terms: list[str]) -> list[TermResolution]:
    """One resolution per term: a taxonomy id as given, or the taxonomy's best reading."""
    taxonomy = get_taxonomy()
    resolved = []
    for term in terms:
        entry = taxonomy.get(term.strip().upper())
        if entry is not None:
            resolved.append(
                TermResolution(
                    term=term, skill_id=entry.id, name=entry.name, method="id", score=1.0
                )
            )
            continue
        found = taxonomy.resolve(term)
        score = found.score / 100 if found.score > 1 else found.score
        resolved.append(
            TermResolution(
                term=term,
                skill_id=found.skill_id,
                name=found.name,
                method=found.method,
                score=round(score, 3),
            )
        )
    return resolved

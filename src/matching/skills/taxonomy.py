"""The curated skill taxonomy and the normaliser that maps clerk wording onto its entries.

Scores are on a 0–100 scale: 100 exact name, 95 alias, 55–90 containment, fuzzy matches report
their Levenshtein similarity (FUZZY_CUTOFF–100), and unresolved terms score 0.
"""

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from matching.skills.normalise import NULL_TERMS, canonical, negated, split_terms, strip_fillers

Kind = Literal["occupation", "skill", "certificate"]
Method = Literal["exact", "alias", "contains", "fuzzy", "unresolved"]
RelationKind = Literal["exact", "related", "group", "none"]

KINDS: frozenset[str] = frozenset({"occupation", "skill", "certificate"})
GROUP_WEIGHT = 0.4
# General labour: what a post asks for under these names is learnt on the job (a roster's 普工,
# 小工, 打包 …), so a labourer without the skill is not "missing" it (docs/scoring.md).
GENERAL_LABOUR: frozenset[str] = frozenset({"普工", "建筑工人", "包装工", "来料加工工"})
SCORE_EXACT = 100.0
SCORE_ALIAS = 95.0
# One wrong character in three (the usual pinyin-IME homophone slip, 电悍工) still resolves;
# one in two (any 2-character term) does not, since that is as likely another word entirely.
FUZZY_CUTOFF = 66.0

_ASCII_WORD = re.compile(r"[a-z0-9]")


@dataclass(frozen=True, slots=True)
class Group:
    """A family of related trades; entries in one group are similar by GROUP_WEIGHT."""

    id: str
    name: str
    en: str


@dataclass(frozen=True, slots=True)
class Skill:
    """One occupation, skill or certificate of the taxonomy."""

    id: str
    name: str
    en: str
    kind: Kind
    group: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolution:
    """How one free-text term was mapped onto the taxonomy (score on a 0–100 scale)."""

    term: str
    skill_id: str | None
    name: str | None
    score: float
    method: Method


class TaxonomyError(ValueError):
    """The taxonomy data breaks one of its invariants."""


def _ascii_bounded(query: str, start: int, length: int) -> bool:
    # Latin keys must sit on word edges: "ps" is not a skill inside "tips".
    end = start + length
    before = start == 0 or not _ASCII_WORD.match(query[start - 1])
    return before and (end == len(query) or not _ASCII_WORD.match(query[end]))


class SkillTaxonomy:
    """The loaded taxonomy: lookup, term resolution, autocomplete and pairwise similarity."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.metadata: dict[str, Any] = dict(data.get("metadata", {}))
        self.groups: tuple[Group, ...] = tuple(
            Group(g["id"], g["name"], g["en"]) for g in data["groups"]
        )
        self.skills: tuple[Skill, ...] = tuple(_parse_skill(e) for e in data["skills"])
        self._index = {s.id: i for i, s in enumerate(self.skills)}
        if len(self._index) != len(self.skills):
            raise TaxonomyError("duplicate skill ids")
        self._groups = {g.id: g for g in self.groups}
        for s in self.skills:
            if s.group not in self._groups:
                raise TaxonomyError(f"{s.id}: unknown group {s.group}")
        self._related = _symmetric_relations(data["skills"], self._index)
        self._keys = _key_table(self.skills)
        self._choices = list(self._keys)
        self._by_char: dict[str, list[str]] = {}
        for key in self._choices:
            for ch in set(key):
                self._by_char.setdefault(ch, []).append(key)
        self._max_key = max(map(len, self._keys))
        self._order = {k: n for n, k in enumerate(self._choices)}
        self._matrix: np.ndarray[Any, np.dtype[np.float32]] | None = None

    @property
    def size(self) -> int:
        """Number of entries (the side of the similarity matrix)."""
        return len(self.skills)

    def get(self, skill_id: str) -> Skill | None:
        """The entry with this id, or None."""
        i = self._index.get(skill_id)
        return None if i is None else self.skills[i]

    def group(self, group_id: str) -> Group | None:
        """The group with this id, or None."""
        return self._groups.get(group_id)

    def positions(self) -> Mapping[str, int]:
        """Every id's dense row/column (index_of for many ids: a bulk read looks up millions)."""
        return MappingProxyType(self._index)

    def index_of(self, skill_id: str) -> int:
        """Dense row/column of this id in the similarity matrix; KeyError if unknown."""
        return self._index[skill_id]

    def related(self, skill_id: str) -> dict[str, float]:
        """Related entries of this id with their weights (empty if unknown)."""
        i = self._index.get(skill_id)
        rel = {} if i is None else self._related[i]
        return {self.skills[j].id: w for j, w in rel.items()}

    def resolve(self, term: str) -> Resolution:
        """Map one free-text term onto an entry: exact, alias, containment, fuzzy or unresolved."""
        raw = term if isinstance(term, str) else ""
        i, score, method = self._match(canonical(raw))
        if i is None:
            return Resolution(raw, None, None, 0.0, "unresolved")
        return Resolution(raw, self.skills[i].id, self.skills[i].name, round(score, 2), method)

    def resolve_many(self, terms: str | Iterable[str]) -> list[Resolution]:
        """Resolve each term; a single string is first split on 、，,;/| + and CJK spaces."""
        items = split_terms(terms) if isinstance(terms, str) else list(terms)
        return [self.resolve(t) for t in items]

    def suggest(self, q: str, limit: int = 10) -> list[tuple[Skill, float]]:
        """Autocomplete: exact, then prefix, then substring, then fuzzy; ties in id order."""
        key = canonical(q) if isinstance(q, str) else ""
        if not key or limit <= 0:
            return []
        best: dict[int, float] = {}

        def offer(i: int, score: float) -> None:
            best[i] = max(best.get(i, 0.0), score)

        for k in self._substring_keys(key):
            i, is_name = self._keys[k]
            bonus = 5.0 if is_name else 0.0  # a name outranks an alias of the same length
            if k == key:
                offer(i, 100.0)
            elif k.startswith(key):
                offer(i, 80.0 + 15.0 * len(key) / len(k) + bonus)
            else:
                offer(i, 50.0 + 25.0 * len(key) / len(k) + bonus)
        if len(best) < limit and len(key) >= 2:
            for choice, score in self._fuzzy_matches(key, limit):
                offer(self._keys[choice][0], score / 2)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [(self.skills[i], round(score, 2)) for i, score in ranked]

    def relation(self, a_id: str, b_id: str) -> tuple[RelationKind, float]:
        """How two ids relate: exact 1.0, related (weight), same group, or none (also unknown)."""
        ia, ib = self._index.get(a_id), self._index.get(b_id)
        if ia is None or ib is None:
            return ("none", 0.0)
        if ia == ib:
            return ("exact", 1.0)
        weight = self._related[ia].get(ib, 0.0)
        group = GROUP_WEIGHT if self.skills[ia].group == self.skills[ib].group else 0.0
        if weight and weight >= group:
            return ("related", weight)
        return ("group", group) if group else ("none", 0.0)

    def similarity_matrix(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Read-only float32 size×size matrix of relation() scores, built once."""
        if self._matrix is None:
            groups = np.array([s.group for s in self.skills])
            m = np.where(groups[:, None] == groups[None, :], GROUP_WEIGHT, 0.0).astype(np.float32)
            for i, rel in enumerate(self._related):
                for j, w in rel.items():
                    m[i, j] = max(m[i, j], w)
            np.fill_diagonal(m, 1.0)
            m.setflags(write=False)
            self._matrix = m
        return self._matrix

    def general_labour(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Per entry (in index order) whether it is general labour (GENERAL_LABOUR)."""
        return np.array([s.name in GENERAL_LABOUR for s in self.skills], dtype=np.bool_)

    def group_indices(self) -> np.ndarray[Any, np.dtype[np.int32]]:
        """Per entry (in index order) the position of its group in `groups`, as int32."""
        position = {g.id: n for n, g in enumerate(self.groups)}
        return np.array([position[s.group] for s in self.skills], dtype=np.int32)

    def _match(self, base: str) -> tuple[int | None, float, Method]:
        """The resolution ladder on a canonical term; fillers are tried only after the raw form."""
        if base in NULL_TERMS or (negated(base) and base not in self._keys):
            return None, 0.0, "unresolved"
        stripped = strip_fillers(base)
        for cand in (base, stripped):  # raw first, so 会计 is not read as 会 + 计
            if cand in self._keys:
                i, is_name = self._keys[cand]
                return (i, SCORE_EXACT, "exact") if is_name else (i, SCORE_ALIAS, "alias")
        if stripped in NULL_TERMS:
            return None, 0.0, "unresolved"
        hit, score = max((self._contains(c) for c in (stripped, base)), key=lambda f: f[1])
        if hit is not None:
            return hit, score, "contains"
        hit, score = self._fuzzy(stripped)
        return (hit, score, "fuzzy") if hit is not None else (None, 0.0, "unresolved")

    def _substring_keys(self, q: str) -> list[str]:
        # Every key containing q comes from the posting list of q's rarest character.
        lists = [self._by_char.get(ch, []) for ch in set(q)]
        shortest = min(lists, key=len)
        return [k for k in shortest if q in k]

    def _contains(self, q: str) -> tuple[int | None, float]:
        """Best containment: a key inside q (longest, then rightmost), or q inside a short key."""
        for length in range(min(len(q), self._max_key), 1, -1):
            for start in range(len(q) - length, -1, -1):  # rightmost first: the head is last
                k = q[start : start + length]
                if k in self._keys and (not k.isascii() or _ascii_bounded(q, start, length)):
                    return self._keys[k][0], 60.0 + 30.0 * length / len(q)
        if len(q) < (3 if q.isascii() else 2):
            return None, 0.0
        longer = [k for k in self._substring_keys(q) if len(q) * 2 >= len(k) and k != q]
        if not longer:
            return None, 0.0
        k = min(longer, key=lambda k: (len(k), self._keys[k][0]))
        return self._keys[k][0], 55.0 + 30.0 * len(q) / len(k)

    def _fuzzy_matches(self, q: str, limit: int) -> list[tuple[str, float]]:
        """Keys within FUZZY_CUTOFF of q, best first, ties in taxonomy order."""
        # A key that close shares at least two characters with q (one, if q repeats one), so
        # only the posting lists of q's characters need scoring: nonsense is rejected cheaply.
        need = 2 if len(set(q)) == len(q) else 1
        hits = Counter(k for ch in set(q) for k in self._by_char.get(ch, ()))
        cut = FUZZY_CUTOFF / 100
        pool = sorted((k for k, n in hits.items() if n >= need), key=self._order.__getitem__)
        scored = process.extract(
            q, pool, scorer=Levenshtein.normalized_similarity, limit=None, score_cutoff=cut
        )
        # Among equals prefer the same length (a slip, not a missing character), then id order.
        scored.sort(key=lambda f: (-f[1], abs(len(f[0]) - len(q)), f[2]))
        return [(k, 100.0 * sim) for k, sim, _ in scored[:limit]]

    def _fuzzy(self, q: str) -> tuple[int | None, float]:
        """Closest key by Levenshtein similarity, if it is close enough to be a slip."""
        if not 2 <= len(q) <= 2 * self._max_key:
            return None, 0.0
        # In the weakest band (one wrong character in three) the wrong character must be one no
        # key uses: 电悍工 is a slip for 电焊工, but 开汽车 is another word, not a slip for 开行车.
        vocabulary = self._by_char.keys()
        for key, score in self._fuzzy_matches(q, limit=8):
            if score >= 75.0 or not (set(q) - set(key)) & vocabulary:
                return self._keys[key][0], score
        return None, 0.0


def _parse_skill(entry: Mapping[str, Any]) -> Skill:
    if not re.fullmatch(r"S\d{4}", str(entry["id"])) or entry["kind"] not in KINDS:
        raise TaxonomyError(f"bad id or kind: {entry['id']!r} {entry['kind']!r}")
    aliases = tuple(entry.get("aliases", ()))
    return Skill(entry["id"], entry["name"], entry["en"], entry["kind"], entry["group"], aliases)


def _symmetric_relations(
    entries: Iterable[Mapping[str, Any]], index: Mapping[str, int]
) -> list[dict[int, float]]:
    """Per-entry related weights, mirrored: a one-sided edge gains its reverse, conflicts fail."""
    rel: list[dict[int, float]] = [{} for _ in index]
    declared: dict[tuple[int, int], float] = {}
    for e in entries:
        for r in e.get("related", ()):
            a, b, w = index[e["id"]], index.get(r["id"]), float(r["weight"])
            if b is None or a == b or not 0.0 < w < 1.0:
                raise TaxonomyError(f"{e['id']}: bad related entry {r!r}")
            declared[(a, b)] = w
    for (a, b), w in declared.items():
        if declared.get((b, a), w) != w:
            raise TaxonomyError(f"asymmetric weights between rows {a} and {b}")
        rel[a][b] = rel[b][a] = w
    return rel


def _key_table(skills: Iterable[Skill]) -> dict[str, tuple[int, bool]]:
    """Canonical name/alias → (entry index, is the name); one key may belong to one entry only."""
    keys: dict[str, tuple[int, bool]] = {}
    for i, s in enumerate(skills):
        for text in (s.name, *s.aliases):
            key = canonical(text)
            if not key or keys.get(key, (i, False))[0] != i:
                raise TaxonomyError(f"{s.id}: alias {text!r} is empty or ambiguous")
            keys.setdefault(key, (i, text == s.name))
    return keys


def load_taxonomy(text: str) -> SkillTaxonomy:
    """Build a taxonomy from the JSON text of a taxonomy file."""
    return SkillTaxonomy(json.loads(text))


@functools.lru_cache(maxsize=1)
def get_taxonomy() -> SkillTaxonomy:
    """The taxonomy shipped with the package, loaded once."""
    path = resources.files("matching.skills").joinpath("data", "taxonomy.json")
    return load_taxonomy(path.read_text(encoding="utf-8"))

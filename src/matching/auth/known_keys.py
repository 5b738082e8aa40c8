"""The API keys a worker has looked up, kept while nothing about any key has changed.

Every request presents its key; looking it up was one of the statements a match spent more time
on than its scoring (issue 14). A worker keeps what it read of each key it has seen, with the
value the `keys` change counter had then, and trusts it only while the counter stands there: the
database's triggers move that counter on any change to an existing key or to an agency's
suspension, whoever makes it (migration 0018; a new key changes no key kept, since only keys
found are kept), and a request reads the counters in one statement it needs
anyway (changes.seen_seqs), or takes the ones its worker read a moment ago
(changes.RecentCounters). A revoked key is refused within that moment in every worker.
Unknown keys are not kept (a stream of made-up keys must not fill memory); expiry is checked
against today on every request, so a kept key expires on time.
"""

from dataclasses import dataclass
from datetime import date, datetime

from matching.auth.models import ApiKey
from matching.auth.principal import Principal

KEYS_KEPT = 10_000  # a bound, not an LRU: past it the worker starts over (one read a key)


@dataclass(frozen=True, slots=True)
class KnownKey:
    """What authentication needs of a key, as read at one value of the keys counter."""

    principal: Principal
    revoked: bool
    expires_on: date | None
    agency_suspended_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey, agency_suspended_at: datetime | None) -> "KnownKey":
        """The key's row and its agency's suspension, as read together."""
        return cls(
            principal=Principal.from_key(key),
            revoked=key.revoked_at is not None,
            expires_on=key.expires_on,
            agency_suspended_at=agency_suspended_at,
        )


class KnownKeys:
    """A worker's keys by their hash, each with the keys counter it was read at."""

    def __init__(self) -> None:
        # Threads share it through single dict operations, atomic in Python.
        self._kept: dict[str, tuple[int, KnownKey]] = {}

    def get(self, key_hash: str, seq: int) -> KnownKey | None:
        """The key as kept, if it was read at this value of the counter."""
        entry = self._kept.get(key_hash)
        return entry[1] if entry is not None and entry[0] == seq else None

    def keep(self, key_hash: str, seq: int, known: KnownKey) -> None:
        """Keep a key read at this value of the counter (read before the key itself: a change
        committed in between moves the counter past `seq`, and the next request reads again)."""
        if len(self._kept) >= KEYS_KEPT:
            self._kept.clear()
        self._kept[key_hash] = (seq, known)

"""Per-key request rate limits: one token bucket per API key and kind of request.

A key may make `per_minute` requests a minute of its role's budget, in bursts up to that many;
the bucket refills evenly. Batches, imports, pushes and plans draw on a second, smaller budget
as well, because one of them costs as much as hundreds of reads. Buckets live in the process:
with several workers each holds its own, so a key's limit is per worker (README, "Roles and
errors"). They run on the monotonic clock, not the service's clock: a limit is about real
elapsed time, and the service's clock may be fixed or moved (tests, `PUT /v1/clock`).
"""

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from matching.errors import TooManyRequests

DEFAULT = "requests"
BULK = "bulk"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per (key, kind); a limit of 0 means no limit for that role."""

    def __init__(
        self,
        limits: Mapping[str, Mapping[str, int]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {kind: dict(per_role) for kind, per_role in limits.items()}
        self._monotonic = monotonic
        self._buckets: dict[tuple[int, str], _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int, role: str, kind: str = DEFAULT) -> None:
        """Spend one request of the key's budget, or raise a 429 saying when to retry."""
        per_minute = self._limits.get(kind, {}).get(role, 0)
        if per_minute <= 0:
            return
        rate = per_minute / 60.0  # tokens a second
        now = self._monotonic()
        with self._lock:
            bucket = self._buckets.get((key_id, kind))
            if bucket is None:
                bucket = self._buckets[(key_id, kind)] = _Bucket(float(per_minute), now)
            bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            # Rounded up to whole seconds, less a hair of float noise (20.000000001 is 20).
            wait = max(1, math.ceil((1.0 - bucket.tokens) / rate - 1e-6))
        what = "batch, import, push and plan requests" if kind == BULK else "requests"
        raise TooManyRequests(
            f"This key has used its {per_minute} {what} a minute ({role}); retry in "
            f"{wait} s / 请求过于频繁，请稍后重试",
            retry_after=wait,
        )

"""When to try again after a failed sync: exponential backoff with full jitter, honouring Retry-After.

Full jitter (a uniform draw between a floor and the exponential bound) keeps a whole office's kiosks
from retrying in step after the server comes back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float = 2.0
    cap_s: float = 300.0
    floor_s: float = 0.5
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def failure(self, retry_after_s: float | None = None) -> float:
        """Seconds to wait after one more failure."""
        self.failures += 1
        bound = min(self.cap_s, self.base_s * 2 ** min(self.failures - 1, 30))
        delay = self.rng.uniform(min(self.floor_s, bound), bound)
        if retry_after_s is not None and retry_after_s > 0:
            delay = max(delay, min(retry_after_s, self.cap_s))
        return delay

    def success(self) -> None:
        self.failures = 0

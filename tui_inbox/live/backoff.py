"""Exponential backoff with full jitter, shared by the stream and the poller."""

from __future__ import annotations

import random
from dataclasses import dataclass

# 2.0 ** 1100 overflows a float: a laptop left offline overnight retries ~1000 times.
# Any exponent past this already sits at the cap for every sensible base.
_MAX_EXPONENT = 40


@dataclass(frozen=True)
class Backoff:
    base: float = 1.0  # the ceiling of the first delay
    cap: float = 60.0  # the ceiling never grows past this

    def delay(self, failures: int) -> float:
        """How long to wait after ``failures`` failures in a row (0 = the first one).

        Full jitter (a uniform draw below the ceiling) so that many clients cut off
        by the same outage do not all come back in the same instant.
        """
        exponent = min(max(failures, 0), _MAX_EXPONENT)
        return random.uniform(0.0, min(self.cap, self.base * 2.0**exponent))

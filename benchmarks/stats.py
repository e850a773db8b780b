"""Figures shared by the benchmark scripts (imported from beside them: they run as scripts)."""

from __future__ import annotations

import math


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (0..1), linear between the closest ranks."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    at = (len(ordered) - 1) * q
    low = math.floor(at)
    return ordered[low] + (ordered[min(low + 1, len(ordered) - 1)] - ordered[low]) * (at - low)

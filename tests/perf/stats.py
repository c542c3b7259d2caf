"""What the benchmarks share: percentiles of their timings."""
from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """The `p`th percentile (0–100) of `values`, interpolated between the two nearest ranks; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

"""Statistics every check uses: intervals, seeded resampling, label and decision coding.

One home, so that every check reports its uncertainty the same way and every resample can be replayed:
a seed is derived from the check's inputs (never Python's per-process salted ``hash()``), so the same
review of the same data gives the same record in a new process.
"""

from __future__ import annotations

import hashlib
import math
from statistics import NormalDist

import numpy as np


def wilson_interval(k: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (k may be a mean of per-row shares times n).

    Chosen over the normal (Wald) interval because it stays inside [0, 1] and keeps its coverage at
    proportions of 0 and 1 and in small samples."""
    if n <= 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = min(max(k / n, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def seed_from(*parts: object) -> int:
    """A 63-bit seed from the inputs it describes (data digest, check id, group, ...): stable across
    processes and machines, unlike ``hash()``."""
    text = "\x1f".join(repr(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def rng_for(*parts: object) -> np.random.Generator:
    """A generator seeded from the inputs (see ``seed_from``)."""
    return np.random.default_rng(seed_from(*parts))

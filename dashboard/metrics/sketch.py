"""A mergeable log-bucket histogram (DDSketch-style) with exact count, sum, min and max.

Positive values fall in bucket ``i = ceil(log(v) / log(gamma))`` with
``gamma = (1 + a) / (1 - a)``; a bucket's representative ``2 gamma^i / (gamma + 1)``
is within relative error ``a`` of every value in it, so any quantile is within
``a`` (1 % here) of the true sample quantile. Memory is bounded by the number
of buckets spanned (about 1,100 from 1 µs to 1 hour), whatever the count, and
two sketches merge by adding bucket counts — which is how workers' figures
combine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
LOG_GAMMA = math.log(GAMMA)
MIN_POSITIVE = 1e-9  # values below are counted in the zero bucket


def bucket_of(value: float) -> int:
    """Bucket index of a positive value."""
    return math.ceil(math.log(value) / LOG_GAMMA)


def representative(index: int) -> float:
    return 2 * GAMMA**index / (GAMMA + 1)


@dataclass
class Sketch:
    buckets: dict[int, int] = field(default_factory=dict)
    zeros: int = 0
    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    errors: int = 0
    slow: int = 0

    def add(self, value: float, error: bool = False, slow: bool = False) -> None:
        if value > MIN_POSITIVE:
            index = math.ceil(math.log(value) / LOG_GAMMA)
            self.buckets[index] = self.buckets.get(index, 0) + 1
        else:
            self.zeros += 1
        self.count += 1
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        if error:
            self.errors += 1
        if slow:
            self.slow += 1

    def merge(self, other: Sketch) -> Sketch:
        for index, n in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + n
        self.zeros += other.zeros
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.errors += other.errors
        self.slow += other.slow
        return self

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0..1) as numpy's default (linear) method defines it: between the order statistics
        at ranks ``floor(q (n - 1))`` and ``ceil(q (n - 1))``, interpolated. Each order statistic is its
        bucket's representative (within 1 %), the smallest and the largest exact: so a quantile of a few
        samples with an outlier lies where numpy puts it, never below the second largest when the rank
        reaches towards the maximum. None when empty."""
        if self.count == 0:
            return None
        rank = min(max(q, 0.0), 1.0) * (self.count - 1)
        low = math.floor(rank)
        below, above = self._order_statistics(low, min(low + 1, self.count - 1))
        return below + (above - below) * (rank - low)

    def _order_statistics(self, first: int, second: int) -> tuple[float, float]:
        """The ``first``-th and ``second``-th smallest values (0-based, first <= second), as estimated."""
        found: list[float] = []
        seen = self.zeros
        wanted = [first, second]
        for k in wanted:
            if k < seen:
                found.append(self._exact(k, 0.0))
        if len(found) < 2:
            for index in sorted(self.buckets):
                seen += self.buckets[index]
                while len(found) < 2 and wanted[len(found)] < seen:
                    found.append(self._exact(wanted[len(found)], representative(index)))
                if len(found) == 2:
                    break
        while len(found) < 2:
            found.append(self.maximum)
        return found[0], found[1]

    def _exact(self, k: int, estimate: float) -> float:
        """The k-th smallest value: the exact minimum or maximum at the ends, else the estimate within them."""
        if k <= 0:
            return self.minimum
        if k >= self.count - 1:
            return self.maximum
        return min(max(estimate, self.minimum), self.maximum)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def summary(self) -> dict:
        empty = self.count == 0
        return {
            "count": self.count,
            "mean": None if empty else self.total / self.count,
            "min": None if empty else self.minimum,
            "max": None if empty else self.maximum,
            "p50": self.quantile(0.50),
            "p95": self.quantile(0.95),
            "p99": self.quantile(0.99),
            "errors": self.errors,
            "slow": self.slow,
        }

    # -- a flat form for storage (hash fields) -------------------------------------------------

    def to_fields(self) -> dict[str, float]:
        fields: dict[str, float] = {f"b{i}": n for i, n in self.buckets.items()}
        fields.update(z=self.zeros, n=self.count, s=self.total, e=self.errors, w=self.slow)
        if self.count:
            fields.update(lo=self.minimum, hi=self.maximum)
        return fields

    @classmethod
    def from_fields(cls, fields: dict) -> Sketch:
        sketch = cls()
        for key, raw in fields.items():
            key = key.decode() if isinstance(key, bytes) else key
            value = float(raw.decode() if isinstance(raw, bytes) else raw)
            if key.startswith("b"):
                sketch.buckets[int(key[1:])] = int(value)
            elif key == "z":
                sketch.zeros = int(value)
            elif key == "n":
                sketch.count = int(value)
            elif key == "s":
                sketch.total = value
            elif key == "e":
                sketch.errors = int(value)
            elif key == "w":
                sketch.slow = int(value)
            elif key == "lo":
                sketch.minimum = value
            elif key == "hi":
                sketch.maximum = value
        return sketch

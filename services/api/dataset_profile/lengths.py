"""String lengths from counts alone: Elasticsearch here runs no scripts (the integ-test distribution has no
painless), so a length is asked as a regular expression (`.{8,15}`: 8 to 15 characters) over the field's values
read from `_source`, and narrowed down.

First the values are counted in power-of-two ranges; then the ranges that hold the shortest and the longest are
split, SPLIT ways a pass, until each is one length wide (min and max are then exact); last, [min, max] is counted in
at most FINE ranges, from which mean, median, p90 and the histogram come (exact while max - min < FINE). Lengths
are in Unicode code points, like Python's `len`; from LENGTH_CAP on they count as LENGTH_CAP. A count is of records
with such a value (an array of strings counts once per range it has values in).
"""

import math
from dataclasses import dataclass
from typing import Any

LENGTH_CAP = 4096
COARSE_EDGES = (0, 1) + tuple(2**k for k in range(1, 13))  # ... 2048, 4096
SPLIT = 16
FINE = 32
HISTOGRAM_BUCKETS = 10

Span = tuple[int, int | None]  # lengths [start, end); end None: start and longer


def coarse_spans() -> list[Span]:
    return [(a, b) for a, b in zip(COARSE_EDGES, COARSE_EDGES[1:])] + [(LENGTH_CAP, None)]


def span_filter(path: str, span: Span) -> dict[str, Any]:
    """A query for records whose value at `path` has a length in `span`."""
    start, end = span
    if end is None:
        return {"regexp": {path: f".{{{start},}}"}}
    if (start, end) == (0, 1):
        return {"term": {path: ""}}
    return {"regexp": {path: f".{{{start}}}" if end - start == 1 else f".{{{start},{end - 1}}}"}}


def split(span: Span, parts: int) -> list[Span]:
    """`span` cut into at most `parts` ranges of (nearly) equal width; an open span (LENGTH_CAP on) stays whole."""
    start, end = span
    if end is None or end - start <= 1:
        return [span]
    edges = sorted({start + (k * (end - start)) // parts for k in range(parts + 1)})
    return list(zip(edges, edges[1:]))


def exact(span: Span) -> bool:
    return span[1] is None or span[1] - span[0] == 1


def first_nonempty(spans: list[Span], counts: list[int], last: bool = False) -> Span | None:
    found = [span for span, count in zip(spans, counts) if count > 0]
    return (found[-1] if last else found[0]) if found else None


@dataclass(frozen=True)
class Bounds:
    """The spans known to hold the shortest and the longest value."""

    shortest: Span
    longest: Span

    @property
    def done(self) -> bool:
        return exact(self.shortest) and exact(self.longest)

    def spans(self) -> tuple[list[Span], list[Span]]:
        """What the next pass counts: each bound split SPLIT ways."""
        return split(self.shortest, SPLIT), split(self.longest, SPLIT)

    def narrowed(self, shortest_counts: list[int], longest_counts: list[int]) -> "Bounds":
        low, high = self.spans()
        return Bounds(first_nonempty(low, shortest_counts) or self.shortest,
                      first_nonempty(high, longest_counts, last=True) or self.longest)

    @property
    def min(self) -> int:
        return self.shortest[0]

    @property
    def max(self) -> int:
        return self.longest[0] if self.longest[1] is None else self.longest[1] - 1

    def fine_spans(self) -> list[Span]:
        """[min, max] in at most FINE ranges; the last one open when the longest is at the cap."""
        spans = split((self.min, self.max + 1), FINE)
        if self.longest[1] is None:
            spans[-1] = (spans[-1][0], None)
        return spans


def bounds_from_coarse(counts: list[int]) -> Bounds | None:
    spans = coarse_spans()
    shortest = first_nonempty(spans, counts)
    return None if shortest is None else Bounds(shortest, first_nonempty(spans, counts, last=True))


def midpoint(span: Span) -> float:
    start, end = span
    return float(start) if end is None else (start + end - 1) / 2


def percentile(spans: list[Span], counts: list[int], fraction: float) -> float:
    """Nearest rank: the midpoint of the range holding the value at rank ceil(fraction * n)."""
    total = sum(counts)
    rank = max(1, math.ceil(round(fraction * total, 9)))
    seen = 0
    for span, count in zip(spans, counts):
        seen += count
        if seen >= rank:
            return midpoint(span)
    return midpoint(spans[-1])


def histogram(spans: list[Span], counts: list[int], buckets: int = HISTOGRAM_BUCKETS) -> list[dict[str, Any]]:
    """The fine ranges merged into at most `buckets` neighbouring groups: start, end (inclusive), count."""
    cuts = sorted({(k * len(spans)) // buckets for k in range(buckets + 1)})
    merged = []
    for first, past in zip(cuts, cuts[1:]):
        start, end = spans[first][0], spans[past - 1][1]
        merged.append({"start": start, "end": LENGTH_CAP if end is None else end - 1,
                       "count": sum(counts[first:past])})
    return merged

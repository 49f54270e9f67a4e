"""Stable decimation of a growing curve: a live chart never holds more than ``max_points``.

``minmax_downsample`` (below, for finished curves) cuts a curve into buckets by index, so the buckets
shift every time a point arrives and the whole curve changes on every refresh. Here buckets are
fixed stretches of x (the training step), ``width`` a power of two: while the width stays the same,
every full bucket keeps the same two points, so a refresh changes only the last bucket and appends
new ones (``explorer.app.live_chart`` then sends just that tail). The width doubles when the curve
outgrows ``max_points``; two buckets merge, and their min and max survive the merge, so the
extremes a reader saw (a divergence spike, the lowest loss) stay on the chart.

Pure: numpy arrays in, numpy arrays out.
"""
from __future__ import annotations

import numpy as np

LIVE_CURVE_POINTS = 2000  # most points a live training curve holds (min and max of 1000 buckets)


def bucket_width(x_min: float, x_max: float, max_points: int) -> float:
    """The smallest power-of-two width whose buckets (``floor(x / width)``) over [x_min, x_max]
    number at most ``max_points // 2`` (each keeps at most two points).

    Args:
        x_min, x_max: the curve's first and last x (x_min <= x_max).
        max_points: most points the decimated curve may hold (>= 2).

    Returns:
        The width (1.0 when the span needs no merging; it may be below 1 for fractional x).
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    buckets = max_points // 2
    if x_max <= x_min:
        return 1.0
    width = 2.0 ** np.floor(np.log2(max((x_max - x_min) / buckets, 1e-300)))
    while np.floor(x_max / width) - np.floor(x_min / width) + 1 > buckets:
        width *= 2
    return float(width)


def decimate_minmax(x: np.ndarray, y: np.ndarray, max_points: int = LIVE_CURVE_POINTS
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Keep, in every bucket of x, the points where y is lowest and highest.

    Args:
        x: (N,) increasing abscissae (training steps); finite.
        y: (N,) finite values.
        max_points: most points to return (>= 2).

    Returns:
        (x_d, y_d), each (M,) with M <= max_points, a subsequence of the input in its order; the
        input itself when N <= max_points. The global min and max of y are always kept, and the
        points of a bucket already complete stay the same as the curve grows (until the width
        doubles, which keeps each merged bucket's min and max).
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D with equal length, got {x.shape} and {y.shape}")
    n = x.shape[0]
    if n <= max_points:
        return x, y
    width = bucket_width(float(x[0]), float(x[-1]), max_points)
    bucket = np.floor(x / width).astype(np.int64)
    order = np.lexsort((np.arange(n), y, bucket))  # by bucket, then y, ties in x order
    b_sorted = bucket[order]
    first = np.flatnonzero(np.r_[True, b_sorted[1:] != b_sorted[:-1]])  # each bucket's min
    last = np.r_[first[1:] - 1, n - 1]  # ... and max
    idx = np.unique(np.concatenate([order[first], order[last]]))
    return x[idx], y[idx]


def downsample_index(n: int, max_points: int) -> np.ndarray:
    """Evenly spaced indices into a length-n axis, first and last always included.

    Args:
        n: length of the axis (>= 0).
        max_points: most indices to return (>= 1).

    Returns:
        int64 array (m,), strictly increasing, m <= min(n, max_points); all of
        range(n) when n <= max_points.
    """
    n = int(n)
    max_points = int(max_points)
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    if n <= max_points:
        return np.arange(max(n, 0), dtype=np.int64)
    if max_points == 1:
        return np.zeros(1, dtype=np.int64)
    idx = np.round(np.linspace(0, n - 1, max_points)).astype(np.int64)
    # Rounding cannot create duplicates when n > max_points, but be safe.
    return np.unique(idx)


def minmax_downsample(
    x: np.ndarray, y: np.ndarray, max_points: int
) -> tuple[np.ndarray, np.ndarray]:
    """Downsample a curve while keeping its extremes.

    The series is cut into buckets and each bucket keeps the points where y is lowest
    and highest, so a one-step divergence spike survives where striding would drop it.

    Args:
        x: (N,) abscissae, e.g. training steps, increasing.
        y: (N,) finite values; drop NaN/inf before calling.
        max_points: most points to return (>= 1).

    Returns:
        (x_ds, y_ds), each (M,) with M <= max_points, in the original order; the first
        and last points are kept. Inputs are returned unchanged when N <= max_points.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D with equal length, got {x.shape} and {y.shape}")
    n = y.shape[0]
    if n <= max_points:
        return x, y
    n_buckets = (int(max_points) - 2) // 2
    if n_buckets < 1:
        idx = downsample_index(n, max_points)
        return x[idx], y[idx]
    edges = np.linspace(0, n, n_buckets + 1).astype(np.int64)
    bucket = np.searchsorted(edges, np.arange(n), side="right") - 1
    # Sort by (bucket, y): per bucket, the first entry is its min, the last its max.
    order = np.lexsort((y, bucket))
    starts = edges[:-1]
    ends = edges[1:] - 1
    keep = np.concatenate([order[starts], order[ends], [0, n - 1]])
    idx = np.unique(keep)
    return x[idx], y[idx]

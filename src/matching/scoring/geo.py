"""Great-circle distances between county seats."""

import math

import numpy as np

from matching.scoring.dtypes import F32

EARTH_RADIUS_KM = 6371.0088


def unit_vectors(lat_deg: F32, lon_deg: F32) -> tuple[F32, F32, F32]:
    """Points on the unit sphere; precomputed so that distances need no per-call trigonometry."""
    lat = np.radians(lat_deg.astype(np.float64))
    lon = np.radians(lon_deg.astype(np.float64))
    cos_lat = np.cos(lat)
    return (
        (cos_lat * np.cos(lon)).astype(np.float32),
        (cos_lat * np.sin(lon)).astype(np.float32),
        np.sin(lat).astype(np.float32),
    )


def _asin(x: F32) -> F32:
    """arcsin by its odd Taylor series, ~6× faster than np.arcsin on float32.

    Relative error < 2e-6 for x <= 0.45 (5,900 km between seats, more than any two county seats
    of China), < 2e-5 up to x = 0.55 (7,400 km); beyond, it underestimates, where every decay is
    ~0 anyway. All coefficients are positive, so it stays increasing: nearer stays nearer.
    """
    x2 = x * x
    poly = np.float32(63 / 2816) * x2 + np.float32(35 / 1152)
    poly = poly * x2 + np.float32(5 / 112)
    poly = poly * x2 + np.float32(3 / 40)
    poly = poly * x2 + np.float32(1 / 6)
    result: F32 = x + x * x2 * poly
    return result


def great_circle_km(a: tuple[F32, F32, F32], b: tuple[F32, F32, F32]) -> F32:
    """Haversine distance from unit vectors: hav θ = (chord / 2)²; NaN when a seat is unknown."""
    squared = np.zeros(np.broadcast_shapes(a[0].shape, b[0].shape), dtype=np.float32)
    for ai, bi in zip(a, b, strict=True):
        d = bi - ai
        d *= d
        squared += d
    # The chord between unit vectors is at most 2, so half of it needs no clamp for _asin.
    half_chord = np.sqrt(squared, out=squared)
    half_chord *= np.float32(0.5)
    dist = _asin(half_chord)
    dist *= np.float32(2 * EARTH_RADIUS_KM)
    return dist


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Exact distance for one pair (float64), as reasons show it; NaN when a seat is unknown."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2
    a += math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    if math.isnan(a):
        return math.nan
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))

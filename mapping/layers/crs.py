"""What a file's declared coordinate reference system (CRS) allows its coordinates to be.

Validation converts every layer to EPSG:4326. Before trusting the conversion it asks:
can this CRS be converted to longitude/latitude on the Earth at all (a local engineering
CRS or a CRS of Mars cannot), and do the coordinates fit the CRS — longitudes and latitudes
written in a file that declares a projection in metres are read as a few metres from the
projection's origin, far from where the features are.
"""

from __future__ import annotations

import re

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from ..i18n import Term

# How far outside its official area of use a projected CRS is still used in practice (a UTM
# zone stretched over a whole country spans up to about two zones, 6° each side)
AREA_MARGIN_DEG = 10.0
LINEAR_UNITS = {"metre": "metres", "foot": "feet", "US survey foot": "feet"}
_CELESTIAL = re.compile(r"celestial body \((?P<body>[^)]*?) vs Earth\)", re.IGNORECASE)


def crs_label(crs: CRS) -> str:
    """``EPSG:32628 (WGS 84 / UTM zone 28N)`` when the CRS has an authority code, else its name."""
    try:
        authority = crs.to_authority(min_confidence=90)
    except CRSError:
        authority = None
    name = crs.name if crs.name and crs.name.lower() not in ("unknown", "unnamed") else ""
    if authority:
        code = ":".join(authority)
        return f"{code} ({name})" if name else code
    return name or crs.to_string()[:80]


def units(crs: CRS) -> Term | str:
    """The unit of the CRS's first axis in words (``metres``), as a catalogue term if known."""
    name = crs.axis_info[0].unit_name if crs.axis_info else ""
    return Term(f"validation.crs_units.{LINEAR_UNITS[name]}") if name in LINEAR_UNITS else name or "?"


def not_on_earth(crs: CRS, target: str = "EPSG:4326") -> tuple[str, dict[str, object]] | None:
    """Why ``crs`` cannot be converted to ``target`` (a finding's code and parameters:
    ``crs_local``, ``crs_other_body`` or ``crs_unconvertible``), or None when it can."""
    label = crs_label(crs)
    if crs.is_engineering:
        return "crs_local", {"crs": label}
    try:
        Transformer.from_crs(crs, target, always_xy=True)
        return None
    except (ProjError, CRSError) as exc:
        text = str(exc)
    body = _CELESTIAL.search(text)
    if body:
        ellipsoid = crs.ellipsoid.name if crs.ellipsoid is not None else ""
        return "crs_other_body", {"crs": label, "body": ", ".join(filter(None, (body["body"], ellipsoid)))}
    if crs.ellipsoid is None:  # no datum on the Earth: a local system under another name
        return "crs_local", {"crs": label}
    detail = text.split("(Internal Proj Error:")[-1].strip(" ()")[:160]
    return "crs_unconvertible", {"crs": label, "detail": detail or "?"}


def area_of_use(crs: CRS) -> tuple[float, float, float, float] | None:
    """The CRS's area of use in degrees (west, south, east, north), or None when unknown."""
    area = crs.area_of_use
    if area is None:
        return None
    return area.west, area.south, area.east, area.north


def in_box(lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float] | None,
           margin_deg: float) -> np.ndarray:
    """Which points lie in ``box`` widened by ``margin_deg`` (a box crossing the antimeridian,
    west > east, is taken as the whole band of latitudes)."""
    if box is None:
        return np.zeros(len(lon), dtype=bool)
    west, south, east, north = box
    with np.errstate(invalid="ignore"):
        in_lat = (lat >= south - margin_deg) & (lat <= north + margin_deg)
        if west > east:
            return in_lat
        return in_lat & (lon >= west - margin_deg) & (lon <= east + margin_deg)


def degree_like(bounds: np.ndarray) -> np.ndarray:
    """Which features (rows of minx, miny, maxx, maxy) have every coordinate within the
    ranges of longitudes and latitudes."""
    with np.errstate(invalid="ignore"):
        return (np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1) & (np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1)

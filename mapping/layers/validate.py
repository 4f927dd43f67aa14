"""Validate a layer against its kind's schema and report every finding at once.

``validate_layer`` maps field column names to the schema, converts values to
the schema's types, reprojects to EPSG:4326 and returns a ``ValidationReport``:
the prepared layer plus the findings. Nothing is fixed without consent:
``apply_fixes`` repairs what is marked fixable (missing CRS that is obviously
EPSG:4326, swapped latitude/longitude, invalid polygons) and records each fix.
Distances are geodesic or measured in ``geo.study_crs`` (metres), never in degrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ..escape import XML_ILLEGAL
from ..geo import SAHEL_BOUNDS, geodesic_m, study_crs
from ..i18n import Term
from .columns import map_columns
from .crs import AREA_MARGIN_DEG, area_of_use, crs_label, degree_like, in_box, not_on_earth, units
from .findings import ERROR, WARNING, Finding, has_errors
from .readers import RasterInfo
from .schema import STORAGE_CRS, Column, LayerKind, with_schema_types
from .values import as_text, text_column, to_allowed, to_booleans, to_dates, to_numbers

FORMULA = re.compile(r"^[=+@\t\r]|^-[^\d\s.,]")
# C0 control characters but tab, line feed and carriage return (legitimate in free text): a
# NUL would cut the text where it stands when stored (GDAL writes C strings); the others are
# kept, but no CSV, Excel or KML file can hold them (the exports leave them out)
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>|javascript:|\$\{|`|\[[^\]]*\]\([^)]*\)", re.IGNORECASE)
MAX_FINDINGS_PER_CODE = 200
KM_PER_DEGREE = 111.32  # of latitude, and of longitude at the equator (less towards the poles)
# kinds whose points are places: two within metres are probably one place entered twice
# (flows and incidents legitimately repeat a point)
NEAR_DUPLICATE_KINDS = ("posts", "crossings", "settlements")


@dataclass(frozen=True)
class ValidationSettings:
    """Thresholds of the checks; distances in kilometres or metres as named."""

    study_bounds: tuple[float, float, float, float] = SAHEL_BOUNDS
    far_outside_km: float = 100.0
    near_duplicate_m: float = 50.0
    crossing_max_border_km: float = 5.0


@dataclass
class ValidationContext:
    """What the store already holds that a layer is checked against. ``update_of``: the ids of
    the stored layer when the file updates it (features absent from the file are kept, and a
    stored feature may leave out columns and its position, which it keeps). ``aliases``: field
    ids to read as the stored ids they were matched to (by name, with the user's consent)."""

    borders: gpd.GeoDataFrame | None = None
    known_ids: dict[str, set[str]] = field(default_factory=dict)
    settings: ValidationSettings = field(default_factory=ValidationSettings)
    update_of: set[str] | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # field id -> stored id it was matched to


@dataclass
class ValidationReport:
    """The prepared layer (schema columns, EPSG:4326 unless the CRS is missing) and its findings."""

    kind: str
    layer: gpd.GeoDataFrame
    findings: list[Finding]
    fixes_applied: list[str] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # the schema columns the file has

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    @property
    def fixable(self) -> list[Finding]:
        return [f for f in self.findings if f.fixable]


# ------------------------------------------------------------------ checks
class _Collector:
    """Gathers findings, capping how many of one code are kept (a summary finding says so)."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._counts: dict[str, int] = {}

    def add(self, severity: str, code: str, feature_id: object = None, fixable: bool = False,
            row: int | None = None, **params: object) -> None:
        count = self._counts.get(code, 0) + 1
        self._counts[code] = count
        if count <= MAX_FINDINGS_PER_CODE or fixable:  # every fixable finding is kept for --fix
            fid = None if feature_id is None else str(feature_id)
            self.findings.append(Finding(severity, code, fid, params, fixable, row))

    def room(self, code: str) -> int:
        """How many more findings of ``code`` will be listed."""
        return max(MAX_FINDINGS_PER_CODE - self._counts.get(code, 0), 0)

    def skip(self, code: str, count: int) -> None:
        """Count ``count`` findings of ``code`` that will not be listed, without making them."""
        if count > 0:
            self._counts[code] = self._counts.get(code, 0) + count

    def close(self) -> list[Finding]:
        for code, count in self._counts.items():
            if count > MAX_FINDINGS_PER_CODE:
                self.findings.append(Finding(WARNING, "more_findings", None,
                                             {"code": code, "count": count - MAX_FINDINGS_PER_CODE}))
        return self.findings


def _feature_ids(layer: gpd.GeoDataFrame, kind: LayerKind) -> pd.Series:
    """The id of each feature for messages: its id value, else ``row N`` (1-based)."""
    rows = pd.Series([f"#{i + 1}" for i in range(len(layer))], index=layer.index, dtype=object)
    if kind.id_column in layer.columns:
        ids = layer[kind.id_column].map(as_text).astype(object)
        return ids.where(ids.notna(), rows).astype(object)  # plain objects: read one at a time
    return rows


def _map_columns(raw: gpd.GeoDataFrame, kind: LayerKind, update: bool,
                 out: _Collector) -> tuple[gpd.GeoDataFrame, tuple[str, ...]]:
    """The layer with the schema's columns (absent ones empty) and the schema columns found.
    A missing required column is an error, except in an update, where only the features the
    file adds need it (``_convert_values`` says which)."""
    headers = [c for c in raw.columns if c != raw.geometry.name]
    mapping, unused = map_columns(headers, kind)
    for header, used in unused:
        out.add(WARNING, "ambiguous_column", column=header, used=used)
    layer = raw.rename(columns=mapping)
    keep = [c for c in kind.names if c in layer.columns]
    missing = [c for c in kind.required if c not in layer.columns and (not update or c == kind.id_column)]
    for name in missing:
        out.add(ERROR, "missing_column", column=name, found=", ".join(headers) or "-")
    layer = gpd.GeoDataFrame(layer[keep], geometry=raw.geometry.values, crs=raw.crs)
    for name in kind.names:
        if name not in layer.columns:
            layer[name] = None
    return layer[[*kind.names, "geometry"]], tuple(keep)


def _convert_column(raw: pd.Series, column: Column) -> tuple[pd.Series, np.ndarray]:
    if column.dtype in ("int", "float"):
        return to_numbers(raw, whole=column.dtype == "int")
    if column.dtype == "bool":
        return to_booleans(raw)
    if column.dtype == "date":
        return to_dates(raw)
    return text_column(raw), np.zeros(len(raw), dtype=bool)


def _bound(value: float | None, fallback: str) -> float | str:
    """A bound for a message: the number (formatted for the language), or ``fallback``."""
    return fallback if value is None else value


def _check_range(raw: pd.Series, values: pd.Series, column: Column, ids: pd.Series,
                 out: _Collector) -> np.ndarray:
    """Report the values outside the column's range and return their mask; above a
    plausibility bound (``column.bound``) the finding names the bound and why no real value
    exceeds it. Whole numbers are compared as read, so that 1e30 people is out of range, not
    a number too large to be a whole number."""
    if column.dtype == "int":
        values = to_numbers(raw, whole=False)[0]
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    low = -np.inf if column.minimum is None else column.minimum
    high = np.inf if column.maximum is None else column.maximum
    with np.errstate(invalid="ignore"):
        outside = (numbers < low) | (numbers > high)
    for i in np.flatnonzero(outside):
        if column.bound and numbers[i] > high:
            out.add(ERROR, "implausible_value", ids.iat[i], row=int(i), column=column.name,
                    value=float(numbers[i]), maximum=high, why=Term(f"validation.bounds.{column.bound}"))
        else:
            out.add(ERROR, "out_of_range", ids.iat[i], row=int(i), column=column.name,
                    value=float(numbers[i]), minimum=_bound(column.minimum, "-∞"),
                    maximum=_bound(column.maximum, "∞"))
    return outside


def _convert_values(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series, stored: np.ndarray,
                    out: _Collector) -> None:
    """Convert every schema column in place; report wrong types, values not allowed, values
    out of range and empty required values (one finding per bad cell). ``stored`` marks the
    features an update changes: an empty value keeps the stored one, so only the others
    (the features it adds) need every required value."""
    for column in kind.columns:
        raw = layer[column.name]
        values, bad = _convert_column(raw, column)
        if column.minimum is not None or column.maximum is not None:
            outside = _check_range(raw, values, column, ids, out)
            bad, reported = bad | outside, bad & ~outside
        else:
            reported = bad
        for i in np.flatnonzero(reported):
            out.add(ERROR, "wrong_type", ids.iat[i], row=int(i), column=column.name,
                    value=str(raw.iloc[i])[:60], expected=Term(f"types.{column.dtype}"))
        if column.allowed:
            values, not_allowed = to_allowed(values, column)
            for index, parts in not_allowed.items():
                i = layer.index.get_loc(index)
                bad[i] = True
                for part in parts:
                    out.add(ERROR, "value_not_allowed", ids.iat[i], row=int(i), column=column.name,
                            value=part[:60], allowed=", ".join(column.allowed))
        if column.required:
            for i in np.flatnonzero(values.isna().to_numpy() & ~bad & ~stored):
                out.add(ERROR, "missing_value", ids.iat[i], row=int(i), column=column.name)
        layer[column.name] = values


def _visible(text: str) -> str:
    """``text`` with each control character shown as its symbol (NUL as ␀, escape as ␛)."""
    return XML_ILLEGAL.sub(lambda match: chr(0x2400 + ord(match.group())), text)


def _check_text(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series, out: _Collector) -> None:
    """Control characters in text (a NUL is an error, the others warnings; the fixes remove
    them) and text that looks like a spreadsheet formula or web code (warnings: it is kept,
    and shown and exported as text)."""
    for column in (c for c in kind.columns if c.dtype == "str"):
        values = layer[column.name]
        if values.isna().all():
            continue
        text = values.where(values.notna(), "").astype(str)
        for i in np.flatnonzero(text.str.contains(XML_ILLEGAL).to_numpy()):
            value = text.iat[i]
            if "\x00" in value:
                out.add(ERROR, "nul_character", ids.iat[i], fixable=True, row=int(i), column=column.name,
                        value=_visible(value)[:60], kept=value.partition("\x00")[0][:60])
                continue
            found = dict.fromkeys(XML_ILLEGAL.findall(value))
            out.add(WARNING, "control_characters", ids.iat[i], fixable=True, row=int(i),
                    column=column.name, value=_visible(value)[:60],
                    chars=", ".join(f"U+{ord(c):04X} {_visible(c)}" for c in found))
        formula = text.str.contains(FORMULA).to_numpy()
        for i in np.flatnonzero(formula):
            out.add(WARNING, "formula_text", ids.iat[i], row=int(i), column=column.name,
                    value=_visible(text.iat[i])[:60])
        for i in np.flatnonzero(~formula & text.str.contains(MARKUP).to_numpy()):
            out.add(WARNING, "suspicious_text", ids.iat[i], row=int(i), column=column.name,
                    value=_visible(text.iat[i])[:60])


def _check_ids(layer: gpd.GeoDataFrame, kind: LayerKind, out: _Collector) -> None:
    counts = layer[kind.id_column].value_counts()
    for value, count in counts[counts > 1].items():
        out.add(ERROR, "duplicate_id", value, count=int(count))


def _check_crs(layer: gpd.GeoDataFrame, present: np.ndarray, ids: pd.Series,
               settings: ValidationSettings, out: _Collector) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The layer in EPSG:4326 (without a CRS when it has none, or one that has no place on
    the Earth) and the mask of the features whose coordinates cannot be where its CRS says
    (reported here, so left out of the position checks). ``present``: features with finite
    coordinates."""
    misplaced = np.zeros(len(layer), dtype=bool)
    if layer.crs is None:
        out.add(ERROR, "missing_crs", fixable=_valid_lonlat_bounds(layer))
        return layer, misplaced
    if layer.crs.equals(STORAGE_CRS):
        return layer, misplaced
    declared = layer.crs
    problem = not_on_earth(declared, STORAGE_CRS)
    if problem is not None:  # one finding for the layer: its features have no place on the Earth
        code, params = problem
        out.findings.append(Finding(ERROR, code, None, params))
        return layer.set_crs(None, allow_override=True), misplaced
    converted = layer.to_crs(STORAGE_CRS)
    _check_fit(layer, converted, present, ids, settings, out, misplaced)
    out.add(WARNING, "reprojected", crs=crs_label(declared))
    return converted, misplaced


def _round_trip(layer: gpd.GeoDataFrame, converted: gpd.GeoDataFrame, rows: np.ndarray) -> np.ndarray:
    """Which of the features ``rows`` convert back to their own coordinates, within a metre
    (1e-5 degree) or a millionth of the coordinate: coordinates outside what a projection can
    describe convert to some point (a northing of 1e200 m in Web Mercator to the North Pole)
    that converts back to other coordinates. (PROJ's own round trip is good to millimetres.)"""
    original, index = shapely.get_coordinates(layer.geometry.values[rows], return_index=True)
    there = shapely.get_coordinates(converted.geometry.values[rows])
    back = np.column_stack(Transformer.from_crs(STORAGE_CRS, layer.crs, always_xy=True)
                           .transform(there[:, 0], there[:, 1], errcheck=False))
    tolerance = 1e-5 if layer.crs.is_geographic else 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        wrong = ~(np.abs(back - original) <= np.maximum(tolerance, 1e-6 * np.abs(original))).all(axis=1)
    fits = np.ones(len(rows), dtype=bool)
    fits[index[wrong]] = False
    return fits


def _centres(bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centres of features' bounds (NaN or infinite where the bounds are)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2


def _check_fit(layer: gpd.GeoDataFrame, converted: gpd.GeoDataFrame, present: np.ndarray,
               ids: pd.Series, settings: ValidationSettings, out: _Collector,
               misplaced: np.ndarray) -> None:
    """Coordinates that cannot be where the declared CRS says, marked in ``misplaced``.

    Two cases. Degrees in a file that declares a projection (metres, feet): a feature whose
    every coordinate is within ±180, ±90 — within 180 m of the projection's origin — that,
    read as longitude/latitude, lies in the study area or in the CRS's area of use, but as
    declared lands outside both (a point of Mali in a UTM 28N file lands off the Gulf of
    Guinea). A true UTM file of the Sahel has coordinates in the hundreds of thousands of
    metres and is never taken for degrees; a local projection whose origin is in the study
    area leaves both readings plausible and is accepted. Second case: coordinates the CRS
    cannot convert to a longitude/latitude on the Earth (infinite or out of range once
    converted), e.g. 1e27 metres.
    """
    rows = np.flatnonzero(present)
    if not rows.size:
        return
    declared = layer.crs
    before = shapely.bounds(layer.geometry.values[rows])
    after = shapely.bounds(converted.geometry.values[rows])
    with np.errstate(invalid="ignore"):
        lost = ~np.isfinite(after).all(axis=1) | ~_round_trip(layer, converted, rows)
    if not declared.is_geographic:  # a geographic CRS's degrees out of range: _check_position
        lost |= ~degree_like(after)
    degrees = np.zeros(len(rows), dtype=bool)
    if declared.is_projected:
        area = area_of_use(declared)
        study_margin = settings.far_outside_km / KM_PER_DEGREE
        as_degrees = in_box(*_centres(before), area, AREA_MARGIN_DEG) | in_box(
            *_centres(before), settings.study_bounds, study_margin)
        as_declared = in_box(*_centres(after), settings.study_bounds, study_margin)
        if area is not None:  # a CRS without an area of use (a custom projection) is taken at its word
            as_declared &= in_box(*_centres(after), area, AREA_MARGIN_DEG)
        degrees = degree_like(before) & as_degrees & ~as_declared
    label, unit = crs_label(declared), units(declared)
    for i in np.flatnonzero(degrees | lost):
        row = int(rows[i])
        x, y = float(before[i, 0]), float(before[i, 1])
        if degrees[i]:
            out.add(ERROR, "degrees_in_projected_crs", ids.iat[row], row=row, x=x, y=y, crs=label,
                    units=unit, lon=float(after[i, 0]), lat=float(after[i, 1]))
        else:
            out.add(ERROR, "not_in_crs", ids.iat[row], row=row, x=x, y=y, crs=label)
        misplaced[row] = True


def _valid_lonlat_bounds(layer: gpd.GeoDataFrame) -> bool:
    present = layer.geometry[~(layer.geometry.isna() | layer.geometry.is_empty)]
    if present.empty:
        return False
    x0, y0, x1, y1 = present.total_bounds
    return -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90


def _not_finite(geoms: np.ndarray) -> np.ndarray:
    """Which geometries have an x or y that is infinite or not a number."""
    coordinates, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[index[~np.isfinite(coordinates).all(axis=1)]] = True
    return bad


def _missing(geoms: np.ndarray) -> np.ndarray:
    return shapely.is_missing(geoms) | shapely.is_empty(geoms)


def _check_geometry(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series, stored: np.ndarray,
                    not_finite: np.ndarray, misplaced: np.ndarray, out: _Collector) -> np.ndarray:
    """Geometry checks; returns the mask of features usable for spatial checks. A feature an
    update changes (``stored``) may come without a position: it keeps its stored one.
    ``not_finite``: features with infinite or NaN coordinates in the file (one finding each,
    not an invalid shape: no repair can find where they belong); ``misplaced``: features
    whose coordinates do not fit the file's CRS, already reported."""
    geoms = layer.geometry.values
    empty = _missing(geoms)
    for row in np.flatnonzero(not_finite):
        out.add(ERROR, "coordinates_not_finite", ids.iat[row], row=int(row))
    reported = not_finite | misplaced
    invalid = ~empty & ~reported & ~shapely.is_valid(geoms)
    types = np.array([g.geom_type if g is not None else "" for g in geoms])
    wrong = ~empty & ~np.isin(types, kind.geometry_types)
    for fid in ids[empty & ~stored]:
        out.add(ERROR, "empty_geometry", fid)
    for row in np.flatnonzero(invalid):
        out.add(ERROR, "invalid_geometry", ids.iat[row], fixable=True, row=int(row),
                reason=shapely.is_valid_reason(geoms[row]))
    for fid, found in zip(ids[wrong], types[wrong], strict=True):
        out.add(ERROR, "wrong_geometry_type", fid, found=found,
                expected=" / ".join(kind.geometry_types))
    return ~empty & ~wrong & ~reported


def _boxes_overlap(a: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Which feature bounds ``a`` (n x 4: minx, miny, maxx, maxy) overlap ``box``."""
    return (a[:, 0] <= box[2]) & (a[:, 2] >= box[0]) & (a[:, 1] <= box[3]) & (a[:, 3] >= box[1])


def _nearest_gap(low: np.ndarray, high: np.ndarray, box_low: float,
                 box_high: float) -> tuple[np.ndarray, np.ndarray]:
    """On one axis, the closest pair of coordinates between [low, high] and the box's range."""
    feature = np.where(high < box_low, high, np.where(low > box_high, low, np.maximum(low, box_low)))
    return feature, np.clip(feature, box_low, box_high)


def _check_position(layer: gpd.GeoDataFrame, usable: np.ndarray, ids: pd.Series,
                    settings: ValidationSettings, out: _Collector, swaps: bool = True) -> None:
    """Coordinates out of range, latitude/longitude swapped, features far outside the study area.

    Works on each feature's bounds. Its distance to the study area is geodesic, between
    the closest points of the boxes; a point farther than ``far_outside_km`` that lies in
    the study area once latitude and longitude are exchanged is swapped (lines and
    polygons come from GIS software, where axes are not swapped by hand). Only a file in
    degrees (``swaps``) can have them swapped: the fix exchanges the file's own x and y.
    """
    bounds = shapely.bounds(layer.geometry.values[usable])
    box = settings.study_bounds
    out_of_range = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (
        np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    fx, bx = _nearest_gap(bounds[:, 0], bounds[:, 2], box[0], box[2])
    fy, by = _nearest_gap(bounds[:, 1], bounds[:, 3], box[1], box[3])
    distance_km = np.full(len(bounds), np.inf)
    ok = ~out_of_range
    distance_km[ok] = geodesic_m(fx[ok], fy[ok], bx[ok], by[ok]) / 1000
    far = distance_km > settings.far_outside_km  # a feature just outside is a neighbour, not swapped
    points = shapely.get_type_id(layer.geometry.values[usable]) == 0
    swapped = points & far & _boxes_overlap(bounds[:, [1, 0, 3, 2]], box) & swaps
    rows = np.flatnonzero(usable)
    for i, (row, fid) in enumerate(zip(rows, ids[usable], strict=True)):
        lon, lat = round(float(bounds[i, 0]), 5), round(float(bounds[i, 1]), 5)
        if swapped[i]:
            out.add(ERROR, "swapped_lat_lon", fid, fixable=True, row=int(row), lon=lon, lat=lat)
        elif out_of_range[i]:
            out.add(ERROR, "coordinates_out_of_range", fid, row=int(row), lon=lon, lat=lat)
        elif distance_km[i] > settings.far_outside_km:
            out.add(WARNING, "outside_study_area", fid, row=int(row),
                    distance_km=round(float(distance_km[i])))


def _metric(layer: gpd.GeoDataFrame, settings: ValidationSettings) -> gpd.GeoSeries:
    return layer.geometry.to_crs(study_crs(settings.study_bounds))


def _check_near_duplicates(layer: gpd.GeoDataFrame, usable: np.ndarray, ids: pd.Series,
                           settings: ValidationSettings, out: _Collector) -> None:
    """Pairs of points closer than ``near_duplicate_m`` metres (STRtree, then geodesic).

    Points at the very same coordinates (every row a form sent from one office, say) are each
    reported against the first of them, and only that first one is compared with the other
    places, so the work grows with the number of places, not with the square of the rows.
    """
    points = layer[usable & (layer.geom_type == "Point").to_numpy()]
    if len(points) < 2:
        return
    xy = shapely.get_coordinates(points.geometry.values)
    point_ids = ids[points.index].to_numpy()
    _, first, group = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    leader = first[group.ravel()]  # per point, the first point at its coordinates
    same = np.flatnonzero(leader != np.arange(len(xy)))
    _near_pairs(point_ids, leader[same], same, np.zeros(len(same)), out)
    places = np.sort(first)  # one point per distinct position, in the file's order
    metric = _metric(points.iloc[places], settings).values
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="dwithin", distance=settings.near_duplicate_m * 1.05)
    pairs = left < right
    left, right = places[left[pairs]], places[right[pairs]]
    dist = geodesic_m(xy[left, 0], xy[left, 1], xy[right, 0], xy[right, 1])
    near = dist < settings.near_duplicate_m
    _near_pairs(point_ids, left[near], right[near], dist[near], out)


def _near_pairs(point_ids: np.ndarray, first: np.ndarray, second: np.ndarray, dist: np.ndarray,
                out: _Collector) -> None:
    """A near-duplicate warning on each ``second`` point, naming its ``first`` (only the
    findings listed are made; the others are counted)."""
    shown = out.room("near_duplicate")
    for a, b, d in zip(first[:shown], second[:shown], dist[:shown], strict=True):
        out.add(WARNING, "near_duplicate", point_ids[b], other=point_ids[a], distance_m=round(float(d), 1))
    out.skip("near_duplicate", len(first) - shown)


def _check_border_distance(layer: gpd.GeoDataFrame, usable: np.ndarray, ids: pd.Series,
                           context: ValidationContext, out: _Collector) -> None:
    """Crossings more than ``crossing_max_border_km`` from every border line (metric CRS)."""
    settings = context.settings
    if context.borders is None or context.borders.empty:
        out.add(WARNING, "no_borders_to_check")
        return
    points = layer[usable]
    if points.empty:
        return
    crs = study_crs(settings.study_bounds)
    tree = shapely.STRtree(context.borders.geometry.to_crs(crs).values)
    metric = points.geometry.to_crs(crs).values
    limit_m = settings.crossing_max_border_km * 1000
    near, _ = tree.query(metric, predicate="dwithin", distance=limit_m)
    far = np.setdiff1d(np.arange(len(metric)), near)
    shown = far[:MAX_FINDINGS_PER_CODE]  # the distance is needed only for the findings listed
    _, distance = tree.query_nearest(metric[shown], return_distance=True, all_matches=False)
    far_ids = ids[points.index].to_numpy()[far]
    for i, fid in enumerate(far_ids):
        kilometres = round(float(distance[i]) / 1000, 1) if i < len(shown) else None
        out.add(WARNING, "far_from_border", fid, distance_km=kilometres,
                limit_km=settings.crossing_max_border_km)


def near_stored(layer: gpd.GeoDataFrame, kind: LayerKind, changed: set[str],
                settings: ValidationSettings | None = None) -> list[Finding]:
    """Near-duplicate warnings between the features of an update (ids in ``changed``) and the
    stored features it keeps, in ``layer``, the stored layer with the update merged (schema
    types, EPSG:4326); pairs within the file are reported by ``validate_layer``."""
    if kind.name not in NEAR_DUPLICATE_KINDS or layer.empty:
        return []
    out = _Collector()
    ids = layer[kind.id_column].astype(str)
    usable = (layer.geom_type == "Point").to_numpy() & ~_out_of_range(layer)
    _check_near_duplicates(layer, usable, ids, settings or ValidationSettings(), out)
    return [f for f in out.close() if f.code == "near_duplicate"
            and (f.feature_id in changed) != (str(f.params["other"]) in changed)]


REFERENCES = {  # kind -> [(column, kind referred to)]
    "posts": [("facing_post_id", "posts"), ("crossing_id", "crossings")],
    "flows": [("crossing_id", "crossings")],
}


def _check_references(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series,
                      context: ValidationContext, out: _Collector) -> None:
    for column, target in REFERENCES.get(kind.name, []):
        if target == kind.name:  # after the import: the file's ids, and the stored ones an update keeps
            known = {v for v in layer[kind.id_column] if v is not None} | (context.update_of or set())
        else:
            known = set(context.known_ids.get(target, set()))
        for fid, ref in zip(ids, layer[column], strict=True):
            if ref is not None and ref not in known:
                out.add(WARNING, "unknown_reference", fid, column=column, value=ref,
                        target=Term(f"kinds.{target}"))


def _renamed(layer: gpd.GeoDataFrame, kind: LayerKind, aliases: dict[str, str]) -> gpd.GeoDataFrame:
    """``layer`` with each aliased id replaced by the stored id it was matched to, in the id
    column and in the columns that refer to the layer's own features (``facing_post_id``)."""
    if not aliases:
        return layer
    own = [column for column, target in REFERENCES.get(kind.name, []) if target == kind.name]
    for column in [kind.id_column, *own]:
        text = layer[column].map(as_text)
        layer[column] = text.map(lambda v: aliases.get(v, v) if v is not None else None)
    return layer


def _single_points(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """MultiPoint features of one point (as KML and shapefiles often give) become Points."""
    geoms = layer.geometry.values
    single = (shapely.get_type_id(geoms) == 4) & (shapely.get_num_geometries(geoms) == 1)
    if single.any():
        layer = layer.copy()
        layer.loc[single, layer.geometry.name] = shapely.get_geometry(geoms[single], 0)
    return layer


# ------------------------------------------------------------------ entry points
def validate_layer(raw: gpd.GeoDataFrame, kind: LayerKind,
                   context: ValidationContext | None = None) -> ValidationReport:
    """Check a layer read from a file against ``kind``; every problem becomes a finding."""
    context = context or ValidationContext()
    out = _Collector()
    if raw.empty:  # a header without rows, an empty layer: nothing to check, nothing to import
        out.add(ERROR, "no_features")
    layer, columns = _map_columns(_single_points(raw), kind, context.update_of is not None, out)
    layer = _renamed(layer, kind, context.aliases)
    ids = _feature_ids(layer, kind)
    stored = layer[kind.id_column].map(as_text).isin(context.update_of or set()).to_numpy()
    _convert_values(layer, kind, ids, stored, out)
    _check_text(layer, kind, ids, out)
    _check_ids(layer, kind, out)
    not_finite = _not_finite(layer.geometry.values)
    present = ~_missing(layer.geometry.values) & ~not_finite
    declared = layer.crs
    layer, misplaced = _check_crs(layer, present, ids, context.settings, out)
    usable = _check_geometry(layer, kind, ids, stored, not_finite, misplaced, out)
    if layer.crs is not None and usable.any():
        _check_position(layer, usable, ids, context.settings, out,
                        swaps=declared is not None and declared.is_geographic)
        in_range = usable & ~_out_of_range(layer)
        if kind.name in NEAR_DUPLICATE_KINDS:
            _check_near_duplicates(layer, in_range, ids, context.settings, out)
        if kind.name == "crossings":
            _check_border_distance(layer, in_range, ids, context, out)
    _check_references(layer, kind, ids, context, out)
    return ValidationReport(kind.name, with_schema_types(layer, kind), out.close(), columns=columns)


def _out_of_range(layer: gpd.GeoDataFrame) -> np.ndarray:
    """Features whose coordinates are not valid longitudes/latitudes (or are swapped, or
    infinite, or not numbers, or missing)."""
    b = layer.geometry.bounds.to_numpy()
    with np.errstate(invalid="ignore"):
        good = (b[:, 0] >= -180) & (b[:, 2] <= 180) & (b[:, 1] >= -90) & (b[:, 3] <= 90)
    return ~good | _not_finite(layer.geometry.values)


MAX_FIX_ROUNDS = 3  # a fix can reveal another (a swapped point shows once the CRS is set)


def _repair(geometry, kind: LayerKind):
    """``make_valid``, keeping only the parts of the kind's geometry family (a polygon
    repaired into polygons and stray lines keeps its polygons)."""
    repaired = shapely.make_valid(geometry)
    family = kind.geometry_types[-1]  # e.g. MultiPolygon
    keep = [part for part in shapely.get_parts(repaired) if part.geom_type in kind.geometry_types]
    if len(keep) == 1:
        return keep[0]
    return getattr(shapely, family)(keep) if keep and family.startswith("Multi") else repaired


def _strip_controls(fixed: gpd.GeoDataFrame, findings: list[Finding], kind: LayerKind,
                    applied: list[str]) -> None:
    """Remove the control characters from the file's cells that the findings name (the file's
    column found again from the schema column, as ``validate_layer`` maps them)."""
    headers = [c for c in fixed.columns if c != fixed.geometry.name]
    header_of = {name: header for header, name in map_columns(headers, kind)[0].items()}
    for finding in findings:
        header = header_of.get(str(finding.params.get("column")))
        if finding.row is None or header is None:
            continue
        column = fixed.columns.get_loc(header)
        value = fixed.iat[finding.row, column]
        if isinstance(value, str):
            fixed.iat[finding.row, column] = XML_ILLEGAL.sub("", value)
            record = f"control_characters:{finding.feature_id}"
            if record not in applied:
                applied.append(record)


def _fix_once(fixed: gpd.GeoDataFrame, fixable: list[Finding], kind: LayerKind,
              applied: list[str]) -> gpd.GeoDataFrame:
    if any(f.code == "missing_crs" for f in fixable):
        fixed = fixed.set_crs(STORAGE_CRS, allow_override=True)
        applied.append("missing_crs")
    _strip_controls(fixed, [f for f in fixable if f.code in ("nul_character", "control_characters")],
                    kind, applied)
    geom = fixed.geometry.name
    column = fixed.columns.get_loc(geom)
    for finding in fixable:
        if finding.row is None:
            continue
        shape = fixed.iat[finding.row, column]
        if finding.code == "swapped_lat_lon":
            fixed.iat[finding.row, column] = shapely.transform(shape, lambda xy: xy[:, ::-1])
        elif finding.code == "invalid_geometry":
            fixed.iat[finding.row, column] = _repair(shape, kind)
        else:
            continue
        applied.append(f"{finding.code}:{finding.feature_id}")
    return fixed


def apply_fixes(raw: gpd.GeoDataFrame, report: ValidationReport, kind: LayerKind,
                context: ValidationContext | None = None) -> ValidationReport:
    """Repair the fixable findings of ``report`` on ``raw`` and validate again.

    Fixes: a missing CRS is set to EPSG:4326 (only offered when every coordinate is
    a valid longitude/latitude); swapped latitude/longitude are swapped back on the
    features concerned (by their position in the file, so a repeated id cannot move the
    wrong one); invalid geometries are repaired with ``shapely.make_valid``; control
    characters are removed from the text cells that hold them. Fixes that
    only show after an earlier fix are applied too. The returned report lists each fix
    applied (code and feature id).
    """
    fixed = raw.copy()
    applied: list[str] = []
    for _ in range(MAX_FIX_ROUNDS):
        if not report.fixable:
            break
        fixed = _fix_once(fixed, report.fixable, kind, applied)
        report = validate_layer(fixed, kind, context)
    report.fixes_applied = applied
    return report


def validate_raster(info: RasterInfo, settings: ValidationSettings | None = None) -> list[Finding]:
    """Findings for a population raster from its metadata: CRS present, nodata, bands. The
    checks of what the indicators need (CRS on the Earth, transform, size, values, position)
    are ``raster_checks.check_raster``'s."""
    out = _Collector()
    if not info.crs:
        out.add(ERROR, "raster_no_crs")
    if info.nodata is None:
        out.add(WARNING, "raster_no_nodata")
    if info.count > 1:
        out.add(WARNING, "raster_bands", count=info.count)
    return out.close()

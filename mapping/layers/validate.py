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

from ..geo import SAHEL_BOUNDS, geodesic_m, study_crs
from ..i18n import Term
from .columns import FALSE_WORDS, TRUE_WORDS, canonical_value, map_columns, normalise
from .findings import ERROR, WARNING, Finding, has_errors
from .readers import RasterInfo
from .schema import STORAGE_CRS, Column, LayerKind, with_schema_types

FORMULA = re.compile(r"^[=+@\t\r]|^-[^\d\s.,]")
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>|javascript:|\$\{|`", re.IGNORECASE)
MAX_FINDINGS_PER_CODE = 200
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
    """What the store already holds that a layer is checked against."""

    borders: gpd.GeoDataFrame | None = None
    known_ids: dict[str, set[str]] = field(default_factory=dict)
    settings: ValidationSettings = field(default_factory=ValidationSettings)


@dataclass
class ValidationReport:
    """The prepared layer (schema columns, EPSG:4326 unless the CRS is missing) and its findings."""

    kind: str
    layer: gpd.GeoDataFrame
    findings: list[Finding]
    fixes_applied: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    @property
    def fixable(self) -> list[Finding]:
        return [f for f in self.findings if f.fixable]


# ------------------------------------------------------------------ values
def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp) and pd.isna(value):
        return None
    text = str(value).strip()
    return text or None


def _to_number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))


def _to_date(value: object, text: str):
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "year"):
        return pd.Timestamp(value).date()
    iso = re.match(r"^\d{4}-\d{2}-\d{2}", text)
    parsed = pd.to_datetime(text[:10] if iso else text, dayfirst=not iso, errors="raise")
    return parsed.date()


def _convert(value: object, column: Column) -> object:
    """Convert one cell to the column's type; ``ValueError`` when it cannot be."""
    text = _text(value)
    if text is None:
        return None
    if column.dtype == "str":
        return text
    if column.dtype in ("int", "float"):
        number = float(value) if isinstance(value, int | float) else _to_number(text)
        if column.dtype == "int":
            if not float(number).is_integer():
                raise ValueError(text)
            return int(number)
        return number
    if column.dtype == "bool":
        word = normalise(text)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(text)
    if column.dtype == "date":
        return _to_date(value, text)
    raise TypeError(column.dtype)


def _allowed(text: str, column: Column) -> tuple[str | None, list[str]]:
    """Canonical value(s) for an allowed-values column, and the parts that are not allowed."""
    parts = re.split(r"[;,|]|\s+", text) if column.multiple else [text]
    good, bad = [], []
    for part in filter(None, (p.strip() for p in parts)):
        canon = canonical_value(part, column.allowed)
        (good.append(canon) if canon else bad.append(part))
    return (";".join(dict.fromkeys(good)) or None), bad


# ------------------------------------------------------------------ checks
class _Collector:
    """Gathers findings, capping how many of one code are kept (a summary finding says so)."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._counts: dict[str, int] = {}

    def add(self, severity: str, code: str, feature_id: object = None, fixable: bool = False,
            **params: object) -> None:
        count = self._counts.get(code, 0) + 1
        self._counts[code] = count
        if count <= MAX_FINDINGS_PER_CODE:
            fid = None if feature_id is None else str(feature_id)
            self.findings.append(Finding(severity, code, fid, params, fixable))

    def close(self) -> list[Finding]:
        for code, count in self._counts.items():
            if count > MAX_FINDINGS_PER_CODE:
                self.findings.append(Finding(WARNING, "more_findings", None,
                                             {"code": code, "count": count - MAX_FINDINGS_PER_CODE}))
        return self.findings


def _feature_ids(layer: gpd.GeoDataFrame, kind: LayerKind) -> pd.Series:
    """The id of each feature for messages: its id value, else ``row N`` (1-based)."""
    rows = pd.Series([f"#{i + 1}" for i in range(len(layer))], index=layer.index)
    if kind.id_column in layer.columns:
        ids = layer[kind.id_column].map(_text)
        return ids.where(ids.notna(), rows)
    return rows


def _map_columns(raw: gpd.GeoDataFrame, kind: LayerKind, out: _Collector) -> gpd.GeoDataFrame:
    headers = [c for c in raw.columns if c != raw.geometry.name]
    mapping, ambiguous = map_columns(headers, kind)
    for header in ambiguous:
        out.add(WARNING, "ambiguous_column", column=header)
    layer = raw.rename(columns=mapping)
    keep = [c for c in kind.names if c in layer.columns]
    missing = [c for c in kind.required if c not in layer.columns]
    for name in missing:
        out.add(ERROR, "missing_column", column=name, found=", ".join(headers) or "-")
    layer = gpd.GeoDataFrame(layer[keep], geometry=raw.geometry.values, crs=raw.crs)
    for name in kind.names:
        if name not in layer.columns:
            layer[name] = None
    return layer[[*kind.names, "geometry"]]


def _convert_values(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series,
                    out: _Collector) -> None:
    for column in kind.columns:
        converted = []
        for fid, value in zip(ids, layer[column.name], strict=True):
            value_ok = True
            try:
                cell = _convert(value, column)
            except (ValueError, TypeError, OverflowError):
                value_ok = False
                out.add(ERROR, "wrong_type", fid, column=column.name, value=str(value)[:60],
                        expected=Term(f"types.{column.dtype}"))
                cell = None
            if cell is not None and column.allowed:
                cell, bad = _allowed(cell, column)
                value_ok = not bad
                for part in bad:
                    out.add(ERROR, "value_not_allowed", fid, column=column.name, value=part[:60],
                            allowed=", ".join(column.allowed))
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                low, high = column.minimum, column.maximum
                if (low is not None and cell < low) or (high is not None and cell > high):
                    out.add(ERROR, "out_of_range", fid, column=column.name, value=cell,
                            minimum=low if low is not None else "-∞",
                            maximum=high if high is not None else "∞")
            if cell is None and value_ok and column.required and column.name in layer.columns:
                out.add(ERROR, "missing_value", fid, column=column.name)
            converted.append(cell)
        layer[column.name] = pd.Series(converted, index=layer.index, dtype=object)


def _check_text(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series, out: _Collector) -> None:
    for column in (c for c in kind.columns if c.dtype == "str"):
        for fid, value in zip(ids, layer[column.name], strict=True):
            if isinstance(value, str) and (FORMULA.search(value) or MARKUP.search(value)):
                out.add(WARNING, "suspicious_text", fid, column=column.name, value=value[:60])


def _check_ids(layer: gpd.GeoDataFrame, kind: LayerKind, out: _Collector) -> None:
    ids = layer[kind.id_column]
    duplicated = ids[ids.notna() & ids.duplicated(keep="first")]
    for value in dict.fromkeys(duplicated):
        out.add(ERROR, "duplicate_id", value, count=int((ids == value).sum()))


def _check_crs(layer: gpd.GeoDataFrame, out: _Collector) -> gpd.GeoDataFrame:
    if layer.crs is None:
        xy_ok = _valid_lonlat_bounds(layer)
        out.add(ERROR, "missing_crs", fixable=xy_ok)
        return layer
    if not layer.crs.equals(STORAGE_CRS):
        out.add(WARNING, "reprojected", crs=layer.crs.to_string()[:80])
        return layer.to_crs(STORAGE_CRS)
    return layer


def _valid_lonlat_bounds(layer: gpd.GeoDataFrame) -> bool:
    present = layer.geometry[~(layer.geometry.isna() | layer.geometry.is_empty)]
    if present.empty:
        return False
    x0, y0, x1, y1 = present.total_bounds
    return -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90


def _check_geometry(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series,
                    out: _Collector) -> np.ndarray:
    """Geometry checks; returns the mask of features usable for spatial checks."""
    geoms = layer.geometry.values
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~empty & ~shapely.is_valid(geoms)
    types = np.array([g.geom_type if g is not None else "" for g in geoms])
    wrong = ~empty & ~np.isin(types, kind.geometry_types)
    for fid in ids[empty]:
        out.add(ERROR, "empty_geometry", fid)
    for fid, geom in zip(ids[invalid], geoms[invalid], strict=True):
        out.add(ERROR, "invalid_geometry", fid, fixable=True,
                reason=shapely.is_valid_reason(geom))
    for fid, found in zip(ids[wrong], types[wrong], strict=True):
        out.add(ERROR, "wrong_geometry_type", fid, found=found,
                expected=" / ".join(kind.geometry_types))
    return ~empty & ~wrong


def _boxes_overlap(a: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Which feature bounds ``a`` (n x 4: minx, miny, maxx, maxy) overlap ``box``."""
    return (a[:, 0] <= box[2]) & (a[:, 2] >= box[0]) & (a[:, 1] <= box[3]) & (a[:, 3] >= box[1])


def _nearest_gap(low: np.ndarray, high: np.ndarray, box_low: float,
                 box_high: float) -> tuple[np.ndarray, np.ndarray]:
    """On one axis, the closest pair of coordinates between [low, high] and the box's range."""
    feature = np.where(high < box_low, high, np.where(low > box_high, low, np.maximum(low, box_low)))
    return feature, np.clip(feature, box_low, box_high)


def _check_position(layer: gpd.GeoDataFrame, usable: np.ndarray, ids: pd.Series,
                    settings: ValidationSettings, out: _Collector) -> None:
    """Coordinates out of range, latitude/longitude swapped, features far outside the study area.

    Works on each feature's bounds. Its distance to the study area is geodesic, between
    the closest points of the boxes; a feature farther than ``far_outside_km`` whose
    bounds overlap the study area once latitude and longitude are exchanged is swapped.
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
    swapped = far & _boxes_overlap(bounds[:, [1, 0, 3, 2]], box)
    for i, fid in enumerate(ids[usable]):
        where = {"lon": round(float(bounds[i, 0]), 5), "lat": round(float(bounds[i, 1]), 5)}
        if swapped[i]:
            out.add(ERROR, "swapped_lat_lon", fid, fixable=True, **where)
        elif out_of_range[i]:
            out.add(ERROR, "coordinates_out_of_range", fid, **where)
        elif distance_km[i] > settings.far_outside_km:
            out.add(WARNING, "outside_study_area", fid, distance_km=round(float(distance_km[i])))


def _metric(layer: gpd.GeoDataFrame, settings: ValidationSettings) -> gpd.GeoSeries:
    return layer.geometry.to_crs(study_crs(settings.study_bounds))


def _check_near_duplicates(layer: gpd.GeoDataFrame, usable: np.ndarray, ids: pd.Series,
                           settings: ValidationSettings, out: _Collector) -> None:
    """Pairs of points closer than ``near_duplicate_m`` metres (STRtree, then geodesic)."""
    points = layer[usable & (layer.geom_type == "Point").to_numpy()]
    if len(points) < 2:
        return
    metric = _metric(points, settings).values
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="dwithin", distance=settings.near_duplicate_m * 1.05)
    pairs = left < right
    left, right = left[pairs], right[pairs]
    xy = shapely.get_coordinates(points.geometry.values)
    dist = geodesic_m(xy[left, 0], xy[left, 1], xy[right, 0], xy[right, 1])
    point_ids = ids[points.index].to_numpy()
    for a, b, d in zip(left, right, dist, strict=True):
        if d < settings.near_duplicate_m:
            out.add(WARNING, "near_duplicate", point_ids[b], other=point_ids[a],
                    distance_m=round(float(d), 1))


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
    borders = context.borders.geometry.to_crs(crs).values
    metric = points.geometry.to_crs(crs).values
    tree = shapely.STRtree(borders)
    _, distance = tree.query_nearest(metric, return_distance=True, all_matches=False)
    for fid, d in zip(ids[points.index], distance / 1000, strict=True):
        if d > settings.crossing_max_border_km:
            out.add(WARNING, "far_from_border", fid, distance_km=round(float(d), 1),
                    limit_km=settings.crossing_max_border_km)


REFERENCES = {  # kind -> [(column, kind referred to)]
    "posts": [("facing_post_id", "posts"), ("crossing_id", "crossings")],
    "flows": [("crossing_id", "crossings")],
}


def _check_references(layer: gpd.GeoDataFrame, kind: LayerKind, ids: pd.Series,
                      context: ValidationContext, out: _Collector) -> None:
    for column, target in REFERENCES.get(kind.name, []):
        known = set(context.known_ids.get(target, set()))
        if target == kind.name:
            known |= {v for v in layer[kind.id_column] if v is not None}
        for fid, ref in zip(ids, layer[column], strict=True):
            if ref is not None and ref not in known:
                out.add(WARNING, "unknown_reference", fid, column=column, value=ref, target=target)


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
    layer = _map_columns(_single_points(raw), kind, out)
    ids = _feature_ids(layer, kind)
    _convert_values(layer, kind, ids, out)
    _check_text(layer, kind, ids, out)
    _check_ids(layer, kind, out)
    layer = _check_crs(layer, out)
    usable = _check_geometry(layer, kind, ids, out)
    if layer.crs is not None and usable.any():
        _check_position(layer, usable, ids, context.settings, out)
        in_range = usable & ~_out_of_range(layer)
        if kind.name in NEAR_DUPLICATE_KINDS:
            _check_near_duplicates(layer, in_range, ids, context.settings, out)
        if kind.name == "crossings":
            _check_border_distance(layer, in_range, ids, context, out)
    _check_references(layer, kind, ids, context, out)
    return ValidationReport(kind.name, with_schema_types(layer, kind), out.close())


def _out_of_range(layer: gpd.GeoDataFrame) -> np.ndarray:
    """Features whose coordinates are not valid longitudes/latitudes (or are swapped)."""
    b = layer.geometry.bounds.to_numpy()
    bad = (b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90)
    return np.nan_to_num(bad, nan=True).astype(bool)


def apply_fixes(raw: gpd.GeoDataFrame, report: ValidationReport, kind: LayerKind,
                context: ValidationContext | None = None) -> ValidationReport:
    """Repair the fixable findings of ``report`` on ``raw`` and validate again.

    Fixes: a missing CRS is set to EPSG:4326 (only offered when every coordinate is
    a valid longitude/latitude); swapped latitude/longitude are swapped back on the
    features concerned; invalid geometries are repaired with ``shapely.make_valid``.
    The returned report lists each fix applied (code and feature id).
    """
    fixed = raw.copy()
    applied: list[str] = []
    fixable = report.fixable
    if any(f.code == "missing_crs" for f in fixable):
        fixed = fixed.set_crs(STORAGE_CRS, allow_override=True)
        applied.append("missing_crs")
    ids = _feature_ids(_map_columns(fixed, kind, _Collector()), kind)
    by_id = {fid: index for index, fid in zip(fixed.index, ids, strict=True)}
    geom = fixed.geometry.name
    for finding in fixable:
        index = by_id.get(finding.feature_id)
        if index is None:
            continue
        if finding.code == "swapped_lat_lon":
            fixed.loc[index, geom] = shapely.transform(fixed.loc[index, geom],
                                                       lambda xy: xy[:, ::-1])
        elif finding.code == "invalid_geometry":
            fixed.loc[index, geom] = shapely.make_valid(fixed.loc[index, geom])
        else:
            continue
        applied.append(f"{finding.code}:{finding.feature_id}")
    result = validate_layer(fixed, kind, context)
    result.fixes_applied = applied
    return result


def validate_raster(info: RasterInfo, settings: ValidationSettings | None = None) -> list[Finding]:
    """Findings for a population raster: CRS, nodata, bands, position."""
    settings = settings or ValidationSettings()
    out = _Collector()
    if not info.crs:
        out.add(ERROR, "raster_no_crs")
    if info.nodata is None:
        out.add(WARNING, "raster_no_nodata")
    if info.count > 1:
        out.add(WARNING, "raster_bands", count=info.count)
    if info.crs:
        x0, y0, x1, y1 = Transformer.from_crs(info.crs, STORAGE_CRS, always_xy=True
                                              ).transform_bounds(*info.bounds)
        box = settings.study_bounds
        if x1 < box[0] or x0 > box[2] or y1 < box[1] or y0 > box[3]:
            out.add(WARNING, "raster_outside_study_area")
    return out.close()

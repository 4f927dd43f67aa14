"""Indicators per border post, computed from the layers.

``compute_indicators(layers, params)`` returns one row per post (index ``post_id``)
and one column per indicator; ``table.attrs["units"]`` names each column's unit.
Each indicator is a small function of its inputs; its method is in its docstring.

CRS: layers are EPSG:4326. Candidate searches and the posts' feet on the border use
``geo.study_crs`` (a Lambert azimuthal equal-area projection centred on the posts,
metres), reported in ``table.attrs["crs"]`` with its largest scale error over the posts'
area (``max_scale_distortion``). Whatever that error, counts within R km and nearest
distances are exact: the metric search is widened by the scale error measured over the
area it covers, and every candidate is decided on its geodesic distance (WGS84
ellipsoid); lengths along a border are geodesic too (``coverage_gap``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..access.catchments import access_columns, access_table
from ..access.settings import TravelSettings
from ..geo import (
    SAHEL_BOUNDS,
    geodesic_m,
    max_scale_distortion,
    scale_distortion_around,
    study_crs,
    widen_bounds,
)
from ..inputs import Layers
from ..layers.borders import served_borders
from ..layers.schema import CONDITION_SCORES
from .coverage_gap import GAP_COLUMNS, coverage_gaps
from .population import population_within, settlement_population_within

DISTORTION_EPSILON = 1e-4  # added to the measured scale error: the ellipsoid's departure from the sphere
ROUNDING_M = 1.0  # added to every metric search distance: floating-point rounding of projected points
WHOLE_EARTH_M = 4.1e7  # longer than any distance in a projection of the Earth: search everything


@dataclass(frozen=True)
class IndicatorParams:
    """Settings of the indicators: radius in km, look-back in months, reference date."""

    radius_km: float = 20.0
    incident_months: int = 12
    assessment_max_age_months: int = 24
    reference_date: dt.date = field(default_factory=dt.date.today)
    access: dict[str, TravelSettings] = field(default_factory=dict)  # travel mode -> its settings

    @property
    def radius_m(self) -> float:
        return self.radius_km * 1000.0


def pop_column(params: IndicatorParams) -> str:
    return f"pop_{params.radius_km:g}km"


def crossings_column(params: IndicatorParams) -> str:
    return f"unofficial_{params.radius_km:g}km"


def incidents_column(params: IndicatorParams) -> str:
    return f"incidents_{params.radius_km:g}km"


# ------------------------------------------------------------------ the layers behind each indicator
# the layer kinds each indicator is computed from (the posts aside); the population within R km
# counts the settlements when the store has no population raster (the raster is always public).
# The travel-time indicators (``access.catchments.access_columns``) sum people over a surface and
# are left out: a figure of people within T minutes pins down no feature.
_RADIUS_KINDS = {"pop": ("settlements",), "unofficial": ("crossings",), "incidents": ("incidents",)}
_RADIUS_COLUMN = re.compile(rf"^({'|'.join(_RADIUS_KINDS)})_\d+(?:\.\d+)?km$")
_COLUMN_KINDS = {"unofficial_nearest_km": ("crossings",), "daily_crossings": ("flows",),
                 "road_km": ("roads",), "road_class": ("roads",), **{c: ("borders",) for c in GAP_COLUMNS}}
WITHHELD = "withheld"  # ``attrs`` key of a table of indicators: its columns blanked for its viewer
DISTANCE_COLUMNS = ("unofficial_nearest_km", "road_km", *(c for c in GAP_COLUMNS if c.endswith("_km")))  # km


def indicator_kinds(column: str) -> tuple[str, ...]:
    """The layer kinds the indicator ``column`` is computed from; () for one from the posts alone
    or a travel time."""
    radius = _RADIUS_COLUMN.match(column)
    return _RADIUS_KINDS[radius.group(1)] if radius else _COLUMN_KINDS.get(column, ())


# ------------------------------------------------------------------ helpers
def _lonlat(layer: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return layer.geometry.x.to_numpy(), layer.geometry.y.to_numpy()


def _bounds(layer: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = layer.total_bounds
    return float(x0), float(y0), float(x1), float(y1)


def search_distortion(posts: gpd.GeoDataFrame, crs, reach_m: float) -> float:
    """Largest relative distance error of ``crs`` over the posts' extent (EPSG:4326) widened
    by ``reach_m`` metres, plus ``DISTORTION_EPSILON``: every path a search from a post within
    ``reach_m`` (geodesic) can take lies in that box."""
    return max_scale_distortion(crs, widen_bounds(_bounds(posts), reach_m)) + DISTORTION_EPSILON


def _pairs_within(posts: gpd.GeoDataFrame, points: gpd.GeoDataFrame, radius_m: float,
                  crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(post index, point index, geodesic metres) of every pair closer than ``radius_m``.

    Exact for any extent: a point at geodesic distance g <= R from a post lies, with the whole
    geodesic between them, within R of the post, so inside the posts' box widened by R. In
    ``crs`` the straight chord between their images is no longer than the image of that
    geodesic, which is at most (1 + d) g, d the largest scale error over the box
    (:func:`search_distortion`). So a metric search within R (1 + d) (+ 1 m for rounding)
    finds every such point; each candidate is then kept on its geodesic distance (WGS84)."""
    if points is None or points.empty:
        return np.array([], int), np.array([], int), np.array([])
    reach = radius_m * (1.0 + search_distortion(posts, crs, radius_m)) + ROUNDING_M
    tree = shapely.STRtree(points.geometry.to_crs(crs).values)
    left, right = tree.query(posts.geometry.to_crs(crs).values, predicate="dwithin", distance=reach)
    px, py = _lonlat(posts)
    qx, qy = _lonlat(points)
    dist = geodesic_m(px[left], py[left], qx[right], qy[right]) if len(left) else np.array([])
    keep = dist <= radius_m
    return left[keep], right[keep], dist[keep]


def _nearest(posts: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, crs) -> tuple[np.ndarray, np.ndarray]:
    """Index of the geodesically nearest target of each post and that geodesic distance (m).

    For lines, the distance to a line is the geodesic distance (WGS84) to the point of the line
    nearest in ``crs`` (its error is second order in the scale error); for points, to the point.
    In ``crs`` the nearest target may not be the geodesic nearest. Exact whatever the scale
    error: with G the geodesic distance to the target nearest in ``crs``, the geodesic nearest
    is no farther than G, so it and the geodesic to it lie within G of the post; its distance
    in ``crs`` is then at most (1 + d) G, d the largest scale error over that disc
    (:func:`~mapping.geo.scale_distortion_around`). Every target that close in ``crs`` is a
    candidate; the smallest geodesic distance wins (ties: the lowest index)."""
    metric_targets = targets.geometry.to_crs(crs).values
    metric_posts = posts.geometry.to_crs(crs).values
    tree = shapely.STRtree(metric_targets)
    post_idx, target_idx = tree.query_nearest(metric_posts, all_matches=False)
    first_guess = np.empty(len(posts))
    first_guess[post_idx] = _geodesic_to(posts, targets, metric_posts, metric_targets,
                                         post_idx, target_idx, crs)
    px, py = _lonlat(posts)
    distortion = scale_distortion_around(crs, px, py, first_guess) + DISTORTION_EPSILON
    reach = np.minimum(first_guess * (1.0 + distortion) + ROUNDING_M, WHOLE_EARTH_M)
    left, right = tree.query(metric_posts, predicate="dwithin", distance=reach)
    dist = _geodesic_to(posts, targets, metric_posts, metric_targets, left, right, crs)
    order = np.lexsort((right, dist, left))
    first = order[np.unique(left[order], return_index=True)[1]]
    return right[first], dist[first]


def _geodesic_to(posts: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, metric_posts: np.ndarray,
                 metric_targets: np.ndarray, left: np.ndarray, right: np.ndarray, crs) -> np.ndarray:
    """Geodesic metres from posts ``left`` to targets ``right``: to a point itself, to a line's
    point nearest in ``crs``."""
    links = shapely.shortest_line(metric_posts[left], metric_targets[right])
    ends = gpd.GeoSeries(shapely.get_point(links, 1), crs=crs).to_crs("EPSG:4326")
    ex, ey = ends.x.to_numpy(copy=True), ends.y.to_numpy(copy=True)
    chosen = targets.geometry.values[right]
    point = shapely.get_type_id(chosen) == shapely.GeometryType.POINT
    ex[point], ey[point] = shapely.get_x(chosen[point]), shapely.get_y(chosen[point])
    px, py = _lonlat(posts)
    return geodesic_m(px[left], py[left], ex, ey) if len(left) else np.array([])


# ------------------------------------------------------------------ indicators
def population_indicator(posts: gpd.GeoDataFrame, layers: Layers,
                         params: IndicatorParams) -> tuple[np.ndarray, str]:
    """Persons within R km: exact area-weighted zonal sum of the population raster over the
    geodesic circle (partial cells weighted by the share of their area inside); without a
    raster, the sum of settlement populations within R km. Returns values and the source used."""
    lon, lat = _lonlat(posts)
    if layers.population is not None:
        return population_within(layers.population, lon, lat, params.radius_m), "raster"
    if layers.settlements is not None and not layers.settlements.empty:
        return settlement_population_within(layers.settlements, lon, lat, params.radius_m), "settlements"
    return np.full(len(posts), np.nan), "none"


def unofficial_crossings_indicators(posts: gpd.GeoDataFrame, crossings: gpd.GeoDataFrame | None,
                                    params: IndicatorParams, crs) -> tuple[np.ndarray, np.ndarray]:
    """Count of unofficial crossings within R km (geodesic), and the geodesic distance in km to
    the nearest one (NaN when the layer has none)."""
    n = len(posts)
    if crossings is None:
        return np.full(n, np.nan), np.full(n, np.nan)
    unofficial = crossings[(crossings["kind"] == "unofficial") & crossings.geometry.notna()]
    if unofficial.empty:
        return np.zeros(n), np.full(n, np.nan)
    left, _, _ = _pairs_within(posts, unofficial, params.radius_m, crs)
    counts = np.bincount(left, minlength=n).astype(float)
    _, dist = _nearest(posts, unofficial, crs)
    return counts, dist / 1000.0


def road_indicator(posts: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None,
                   crs) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic distance in km to the nearest all-season road (``all_season`` true), and
    that road's class. NaN/None when no all-season road is known."""
    n = len(posts)
    if roads is None or "all_season" not in roads:
        return np.full(n, np.nan), np.full(n, None, dtype=object)
    good = roads[roads["all_season"].fillna(False).astype(bool) & roads.geometry.notna()]
    if good.empty:
        return np.full(n, np.nan), np.full(n, None, dtype=object)
    idx, dist = _nearest(posts, good, crs)
    return dist / 1000.0, good["road_class"].to_numpy(dtype=object)[idx]


def flows_indicator(posts: gpd.GeoDataFrame, flows: gpd.GeoDataFrame | None) -> np.ndarray:
    """Mean daily crossings (in + out) over the periods where both directions were counted,
    at the post's crossing (matched by ``crossing_id``); NaN when the post has no crossing or
    no complete count."""
    if flows is None or flows.empty:
        return np.full(len(posts), np.nan)
    total = flows["daily_in"].astype(float) + flows["daily_out"].astype(float)
    counted = total.notna()  # a period with only one direction counted is not a daily total
    per_crossing = total[counted].groupby(flows.loc[counted, "crossing_id"]).mean()
    return posts["crossing_id"].map(per_crossing).to_numpy(dtype=float)


def condition_indicators(posts: gpd.GeoDataFrame,
                         params: IndicatorParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Condition need = 4 − mean of the assessed condition scores, each 0 (ruined or absent)
    to 4 (good): 0 means no need, 4 the greatest; NaN when no score was assessed. Also the
    assessment's age in months and a flag when it is missing, dated after the reference
    date, or older than ``assessment_max_age_months``."""
    scores = posts[list(CONDITION_SCORES)].astype(float)
    need = 4.0 - scores.mean(axis=1, skipna=True).to_numpy()
    assessed = pd.to_datetime(posts["last_assessed"])
    reference = pd.Timestamp(params.reference_date)
    age_months = ((reference - assessed).dt.days / 30.4375).to_numpy(dtype=float)
    stale = (np.isnan(need) | np.isnan(age_months) | (age_months < 0)
             | (age_months > params.assessment_max_age_months))
    return need, age_months, stale


def facing_indicators(posts: gpd.GeoDataFrame, need: np.ndarray,
                      all_posts: gpd.GeoDataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Whether a post faces this one across the border (1/0), and that post's condition need
    (NaN when there is no facing post or it was not assessed)."""
    reference = posts if all_posts is None else all_posts
    need_by_id = pd.Series(need, index=reference["post_id"].to_numpy())
    facing = posts["facing_post_id"]
    exists = facing.isin(need_by_id.index).to_numpy()
    return exists.astype(float), facing.map(need_by_id).to_numpy(dtype=float)


def incidents_indicator(posts: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame | None,
                        params: IndicatorParams, crs) -> np.ndarray:
    """Incidents within R km (geodesic) dated in the last N months before the reference date;
    NaN when there is no incidents layer."""
    if incidents is None:
        return np.full(len(posts), np.nan)
    start = pd.Timestamp(params.reference_date) - pd.DateOffset(months=params.incident_months)
    dates = pd.to_datetime(incidents["date"])
    recent = incidents[(dates >= start) & (dates <= pd.Timestamp(params.reference_date))
                       & incidents.geometry.notna()]
    left, _, _ = _pairs_within(posts, recent, params.radius_m, crs)
    return np.bincount(left, minlength=len(posts)).astype(float)


# ------------------------------------------------------------------ the table
def compute_indicators(layers: Layers, params: IndicatorParams | None = None) -> pd.DataFrame:
    """One row per post with a position (index ``post_id``), one column per indicator.

    ``attrs``: ``units`` (column -> unit), ``population_source`` (raster, settlements or none),
    ``crs`` (the metric CRS used) and ``max_scale_distortion`` (its largest relative
    distance error over the posts' extent).
    """
    params = params or IndicatorParams()
    everyone = layers.posts.reset_index(drop=True)
    placed = everyone.geometry.notna().to_numpy() & ~everyone.geometry.is_empty.to_numpy()
    posts = everyone[placed].reset_index(drop=True)
    x0, y0, x1, y1 = posts.total_bounds if len(posts) else SAHEL_BOUNDS  # none placed: any CRS does
    bounds = (x0 - 1, y0 - 1, x1 + 1, y1 + 1)
    crs = study_crs(bounds)
    pop, pop_source = population_indicator(posts, layers, params)
    unofficial, unofficial_dist = unofficial_crossings_indicators(posts, layers.crossings, params, crs)
    served = served_borders(everyone, layers.borders)
    gaps = coverage_gaps(posts, served[placed].reset_index(drop=True), layers.borders, crs)
    road_dist, road_class = road_indicator(posts, layers.roads, crs)
    need, age, stale = condition_indicators(everyone, params)
    facing, facing_need = facing_indicators(everyone, need)
    need, age, stale, facing, facing_need = (v[placed] for v in (need, age, stale, facing, facing_need))
    table = pd.DataFrame({
        "name": posts["name"].to_numpy(),
        "iso3": posts["iso3"].to_numpy(),
        "status": posts["status"].to_numpy(),
        "border_id": gaps["border_id"].to_numpy(),
        pop_column(params): pop,
        crossings_column(params): unofficial,
        "unofficial_nearest_km": unofficial_dist,
        **{column: gaps[column].to_numpy() for column in GAP_COLUMNS},
        "road_km": road_dist,
        "road_class": road_class,
        "daily_crossings": flows_indicator(posts, layers.flows),
        "condition_need": need,
        "assessment_age_months": age,
        "assessment_stale": stale,
        "facing_post": facing,
        "facing_condition_need": facing_need,
        incidents_column(params): incidents_indicator(posts, layers.incidents, params, crs),
        "rehab_cost_usd": posts["rehab_cost_usd"].to_numpy(dtype=float),
    }, index=pd.Index(posts["post_id"].to_numpy(), name="post_id"))
    if params.access and len(posts):
        travel = access_table(replace(layers, posts=posts), params.access)
        table = table.join(travel)
    table = _with_unplaced(table, everyone[~placed], served[~placed].to_numpy(dtype=object), params)
    table.attrs.update(
        units=indicator_units(params),
        population_source=pop_source,
        crs=crs.srs,
        max_scale_distortion=max_scale_distortion(crs, bounds),
        radius_km=params.radius_km,
        reference_date=params.reference_date.isoformat(),
    )
    return table


def _with_unplaced(table: pd.DataFrame, unplaced: gpd.GeoDataFrame, border_id: np.ndarray,
                   params: IndicatorParams) -> pd.DataFrame:
    """Posts without a position keep a row: their non-spatial indicators and the border of
    their facing post (``border_id``), NaN elsewhere."""
    if unplaced.empty:
        return table
    need, age, stale = condition_indicators(unplaced, params)
    rows = pd.DataFrame({
        "name": unplaced["name"].to_numpy(), "iso3": unplaced["iso3"].to_numpy(),
        "status": unplaced["status"].to_numpy(), "border_id": border_id, "condition_need": need,
        "assessment_age_months": age, "assessment_stale": stale,
        "rehab_cost_usd": unplaced["rehab_cost_usd"].to_numpy(dtype=float),
    }, index=pd.Index(unplaced["post_id"].to_numpy(), name="post_id"))
    return pd.concat([table, rows.reindex(columns=table.columns)])


def indicator_units(params: IndicatorParams) -> dict[str, str]:
    """Unit of each indicator column (catalogue key suffixes under ``units.``)."""
    travel = {column: "minutes" if column.startswith("town_min_") else "persons"
              for mode, settings in params.access.items() for column in access_columns(settings, mode)}
    return travel | {
        pop_column(params): "persons", crossings_column(params): "count",
        "unofficial_nearest_km": "km", "gap_a_km": "km", "gap_b_km": "km",
        "coverage_gap_km": "km", "road_km": "km", "daily_crossings": "per_day",
        "condition_need": "score_0_4", "assessment_age_months": "months",
        "assessment_stale": "yes_no", "facing_post": "yes_no",
        "facing_condition_need": "score_0_4", incidents_column(params): "count",
        "rehab_cost_usd": "usd",
    }


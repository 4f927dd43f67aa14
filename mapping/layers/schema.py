"""Layer kinds and their schemas: columns, types, allowed values, geometry, id.

Every vector layer is stored in EPSG:4326 (longitude, latitude in degrees).
A column's ``dtype`` is one of ``str``, ``int``, ``float``, ``bool``, ``date``;
``allowed`` lists the values a text column may take (a list column such as
``modes`` holds several of them separated by ``;``, ``,`` or spaces).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

STORAGE_CRS = "EPSG:4326"

POINT = ("Point",)
LINE = ("LineString", "MultiLineString")
POLYGON = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Column:
    """One attribute of a layer kind."""

    name: str
    dtype: str = "str"
    required: bool = False
    allowed: tuple[str, ...] = ()
    multiple: bool = False  # several allowed values in one cell, e.g. "foot;motorbike"
    minimum: float | None = None
    maximum: float | None = None
    # why ``maximum`` is the most a real value can be: a key under ``validation.bounds`` whose
    # words a value above it is reported with (a plausibility bound, not a definition)
    bound: str | None = None


@dataclass(frozen=True)
class LayerKind:
    """A kind of layer: what its rows are, which geometry, which columns, which id."""

    name: str
    geometry_types: tuple[str, ...]
    id_column: str
    columns: tuple[Column, ...] = field(default_factory=tuple)
    raster: bool = False

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _scores(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "float", minimum=0, maximum=4) for n in names)


CONDITION_SCORES = ("building", "equipment", "power", "water", "communications", "connectivity")
POST_STATUS = ("operational", "degraded", "closed", "planned")
CROSSING_KIND = ("official", "unofficial")
MODES = ("foot", "motorbike", "vehicle", "livestock")
SEASON = ("all_year", "dry", "wet")
CONFIDENCE = ("high", "medium", "low")
ROAD_CLASS = ("trunk", "primary", "secondary", "tertiary", "track")
SURFACE = ("paved", "unpaved", "laterite", "sand", "unknown")
SOURCE = Column("source")

# Plausibility bounds: far above any real value, so that only a typo, a wrong unit, a wrong
# column or a hostile file exceeds them; each is named in the finding with its reason
# (``validation.bounds.<bound>``). Besides catching mistakes they keep the numbers that
# scoring, the budget shortlist (a MILP solved by HiGHS) and the exports compute with in a
# range where they stay exact and readable: 10,000 posts at the cost maximum sum to 1e13,
# below the 2**53 ~ 9e15 where float64 stops counting every dollar and below the 1e15 where
# numbers are shown in scientific notation.
MAX_REHAB_COST_USD = 1e9  # per post; even the largest border-post modernisations cost hundreds of millions
MAX_STAFF = 10_000  # people working at one post: far more than at any land border post
MAX_DAILY_CROSSINGS = 1e6  # per day; the busiest land crossings in the world see a few hundred thousand
MAX_POPULATION = 100_000_000  # the largest cities (metropolitan areas) have about 40 million people
MAX_BORDER_KM = 20_000  # the longest land border (Canada–United States) is about 8,900 km

KINDS: dict[str, LayerKind] = {
    kind.name: kind
    for kind in (
        LayerKind("countries", POLYGON, "iso3", (
            Column("iso3", required=True),
            Column("name_en", required=True),
            Column("name_fr", required=True),
            Column("is_g5", "bool"),
            SOURCE,
        )),
        LayerKind("borders", LINE, "border_id", (
            Column("border_id", required=True),
            Column("iso3_a", required=True),
            Column("iso3_b", required=True),
            Column("length_km", "float", minimum=0, maximum=MAX_BORDER_KM, bound="border_km"),
            SOURCE,
        )),
        LayerKind("posts", POINT, "post_id", (
            Column("post_id", required=True),
            Column("name", required=True),
            Column("iso3", required=True),
            Column("status", required=True, allowed=POST_STATUS),
            Column("agencies"),
            Column("facing_post_id"),
            Column("crossing_id"),
            *_scores(*CONDITION_SCORES),
            Column("staff", "int", minimum=0, maximum=MAX_STAFF, bound="staff"),
            Column("last_assessed", "date"),
            Column("rehab_cost_usd", "float", minimum=0, maximum=MAX_REHAB_COST_USD, bound="cost"),
            # people (and vehicles) the post can process in a day, when known; else a scenario
            # derives it from ``staff``
            Column("capacity_per_day", "float", minimum=0, maximum=MAX_DAILY_CROSSINGS,
                   bound="daily_crossings"),
            SOURCE,
        )),
        LayerKind("crossings", POINT, "crossing_id", (
            Column("crossing_id", required=True),
            Column("name"),
            Column("kind", required=True, allowed=CROSSING_KIND),
            Column("iso3_a"),
            Column("iso3_b"),
            Column("modes", allowed=MODES, multiple=True),
            Column("season", allowed=SEASON),
            Column("est_daily_crossings", "float", minimum=0, maximum=MAX_DAILY_CROSSINGS,
                   bound="daily_crossings"),
            Column("confidence", allowed=CONFIDENCE),
            Column("last_observed", "date"),
            SOURCE,
        )),
        LayerKind("roads", LINE, "road_id", (
            Column("road_id", required=True),
            Column("ref"),
            Column("name"),
            Column("road_class", required=True, allowed=ROAD_CLASS),
            Column("surface", allowed=SURFACE),
            Column("all_season", "bool"),
            SOURCE,
        )),
        LayerKind("settlements", POINT, "settlement_id", (
            Column("settlement_id", required=True),
            Column("name", required=True),
            Column("iso3"),
            Column("admin1"),
            Column("population", "int", minimum=0, maximum=MAX_POPULATION, bound="population"),
            Column("population_year", "int", minimum=1900, maximum=2100),
            SOURCE,
        )),
        LayerKind("flows", POINT, "flow_id", (
            Column("flow_id", required=True),
            Column("crossing_id", required=True),
            Column("period_start", "date", required=True),
            Column("period_end", "date"),
            Column("daily_in", "float", minimum=0, maximum=MAX_DAILY_CROSSINGS, bound="daily_crossings"),
            Column("daily_out", "float", minimum=0, maximum=MAX_DAILY_CROSSINGS, bound="daily_crossings"),
            SOURCE,
        )),
        LayerKind("incidents", POINT, "incident_id", (
            Column("incident_id", required=True),
            Column("date", "date", required=True),
            Column("kind", required=True),
            SOURCE,
        )),
        # barriers to travel on foot and by road (mapping.access.friction): crossed only where a
        # road, a post or a crossing is
        LayerKind("rivers", LINE, "river_id", (
            Column("river_id", required=True),
            Column("name"),
            SOURCE,
        )),
        LayerKind("lakes", POLYGON, "lake_id", (
            Column("lake_id", required=True),
            Column("name"),
            SOURCE,
        )),
        LayerKind("population", (), "", raster=True),
    )
}

VECTOR_KINDS = tuple(name for name, kind in KINDS.items() if not kind.raster)


def get_kind(name: str) -> LayerKind:
    """The kind called ``name``; ``KeyError`` lists the known kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown layer kind {name!r}; known kinds: {', '.join(KINDS)}") from None


_PANDAS_DTYPES = {"int": "Int64", "float": "float64", "bool": "boolean", "date": "datetime64[ms]"}


def is_blank(value: object) -> bool:
    """None, NaN, NaT, pandas NA or a string of spaces."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def with_schema_types(layer: gpd.GeoDataFrame, kind: LayerKind) -> gpd.GeoDataFrame:
    """``layer`` with exactly the schema's columns (in order) and one pandas dtype per type.

    Text is ``object`` with ``None`` for empty, whole numbers ``Int64``, numbers
    ``float64``, yes/no ``boolean``, dates ``datetime64[ms]``: the same form
    whether a layer comes from a file or from the store, so they compare cell by cell.
    """
    out = layer.copy()
    for column in kind.columns:
        values = out[column.name] if column.name in out.columns else pd.Series(None, index=out.index)
        if column.dtype == "str":
            values = pd.Series([None if is_blank(v) else str(v) for v in values],
                               index=out.index, dtype=object)
        elif column.dtype == "date":
            values = pd.to_datetime(values).astype("datetime64[ms]")
        else:
            values = values.astype(object).where(values.notna(), None)
            values = pd.Series(pd.array(values.tolist(), dtype=_PANDAS_DTYPES[column.dtype]),
                               index=out.index)
        out[column.name] = values
    return gpd.GeoDataFrame(out[[*kind.names]], geometry=out.geometry.values, crs=out.crs)

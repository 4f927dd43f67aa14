"""The Scenario page's pieces without the app: a surge on the map (flows, posts by saturation,
names escaped), the coordinates a delegate types, and the tables shown and downloaded."""

from __future__ import annotations

import io

import folium
import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from mapping.access.routing import origin_around, parse_lon_lat
from mapping.access.scenario import SurgeError, SurgeScenario
from mapping.access.surge import simulate
from mapping.i18n import t
from mapping.surge_map import (
    FLOW_COLOUR,
    FLOW_WEIGHTS,
    SATURATED_COLOUR,
    origin_point,
    surge_bounds,
    surge_layer,
)
from mapping.webapp.scenario_page import (
    comparison_table,
    daily_table,
    mix_shares,
    site_table,
    table_bytes,
)

HOSTILE = "<img src=x onerror=alert(1)>`${x}`"


def sites() -> gpd.GeoDataFrame:
    """Two posts (one small, one large) and an unofficial crossing near Bassikounou."""
    return gpd.GeoDataFrame({
        "site_id": ["P-SMALL", "P-BIG", "X-1"], "name": [HOSTILE, "=HYPERLINK(\"x\")", "XU-1"],
        "site_kind": ["post", "post", "unofficial"], "capacity_per_day": [100.0, 10_000.0, np.nan],
        "capacity_source": ["staff", "capacity_per_day", ""], "iso3": ["MRT", "MRT", None]},
        geometry=[shapely.Point(-5.9, 15.9), shapely.Point(-6.2, 15.7), shapely.Point(-5.7, 15.8)],
        crs="EPSG:4326")


def run(people: int = 10_000, name: str = ""):
    scenario = SurgeScenario(name=name, people=people, days=10, mode_mix={"foot": 1.0}, choice_k=2,
                             unofficial_share=0.2)
    minutes = {"foot": np.array([300.0, 600.0, 200.0])}
    return simulate(scenario, sites(), minutes)


def rendered(group) -> str:
    fmap = folium.Map(tiles=None)
    group.add_to(fmap)
    return fmap.get_root().render()


def test_flows_go_to_every_site_that_receives_people_widest_to_the_most():
    result = run()
    origin = origin_around(-5.5, 15.6, 10)
    group = surge_layer(result, sites(), origin, "fr")
    lines = [child for child in group._children.values() if type(child).__name__ == "PolyLine"]
    receiving = result.summary[result.summary["arrivals"] > 0]
    assert len(lines) == len(receiving) == 3
    assert all(line.options["color"] == FLOW_COLOUR for line in lines)
    widths = sorted(line.options["weight"] for line in lines)
    assert widths[-1] == FLOW_WEIGHTS[1] and widths[0] >= FLOW_WEIGHTS[0]
    page = rendered(group)
    assert SATURATED_COLOUR in page  # the small post saturates
    assert HOSTILE not in page and "&lt;img" in page  # names escaped in every tooltip


def test_without_a_result_the_posts_alone_are_drawn():
    group = surge_layer(None, sites(), None, "en")
    assert not [c for c in group._children.values() if type(c).__name__ == "PolyLine"]
    assert "Point" in rendered(group)


def test_the_view_frames_the_origin_and_the_receiving_sites():
    result = run()
    origin = origin_around(-5.5, 15.6, 10)
    west, south, east, north = surge_bounds(result, sites(), origin)
    centre = origin_point(origin)
    assert abs(centre.x + 5.5) < 0.01 and abs(centre.y - 15.6) < 0.01
    assert west <= centre.x <= east and south <= centre.y <= north  # the origin
    receiving = result.summary.loc[result.summary["arrivals"] > 0, "post_id"]
    placed = sites().set_index("site_id").geometry.loc[receiving]
    assert (placed.x >= west).all() and (placed.x <= east).all()
    assert (placed.y >= south).all() and (placed.y <= north).all()


@pytest.mark.parametrize("text", ["-4.91,15.71", " -4.91 , 15.71 ", "-4,91;15,71", "-4.91 15.71",
                                  "−4.91,15.71"])
def test_coordinates_are_read_as_delegates_type_them(text):
    assert parse_lon_lat(text) == (-4.91, 15.71)


@pytest.mark.parametrize("text", ["Léré", "-4.91", "-4,91,15,71", "nan,15", "1,2,3"])
def test_other_text_is_refused_with_the_catalogue_message(text):
    with pytest.raises(SurgeError) as raised:
        parse_lon_lat(text)
    assert raised.value.message("fr") == t("surge.errors.bad_origin", "fr", value=text)


def test_mode_points_become_shares():
    assert mix_shares({"foot": 60, "motorbike": 30, "vehicle": 10}) == pytest.approx(
        {"foot": 0.6, "motorbike": 0.3, "vehicle": 0.1})
    assert mix_shares({"foot": 0, "motorbike": 0, "vehicle": 0}) == {"foot": 0, "motorbike": 0, "vehicle": 0}


def test_the_site_table_is_in_the_language_and_its_numbers():
    result = run(100_000)
    table = site_table(result, sites(), "fr")
    names = [t(f"surge.columns.{c}", "fr") for c in ("name", "site_kind", "arrivals")]
    assert list(table.columns)[:3] == names
    arrivals = [int(v.replace("\u202f", "")) for v in table[t("surge.columns.arrivals", "fr")]]
    assert arrivals == sorted(arrivals, reverse=True) and sum(arrivals) == 100_000
    assert "\u202f" in table[t("surge.columns.arrivals", "fr")].iloc[0]  # 50 000, French grouping
    assert t("surge.values.staff", "fr") in set(table[t("surge.columns.capacity_source", "fr")])


def test_downloads_neutralise_formulas_and_follow_the_locale():
    table = daily_table(run(), "fr")
    text = table_bytes(table, "csv", "fr").decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";" in text.splitlines()[0]
    book = openpyxl.load_workbook(io.BytesIO(table_bytes(table, "xlsx", "en")))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert "'=HYPERLINK(\"x\")" in cells and not any(str(c).startswith("=") for c in cells)


def test_scenarios_compared_side_by_side():
    shown = comparison_table({"big": run(100_000), "small": run(1_000)}, "en")
    assert list(dict.fromkeys(shown.columns.get_level_values(0))) == ["big", "small"]
    measure = t("surge.columns.arrivals", "en")
    big = pd.to_numeric(shown[("big", measure)].str.replace(",", ""))
    small = pd.to_numeric(shown[("small", measure)].str.replace(",", ""))
    assert (big > small).all()

"""The map's travel-time layers: the bands' time scale in the legend (shortest first, darkest),
the bands drawn longest first, quickest-post areas whose neighbours differ in colour, and
tooltips that show a post's name as text, with its people in the locale's format."""

from __future__ import annotations

import geopandas as gpd
import shapely
from streamlit_folium import _get_feature_group_string

from mapping.access_map import area_colours, band_legend_rows, isochrone_layer, quickest_layer
from mapping.maps import base_map
from mapping.palette import time_band_colours

HOSTILE = "<img src=x onerror=alert(1)>`${1+1}`</script>"


def group_script(group) -> str:
    """The script streamlit-folium sends to the browser for ``group`` (``feature_group_to_add``)."""
    fmap = base_map({}, "en")
    fmap.get_root().render()
    return _get_feature_group_string(group, fmap)


def rings(*limits: float) -> gpd.GeoDataFrame:
    """Bands around (0, 0) as ``catchments.isochrones`` gives them, in the order given."""
    shapes = [shapely.Point(0, 0).buffer(m / 100).difference(shapely.Point(0, 0).buffer((m - 60) / 100))
              for m in limits]
    return gpd.GeoDataFrame({"post_id": ["P1"] * len(limits), "minutes": list(limits)}, geometry=shapes,
                            crs=4326)


def test_the_legend_gives_the_time_scale_shortest_first_with_the_mode():
    rows = band_legend_rows([120.0, 60.0], "foot", "en")
    assert rows[0] == "<b>Travel time to the selected post</b>"
    assert rows[1].endswith("≤ 60 min on foot") and rows[2].endswith("≤ 120 min")
    dark, light = time_band_colours(2)
    assert dark in rows[1] and light in rows[2]
    french = band_legend_rows([60.0, 1440.0], "vehicle", "fr")
    assert french[1].endswith("≤ 60 min en véhicule") and french[2].endswith("≤ 1\u202f440 min")


def test_bands_are_drawn_longest_first_in_their_colours_under_the_posts():
    script = group_script(isochrone_layer(rings(60.0, 180.0, 120.0), "motorbike", "en"))
    colours = time_band_colours(3)
    drawn = [script.index(f'"minutes": {m}') for m in (180.0, 120.0, 60.0)]
    assert drawn == sorted(drawn)  # the longest under the shorter ones
    for minutes, colour in zip((60.0, 120.0, 180.0), colours, strict=True):
        feature = script[script.index(f'"minutes": {minutes}'):]
        assert feature.index(colour) < feature.index("}}")  # the band's own style
    assert '"bordermapAccess"' in script and "interactive: false" in script
    assert "≤ 60 min by motorbike" in script.encode().decode("unicode_escape")


def test_touching_areas_take_different_colours_and_apart_ones_may_share():
    squares = [shapely.box(x, 0, x + 1, 1) for x in (0, 1, 2)] + [shapely.box(10, 10, 11, 11)]
    areas = gpd.GeoDataFrame({"post_id": ["A", "B", "C", "D"], "population": [1.0] * 4},
                             geometry=squares, crs=4326)
    colours = area_colours(areas)
    assert colours[0] != colours[1] and colours[1] != colours[2]
    assert len(set(colours)) == 2  # a row of three needs two colours; the lone area takes the first


def test_area_tooltips_show_the_post_name_as_text_and_people_in_the_locale():
    areas = gpd.GeoDataFrame({"post_id": ["P1"], "population": [12345.4]},
                             geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    script = group_script(quickest_layer(areas, {"P1": HOSTILE}, 120.0, "foot", "fr"))
    assert "<img" not in script and "</script>" not in script and "${1+1}" not in script
    assert "&lt;img src=x onerror=alert(1)&gt;&#96;&#36;{1+1}&#96;" in script
    assert "12\\u202f345 personnes" in script  # French thousands, as the page shows them
    assert "bindTooltip" in script and '"bordermapPosts"' in script and "bringToBack" in script

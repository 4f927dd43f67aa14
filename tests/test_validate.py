"""Validation: every finding a GIS officer relies on, on crafted bad input."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import make_posts

from mapping.i18n import LANGUAGES
from mapping.layers.findings import ERROR, WARNING
from mapping.layers.schema import KINDS
from mapping.layers.validate import (
    ValidationContext,
    ValidationSettings,
    apply_fixes,
    validate_layer,
)

POSTS = KINDS["posts"]


def codes(report) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in report.findings:
        found.setdefault(f.code, []).append(f.feature_id)
    return found


def test_valid_french_field_layer_maps_columns_and_values():
    report = validate_layer(make_posts(), POSTS)
    assert report.ok, [f.message() for f in report.findings]
    layer = report.layer
    assert list(layer["post_id"]) == ["MRT-001", "MLI-001", "MRT-002"]
    assert list(layer["status"]) == ["operational", "degraded", "closed"]
    assert layer["building"].iloc[1] == 1.5
    assert layer["last_assessed"].iloc[0] == dt.datetime(2025, 3, 12)
    assert layer["building"].isna().iloc[2]  # empty stays missing, never zero


def test_missing_required_column():
    raw = make_posts().drop(columns=["Statut"])
    report = validate_layer(raw, POSTS)
    missing = [f for f in report.findings if f.code == "missing_column"]
    assert [f.params["column"] for f in missing] == ["status"]
    assert missing[0].severity == ERROR
    assert "Nom" in missing[0].message("en")


def test_wrong_type_and_range_and_allowed_values():
    raw = make_posts(batiment=["deux", "7", "1"], Statut=["ouvert", "démoli", "planned"])
    found = codes(validate_layer(raw, POSTS))
    assert found["wrong_type"] == ["MRT-001"]
    assert found["out_of_range"] == ["MLI-001"]
    assert found["value_not_allowed"] == ["MLI-001"]


def test_bad_date_is_wrong_type():
    found = codes(validate_layer(make_posts(**{"Date évaluation": ["32/13/2025", "", ""]}), POSTS))
    assert found["wrong_type"] == ["MRT-001"]


def test_duplicate_and_missing_ids():
    raw = make_posts(identifiant=["MRT-001", "MRT-001", None])
    found = codes(validate_layer(raw, POSTS))
    assert found["duplicate_id"] == ["MRT-001"]
    assert found["missing_value"] == ["#3"]


def test_empty_invalid_and_wrong_geometry():
    raw = make_posts()
    raw.loc[0, "geometry"] = None
    raw.loc[1, "geometry"] = shapely.LineString([(-9.3, 15.3), (-9.2, 15.4)])
    found = codes(validate_layer(raw, POSTS))
    assert found["empty_geometry"] == ["MRT-001"]
    assert found["wrong_geometry_type"] == ["MLI-001"]

    bowtie = shapely.Polygon([(-10, 15), (-9, 16), (-9, 15), (-10, 16), (-10, 15)])
    countries = gpd.GeoDataFrame({"iso3": ["MLI"], "name_en": ["Mali"], "name_fr": ["Mali"]},
                                 geometry=[bowtie], crs="EPSG:4326")
    report = validate_layer(countries, KINDS["countries"])
    invalid = [f for f in report.findings if f.code == "invalid_geometry"]
    assert invalid and invalid[0].fixable and "intersection" in invalid[0].message("en").lower()
    fixed = apply_fixes(countries, report, KINDS["countries"])
    assert fixed.ok and fixed.layer.geometry.is_valid.all()
    assert fixed.fixes_applied == ["invalid_geometry:MLI"]


def test_missing_crs_is_fixable_only_for_degrees():
    raw = make_posts().set_crs(None, allow_override=True)
    report = validate_layer(raw, POSTS)
    (finding,) = [f for f in report.findings if f.code == "missing_crs"]
    assert finding.fixable
    assert apply_fixes(raw, report, POSTS).ok

    utm = make_posts().to_crs("EPSG:32629").set_crs(None, allow_override=True)
    (finding,) = [f for f in validate_layer(utm, POSTS).findings if f.code == "missing_crs"]
    assert not finding.fixable


def test_other_crs_is_reprojected_with_a_warning():
    report = validate_layer(make_posts().to_crs("EPSG:32629"), POSTS)
    assert report.ok
    assert codes(report)["reprojected"] == [None]
    assert report.layer.crs.to_epsg() == 4326
    assert abs(report.layer.geometry.x.iloc[0] - -9.42) < 1e-6


def test_swapped_lat_lon_detected_and_fixed():
    raw = make_posts(lon=[15.90, -9.35, -7.53], lat=[-9.42, 15.36, 15.54])
    report = validate_layer(raw, POSTS)
    assert codes(report)["swapped_lat_lon"] == ["MRT-001"]
    fixed = apply_fixes(raw, report, POSTS)
    assert fixed.ok
    assert fixed.layer.geometry.iloc[0].equals(shapely.Point(-9.42, 15.90))


def test_out_of_range_and_far_outside():
    raw = make_posts(lon=[-9.42, 2.35, 200.0], lat=[15.90, 48.85, 15.54])
    found = codes(validate_layer(raw, POSTS))
    assert found["coordinates_out_of_range"] == ["MRT-002"]
    assert found["outside_study_area"] == ["MLI-001"]  # Paris


def test_near_duplicates_under_50_m():
    # 0.0003 degrees of latitude is about 33 m
    raw = make_posts(lon=[-9.42, -9.42, -7.53], lat=[15.90, 15.9003, 15.54])
    report = validate_layer(raw, POSTS)
    (finding,) = [f for f in report.findings if f.code == "near_duplicate"]
    assert finding.feature_id == "MLI-001" and finding.params["other"] == "MRT-001"
    assert 30 < finding.params["distance_m"] < 36
    assert finding.severity == WARNING


def test_crossing_far_from_border_is_configurable(borders):
    crossings = gpd.GeoDataFrame(
        {"crossing_id": ["C1", "C2"], "kind": ["unofficial", "officiel"]},
        geometry=[shapely.Point(-9.0, 15.52), shapely.Point(-9.0, 15.6)], crs="EPSG:4326")
    context = ValidationContext(borders=borders)
    found = codes(validate_layer(crossings, KINDS["crossings"], context))
    assert found["far_from_border"] == ["C2"]  # ~11 km away; C1 is ~2 km away
    wide = ValidationContext(borders=borders, settings=ValidationSettings(crossing_max_border_km=15))
    assert "far_from_border" not in codes(validate_layer(crossings, KINDS["crossings"], wide))


def test_unknown_references():
    raw = make_posts(poste_en_face=["MLI-001", "MLI-999", None])
    context = ValidationContext(known_ids={"crossings": {"X-1"}})
    raw["crossing_id"] = ["X-1", None, "X-2"]
    found = codes(validate_layer(raw, POSTS, context))
    assert sorted(found["unknown_reference"]) == ["MLI-001", "MRT-002"]


def test_formula_and_html_names_are_flagged():
    raw = make_posts(Nom=["=HYPERLINK(\"http://x\")", "<img src=x onerror=alert(1)>", "Adel Bagrou"])
    report = validate_layer(raw, POSTS)
    assert codes(report)["formula_text"] == ["MRT-001"]
    assert codes(report)["suspicious_text"] == ["MLI-001"]
    assert report.ok  # a warning: the name is kept, shown as text later
    assert report.layer["name"].iloc[1] == "<img src=x onerror=alert(1)>"


def test_markdown_links_in_names_are_flagged():
    raw = make_posts(Nom=["[cliquez ici](https://evil.example)", "Kobenni [MRT]", "Nara (Koulikoro)"])
    assert codes(validate_layer(raw, POSTS))["suspicious_text"] == ["MRT-001"]  # brackets alone are fine


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_finding_has_a_message_in_each_language(lang):
    raw = make_posts(identifiant=["A", "A", None], batiment=["x", "9", ""],
                     Statut=["?", "", "closed"], Nom=["=1+1", "B", "C"])
    raw.loc[2, "geometry"] = None
    report = validate_layer(raw.set_crs(None, allow_override=True), POSTS)
    assert len(report.findings) >= 6
    for finding in report.findings:
        text = finding.message(lang)
        assert text and "{" not in text


def test_point_just_outside_the_study_area_is_not_taken_for_swapped():
    # a Chad village at 7.9 N: swapping would land inside the box, but it is only ~11 km out
    raw = make_posts(lon=[15.2, -9.35, -7.53], lat=[7.9, 15.36, 15.54])
    found = codes(validate_layer(raw, POSTS))
    assert "swapped_lat_lon" not in found and "outside_study_area" not in found


def test_year_first_dates_with_slashes_excel_serials_and_spreadsheet_cells():
    raw = make_posts(**{"Date évaluation": ["2024/06/09 00:00:00", 45000, dt.datetime(2023, 1, 5)]})
    layer = validate_layer(raw, POSTS).layer
    assert [d.date() for d in layer["last_assessed"]] == [
        dt.date(2024, 6, 9), dt.date(2023, 3, 15), dt.date(2023, 1, 5)]


def test_numeric_ids_read_as_floats_keep_their_text():
    raw = make_posts(identifiant=[7.0, 8.0, 9.0], poste_en_face=[8.0, float("nan"), 7.0])
    report = validate_layer(raw, POSTS)
    assert list(report.layer["post_id"]) == ["7", "8", "9"]
    assert list(report.layer["facing_post_id"].fillna("")) == ["8", "", "7"]
    assert "unknown_reference" not in codes(report)


def test_blank_required_date_is_missing_and_huge_numbers_are_refused():
    flows = gpd.GeoDataFrame({"flow_id": ["f1"], "crossing_id": ["C1"], "period_start": [pd.NaT]},
                             geometry=[shapely.Point(-9.4, 15.5)], crs="EPSG:4326")
    assert codes(validate_layer(flows, KINDS["flows"]))["missing_value"] == ["f1"]
    found = codes(validate_layer(make_posts(effectif=["1e30", "inf", "3"]), POSTS))
    assert found["implausible_value"] == ["MRT-001"]  # a number, far above any staff
    assert found["wrong_type"] == ["MLI-001"]  # not a number


def test_yes_no_as_numbers_and_multi_word_list_values():
    roads = gpd.GeoDataFrame({"road_id": ["r1", "r2"], "road_class": ["piste", "trunk"],
                              "all_season": [1.0, 0.0]},
                             geometry=[shapely.LineString([(-9, 15), (-8, 15)])] * 2, crs=4326)
    assert list(validate_layer(roads, KINDS["roads"]).layer["all_season"]) == [True, False]
    crossings = gpd.GeoDataFrame({"crossing_id": ["c1", "c2"], "kind": ["unofficial"] * 2,
                                  "modes": ["à pied; moto", "foot vehicle"]},
                                 geometry=[shapely.Point(-9, 15.5)] * 2, crs=4326)
    layer = validate_layer(crossings, KINDS["crossings"]).layer
    assert list(layer["modes"]) == ["foot;motorbike", "foot;vehicle"]


def test_a_country_far_away_is_outside_the_study_area_not_swapped():
    gabon = gpd.GeoDataFrame({"iso3": ["GAB"], "name_en": ["Gabon"], "name_fr": ["Gabon"]},
                             geometry=[shapely.box(8.7, -3.9, 14.5, 2.3)], crs=4326)
    found = codes(validate_layer(gabon, KINDS["countries"]))
    assert "swapped_lat_lon" not in found and found["outside_study_area"] == ["GAB"]


def test_fixes_that_appear_after_another_fix_are_applied_too():
    raw = make_posts(lon=[15.90, -9.35, -7.53], lat=[-9.42, 15.36, 15.54])
    raw = raw.set_crs(None, allow_override=True)
    report = validate_layer(raw, POSTS)
    assert "swapped_lat_lon" not in codes(report)  # hidden until the CRS is known
    fixed = apply_fixes(raw, report, POSTS)
    assert fixed.ok and fixed.fixes_applied == ["missing_crs", "swapped_lat_lon:MRT-001"]


def test_swap_fix_moves_the_swapped_feature_even_with_a_repeated_id():
    raw = make_posts(identifiant=["A", "A", "B"], lon=[-9.42, 15.5, -7.53], lat=[15.9, -9.35, 15.54])
    fixed = apply_fixes(raw, validate_layer(raw, POSTS), POSTS)
    assert fixed.layer.geometry.iloc[0].equals(shapely.Point(-9.42, 15.9))
    assert fixed.layer.geometry.iloc[1].equals(shapely.Point(-9.35, 15.5))


def test_repairing_a_spiked_polygon_keeps_a_polygon():
    spike = shapely.Polygon([(-10, 15), (-9, 15), (-9, 16), (-9.5, 16), (-9.5, 17), (-9.5, 16),
                             (-10, 16), (-10, 15)])
    countries = gpd.GeoDataFrame({"iso3": ["MLI"], "name_en": ["Mali"], "name_fr": ["Mali"]},
                                 geometry=[spike], crs=4326)
    fixed = apply_fixes(countries, validate_layer(countries, KINDS["countries"]), KINDS["countries"])
    assert fixed.ok and fixed.layer.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")

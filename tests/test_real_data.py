"""The real Sahel reference layers in ../shared/data go through readers, validation and the store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.importing import check_file, import_file


@pytest.fixture
def real_store(shared_data, tmp_path) -> GeoPackageStore:
    """A store holding the real Mauritania–Mali countries, border lines and GeoNames settlements."""
    store = GeoPackageStore(tmp_path / "real.gpkg")
    for name, kind in [("countries", "countries"), ("boundary_lines", "borders"),
                       ("settlements", "settlements")]:
        result = import_file(shared_data / "mr_ml" / f"{name}.geojson", kind, store, user="test")
        assert result.committed, [f.message() for f in result.findings]
    return store


def test_real_layers_import_with_their_own_column_names(real_store):
    assert real_store.kinds() == ["countries", "borders", "settlements"]
    settlements = real_store.read("settlements")
    assert len(settlements) == 95
    # GeoNames' geonameid and admin1_code were mapped to the schema's names
    assert settlements["settlement_id"].str.fullmatch(r"\d+").all()
    assert settlements["admin1"].notna().all()
    borders = real_store.read("borders").set_index("border_id")
    assert borders.loc["MLI-MRT-1", "length_km"] == pytest.approx(1211.1, abs=0.1)


def test_real_road_border_intersections_lie_on_the_real_borders(real_store, shared_data):
    """The points where roads cross the border are within 5 km of it: no far_from_border finding.

    Their ``kind`` values are the reference set's own vocabulary, which validation
    reports as not allowed (official/unofficial) without inventing a mapping.
    """
    report = check_file(shared_data / "mr_ml" / "road_border_intersections.geojson", "crossings",
                        real_store)
    codes = Counter(f.code for f in report.findings)
    assert codes == {"value_not_allowed": 6}
    assert {f.params["value"] for f in report.findings} == {"matching_cross_border_edge",
                                                            "domestic_edge"}


def test_real_population_raster_imports(real_store, shared_data):
    result = import_file(shared_data / "mr_ml" / "population_2020_persons.tif", "population",
                         real_store, user="test")
    assert result.committed and result.findings == []
    assert Path(real_store.raster_source()).stat().st_size > 0


def test_all_sahel_settlements_validate_with_only_near_duplicate_warnings(shared_data):
    report = check_file(shared_data / "sahel_reference.gpkg", "settlements",
                        layer="settlements_geonames")
    assert len(report.layer) == 2998
    assert report.ok
    assert {f.code for f in report.findings} <= {"near_duplicate"}
    assert all(f.params["distance_m"] < 50 for f in report.findings)


def test_all_sahel_countries_and_borders_validate_cleanly(shared_data):
    countries = check_file(shared_data / "sahel_reference.gpkg", "countries", layer="countries")
    assert countries.ok and countries.findings == []
    assert len(countries.layer) == 21
    borders = check_file(shared_data / "sahel_reference.gpkg", "borders", layer="boundary_lines")
    assert borders.ok and len(borders.layer) == 49

"""A G5-wide project started empty from the real reference data: it ranks exactly what was imported.

A GIS officer runs ``bordermap init --from empty``, imports the real countries, border lines,
GeoNames settlements and population raster of ``../shared/data`` and 133 hypothetical posts at
the real road–border intersections, then scores and shortlists: no demo layer takes part.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from mapping.cli import main
from mapping.layers.borders import served_borders
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.user_store import DEMO_GPKG, demo_dir

pytestmark = pytest.mark.shared_data
G5 = {"BFA", "MLI", "MRT", "NER", "TCD"}


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def g5_project(shared_data, tmp_path_factory) -> tuple[GeoPackageStore, gpd.GeoDataFrame]:
    """An empty project, then the real region layers and hypothetical posts imported into it."""
    folder = tmp_path_factory.mktemp("g5")
    reference = shared_data / "sahel_reference.gpkg"
    crossings = gpd.read_file(reference, layer="road_border_intersections")
    posts = gpd.GeoDataFrame({
        "post_id": crossings["crossing_id"].str.replace("RBX", "HYP"),
        "name": "Hypothetical " + crossings["crossing_id"],
        "iso3": crossings["iso3_a"],
        "status": "operational",
        "rehab_cost_usd": 100_000.0 + 1_000.0 * crossings.index.to_numpy(),
        "border": crossings["iso3_a"] + "-" + crossings["iso3_b"],
        "source": "hypothetical: a real road–border intersection, not a real post (test)",
    }, geometry=crossings.geometry, crs=crossings.crs)
    posts.drop(columns="border").to_file(folder / "posts.geojson", driver="GeoJSON")
    for layer in ("countries", "boundary_lines", "settlements_geonames"):
        gpd.read_file(reference, layer=layer).to_file(folder / f"{layer}.gpkg", layer=layer)
    store = folder / "g5.gpkg"
    run("init", "--store", str(store), "--from", "empty")
    for file, kind in [("countries.gpkg", "countries"), ("boundary_lines.gpkg", "borders"),
                       ("settlements_geonames.gpkg", "settlements"), ("posts.geojson", "posts")]:
        run("layers", "import", str(folder / file), "--kind", kind, "--store", str(store))
    run("layers", "import", str(shared_data / "population_2020_persons.tif"), "--kind",
        "population", "--store", str(store))
    return GeoPackageStore(store), posts


def test_an_empty_project_holds_only_what_was_imported(g5_project):
    store, posts = g5_project
    assert store.kinds() == ["countries", "borders", "posts", "settlements", "population"]
    assert set(store.ids("posts")) == set(posts["post_id"])
    assert not store.ids("crossings") and not store.ids("flows")  # no demo layer came in


def test_every_post_serves_its_own_border_and_every_g5_border_has_its_posts(g5_project):
    """The real road network crosses four of the five borders between G5 countries (none crosses
    Niger–Chad): each of them has its posts, and every post serves the border its road crosses."""
    store, posts = g5_project
    stored = store.read("posts")
    served = served_borders(stored, store.read("borders")).set_axis(stored["post_id"])
    expected = posts.set_index("post_id")["border"]
    assert served.to_dict() == expected.to_dict()
    g5_pairs = {pair for pair in expected if set(pair.split("-")) <= G5}
    assert g5_pairs == {"BFA-MLI", "BFA-NER", "MLI-MRT", "MLI-NER"}
    assert g5_pairs <= set(served)


def test_the_ranking_is_exactly_the_imported_posts(g5_project, tmp_path):
    store, posts = g5_project
    out = tmp_path / "ranking.csv"
    run("score", "--store", str(store.path), "--out", str(out), "--reference-date", "2026-11-30")
    ranking = pd.read_csv(out, encoding="utf-8-sig")
    assert sorted(ranking["post_id"]) == sorted(posts["post_id"])
    demo_ids = set(gpd.read_file(demo_dir() / DEMO_GPKG, layer="posts")["post_id"])
    assert not demo_ids & set(ranking["post_id"])
    shortlist = tmp_path / "shortlist.csv"
    run("shortlist", "--store", str(store.path), "--budget", "3000000", "--out", str(shortlist),
        "--reference-date", "2026-11-30")
    chosen = pd.read_csv(shortlist, encoding="utf-8-sig")
    assert set(chosen["post_id"]) <= set(posts["post_id"])
    assert chosen["rehab_cost_usd"].sum() <= 3_000_000

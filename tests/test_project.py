"""A project from the command line: ``bordermap init`` (empty or the demo, never over an existing
store), the project settings (``bordermap project show|set``), clearing a layer with consent, and
what is derived from the store (countries, name, map view) when the user sets nothing."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from conftest import plain, sha256_of

from mapping.cli import main
from mapping.layers.gpkg_store import VERSIONS_TABLE, GeoPackageStore
from mapping.maps import base_map
from mapping.project import (
    DEFAULT_BUDGET,
    ProjectSettings,
    derived_countries,
    load_project,
    load_settings,
    project_of,
    view_bounds,
)

POSTS_CSV = ("post_id;name;iso3;status;lat;lon;rehab_cost_usd\n"
             "NE-01;Makalondi;NER;operational;12,83;1,68;200000\n"
             "BF-01;Kantchari;BFA;degraded;12,47;1,52;350000\n"
             "NE-02;Téra;NER;closed;14,01;0,75;\n")


def cli(store: Path, *args: str, lang: str = "en", named: bool = True):
    """``bordermap ARGS --store STORE --lang LANG``: no traceback reaches the user."""
    result = CliRunner().invoke(main, [*args, *(["--store", str(store)] if named else []), "--lang", lang])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def empty(tmp_path) -> Path:
    store = tmp_path / "g5" / "projet.gpkg"
    result = cli(store, "init", "--from", "empty", "--name", "Frontières G5")
    assert result.exit_code == 0, result.output
    return store


def posts_file(tmp_path: Path) -> Path:
    path = tmp_path / "postes.csv"
    path.write_text(POSTS_CSV, encoding="utf-8")
    return path


def test_init_empty_makes_a_store_without_layers_with_its_settings(empty):
    store = GeoPackageStore(empty)
    assert store.kinds() == [] and store.history() == []
    assert load_settings(store) == ProjectSettings(name="Frontières G5")
    with closing(sqlite3.connect(empty)) as db:  # a GeoPackage with the versions table
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"gpkg_contents", VERSIONS_TABLE} <= tables


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_empty_project_has_nothing_to_rank_and_says_what_to_import(empty, lang):
    listed = cli(empty, "layers", "list", lang=lang)
    assert listed.exit_code == 0 and "layers import" in listed.output
    scored = cli(empty, "score", lang=lang)
    assert scored.exit_code == 1
    assert plain(scored.output).strip() == {"en": "The store has no border posts layer yet.",
                                            "fr": "La base n’a pas encore de couche postes frontières."}[lang]


def test_an_empty_project_ranks_exactly_the_posts_imported(empty, tmp_path, demo_store_folder):
    imported = cli(empty, "layers", "import", str(posts_file(tmp_path)), "--kind", "posts",
                   "--user", "A. Diallo")
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "ranking.csv"
    scored = cli(empty, "score", "--out", str(out))
    assert scored.exit_code == 0, scored.output
    ranking = out.read_text(encoding="utf-8")
    demo_ids = GeoPackageStore(demo_store_folder / "store.gpkg").ids("posts")
    assert not any(post in ranking or post in scored.output for post in demo_ids)
    assert all(name in scored.output for name in ("Makalondi", "Kantchari"))
    assert GeoPackageStore(empty).kinds() == ["posts"]  # no demo layer ever came in
    shown = json.loads(cli(empty, "project", "show", "--format", "json").output)
    assert shown["countries"] == ["BFA", "NER"] and "countries" in shown["derived"]


def test_init_from_the_demo_gives_the_demo_layers(tmp_path, demo_store_folder):
    store = tmp_path / "demo.gpkg"
    result = cli(store, "init", "--from", "demo", lang="fr")
    assert result.exit_code == 0, result.output
    demo = GeoPackageStore(demo_store_folder / "store.gpkg")
    made = GeoPackageStore(store)
    assert made.kinds() == demo.kinds()
    for kind in ("posts", "crossings", "countries"):
        assert made.ids(kind) == demo.ids(kind)
    assert load_settings(made) == ProjectSettings()


@pytest.mark.parametrize("start", ["empty", "demo"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_init_never_overwrites_an_existing_store(store_copy, start, lang):
    before = sha256_of(store_copy)
    result = cli(store_copy, "init", "--from", start, lang=lang)
    assert result.exit_code == 1
    said = {"en": "There is already a file at", "fr": "Il existe déjà un fichier"}[lang]
    assert said in plain(result.output)
    assert sha256_of(store_copy) == before


def test_init_does_not_replace_a_file_that_is_not_a_store(tmp_path):
    other = tmp_path / "notes.gpkg"
    other.write_text("my notes", encoding="utf-8")
    assert cli(other, "init").exit_code == 1
    assert other.read_text(encoding="utf-8") == "my notes"


def test_a_store_named_that_does_not_exist_is_not_made_from_the_demo(tmp_path):
    missing = tmp_path / "nouveau.gpkg"
    importing = ("layers", "import", str(posts_file(tmp_path)), "--kind", "posts")
    for args in (("layers", "list"), ("score",), importing):
        result = cli(missing, *args, lang="fr")
        assert result.exit_code == 2 and "bordermap init" in result.output, result.output
    assert not missing.exists()


def test_clearing_a_layer_needs_consent_is_a_version_and_is_undone_by_a_rollback(store_copy):
    store = GeoPackageStore(store_copy)
    crossings = store.ids("crossings")
    before = sha256_of(store_copy)
    refused = cli(store_copy, "layers", "clear", "crossings")
    assert refused.exit_code == 1 and f"all {len(crossings)} features" in refused.output
    assert sha256_of(store_copy) == before
    done = cli(store_copy, "layers", "clear", "crossings", "--yes", "--user", "A. Diallo", lang="fr")
    assert done.exit_code == 0, done.output
    last = store.history()[-1]
    assert (last.action, last.kind, last.features, set(last.removed)) == ("clear", "crossings", 0, crossings)
    assert "crossings" not in store.kinds() and store.read("crossings") is None
    assert "vidage" in cli(store_copy, "layers", "history", "--kind", "crossings", lang="fr").output
    again = cli(store_copy, "layers", "clear", "crossings", "--yes")
    assert again.exit_code == 1 and "nothing to clear" in again.output
    back = cli(store_copy, "layers", "rollback", str(store.history("crossings")[-2].version))
    assert back.exit_code == 0, back.output
    assert store.ids("crossings") == crossings


def test_the_population_raster_is_not_cleared(store_copy):
    before = sha256_of(store_copy)
    result = cli(store_copy, "layers", "clear", "population", "--yes", lang="fr")
    assert result.exit_code == 1 and "raster" in result.output
    assert sha256_of(store_copy) == before


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_project_set_and_show_round_trip(store_copy, lang):
    shown = cli(store_copy, "project", "show", lang=lang).output
    assert {"en": "Default budget: USD 3,000,000 (from the store)",
            "fr": "Budget par défaut : 3 000 000 USD (d’après la base)"}[lang] in plain(shown)
    result = cli(store_copy, "project", "set", "--name", "Atelier de Niamey", "--budget", "2 500 000",
                 "--countries", "mrt, mli", "--note-country", "MLI", lang=lang)
    assert result.exit_code == 0, result.output
    found = json.loads(cli(store_copy, "project", "show", "--format", "json", lang=lang).output)
    assert (found["name"], found["countries"], found["budget"], found["note_country"], found["derived"]) == \
        ("Atelier de Niamey", ["MRT", "MLI"], 2_500_000, "MLI", [])
    text = plain(cli(store_copy, "project", "show", lang=lang).output)
    assert {"en": "Project: Atelier de Niamey", "fr": "Projet : Atelier de Niamey"}[lang] in text
    assert {"en": "Countries: MRT (Mauritania), MLI (Mali)",
            "fr": "Pays : MRT (Mauritanie), MLI (Mali)"}[lang] in text
    reset = cli(store_copy, "project", "set", "--reset", "budget", "--reset", "name", lang=lang)
    assert reset.exit_code == 0
    found = json.loads(cli(store_copy, "project", "show", "--format", "json", lang=lang).output)
    assert found["budget"] == DEFAULT_BUDGET and "budget" in found["derived"]
    named = {"en": "Mauritania–Mali", "fr": "Mauritanie–Mali"}[lang]  # after the countries set
    assert found["name"] == load_project(GeoPackageStore(store_copy)).name(lang) == named


@pytest.mark.parametrize("args", [("--countries", "XYZ"), ("--countries", "MR"), ("--name", "  "),
                                  ("--note-country", "FRA"), ()])
def test_a_refused_setting_changes_nothing(store_copy, args):
    cli(store_copy, "project", "set", "--name", "Premier nom")
    before = load_settings(GeoPackageStore(store_copy))
    result = cli(store_copy, "project", "set", *args, lang="fr")
    assert result.exit_code == 1, result.output
    assert load_settings(GeoPackageStore(store_copy)) == before


def test_the_defaults_come_from_the_store(store_copy):
    store = GeoPackageStore(store_copy)
    layers = {kind: store.read(kind) for kind in ("countries", "borders", "posts")}
    project = project_of(ProjectSettings(), layers)
    assert project.countries == tuple(sorted(set(layers["posts"]["iso3"])))
    assert project.note_country == project.countries[0]
    assert project.budget == DEFAULT_BUDGET
    # without posts: the G5 countries of the countries layer, west to east
    no_posts = derived_countries({"countries": layers["countries"], "posts": None})
    g5 = layers["countries"].loc[layers["countries"]["is_g5"].astype(bool), "iso3"]
    assert set(no_posts) == set(g5) and no_posts[0] == "MRT"


def test_a_project_without_a_name_is_named_after_its_countries():
    countries = gpd.GeoDataFrame({"iso3": ["MRT", "MLI", "NER", "BFA", "TCD"],
                                  "name_en": ["Mauritania", "Mali", "Niger", "Burkina Faso", "Chad"],
                                  "name_fr": ["Mauritanie", "Mali", "Niger", "Burkina Faso", "Tchad"]},
                                 geometry=[shapely.box(i, 10, i + 1, 11) for i in range(5)], crs="EPSG:4326")
    named = {codes: project_of(ProjectSettings(countries=codes), {"countries": countries})
             for codes in (("MRT", "MLI"), ("MRT", "MLI", "NER", "BFA", "TCD"), ("MRT", "MLI", "NER", "BFA"))}
    assert named["MRT", "MLI"].name("fr") == "Mauritanie–Mali"
    assert named["MRT", "MLI", "NER", "BFA", "TCD"].name("en") == "G5 Sahel"
    assert named["MRT", "MLI", "NER", "BFA"].name("fr") == "4 pays"
    assert project_of(ProjectSettings(), {}).name("fr") == "Nouveau projet"
    assert project_of(ProjectSettings(name="Mon projet"), {"countries": countries}).name("en") == "Mon projet"


def test_the_map_opens_on_the_posts_else_the_project_borders(store_copy):
    store = GeoPackageStore(store_copy)
    layers = {kind: store.read(kind) for kind in ("countries", "borders", "posts")}
    west, south, east, north = view_bounds(layers, ("MRT", "MLI"))
    posts = layers["posts"].geometry
    expected = (posts.x.min(), posts.y.min(), posts.x.max(), posts.y.max())
    assert expected == pytest.approx((west, south, east, north))
    # without posts: the borders of the project's countries
    niger = view_bounds({**layers, "posts": None}, ("NER",))
    if "NER" in set(layers["borders"]["iso3_a"]) | set(layers["borders"]["iso3_b"]):
        borders = layers["borders"]
        shown = borders[(borders["iso3_a"] == "NER") | (borders["iso3_b"] == "NER")]
        assert niger == pytest.approx(tuple(shown.total_bounds))
    assert view_bounds({}, ()) is None


def test_the_base_map_fits_the_view_it_is_given():
    posts = gpd.GeoDataFrame({"post_id": ["A"]}, geometry=[shapely.Point(1.5, 12.5)], crs="EPSG:4326")
    html = base_map({"posts": posts}, "en", view=(1.0, 12.0, 2.0, 13.0)).get_root().render()
    assert "fitBounds" in html and "[[12.0, 1.0], [13.0, 2.0]]" in html
    assert "15.5" not in html.split("fitBounds")[0].split("L.map(")[-1]  # no fixed Mauritania–Mali centre

"""`bordermap access` and `bordermap surge` on the demo store, as GIS staff and a workshop run
them: tables in both languages, files that GDAL opens, people conserved, scenarios saved and
run again, and clear refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import plain

from mapping.access.saved import saved_surges
from mapping.access.surge import column_labels
from mapping.accounts.accounts import add_account, has_accounts
from mapping.accounts.roles import Role
from mapping.cli import main
from mapping.cli.common import operator
from mapping.i18n import t
from mapping.layers.gpkg_store import GeoPackageStore

# the default travel settings: the session's demo store already holds their surfaces
PROFILE = """
method = "wsum"
[access]
minutes = [60, 120]
[[criteria]]
indicator = "pop_60min_foot"
weight = 1
"""
LERE = "-4.91,15.71"  # Léré (Mali), 40 km from the Mauritanian border: an origin of displacement


@pytest.fixture(scope="module")
def setup(tmp_path_factory, demo_travel_folder) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("access")
    shutil.copytree(demo_travel_folder, folder / "store")
    profile = folder / "travel.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    return folder / "store" / "store.gpkg", profile


def run(store: Path, *args: object):
    result = CliRunner().invoke(main, [str(a) for a in args], env={"BORDERMAP_STORE": str(store)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def logged(store: Path, out: Path) -> list[tuple]:
    """The audit log's records of the file ``out``: (user, command, precision, layers)."""
    records = json.loads(run(store, "audit", "list", "--format", "json").output)
    return [(r["user"], r["what"], r["precision"], r["layers"]) for r in records if r["file"] == out.name]


def accounts(store: Path, **roles: Role) -> None:
    """Accounts of ``roles`` by name (after an administrator: a store's first account is one)."""
    opened = GeoPackageStore(store)
    if not has_accounts(opened):
        add_account(opened, "admin", Role.ADMIN, "mot-de-passe-1", "test")
    for name, role in roles.items():
        add_account(opened, name, role, "mot-de-passe-1", "test")


def test_access_prints_each_post_and_writes_the_three_formats(setup, tmp_path):
    store, profile = setup
    gpkg, tif, csv = tmp_path / "catchments.gpkg", tmp_path / "times.tif", tmp_path / "table.csv"
    result = run(store, "access", "--mode", "foot", "--minutes", "60,120", "--profile", profile,
                 "--out", gpkg, "--full-precision")
    assert result.exit_code == 0, result.output
    assert "Bassikounou (MRT)" in result.output
    assert t("indicators.pop_time", "en", minutes=60.0, mode=t("access.mode.foot", "en")) in result.output
    info = subprocess.run(["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True,
                          check=True).stdout
    for layer in ("access_posts", "isochrones", "quickest_areas"):
        assert f"Layer name: {layer}" in info
    assert "Feature Count: 53" in info  # one point per placed post
    assert run(store, "access", "--profile", profile, "--out", tif, "--full-precision").exit_code == 0
    gdal = subprocess.run(["gdalinfo", str(tif)], capture_output=True, text=True, check=True).stdout
    assert "minutes to the quickest post" in gdal and "POST_IDS" in gdal
    assert run(store, "access", "--profile", profile, "--out", csv, "--lang", "fr").exit_code == 0
    table = pd.read_csv(csv, sep=";", encoding="utf-8-sig")
    assert {"pop_60min_foot", "pop_120min_foot", "quickest_pop_foot", "town_min_foot"} <= set(table.columns)
    (areas,) = logged(store, gpkg)  # drawn from every layer of the travel surface, restricted ones in full
    assert areas[1:3] == ("access", "full") and areas[3]["crossings"] == "full"
    assert logged(store, csv)[0][1:] == ("access", "public", {})  # people per post: no sensitive layer


def test_travel_areas_are_refused_to_whoever_may_not_see_them_in_full(setup, tmp_path):
    """Isochrones and rasters show where unofficial crossings let people over rivers: refused
    before any work unless written in full by someone cleared for it, in the user's language."""
    store, profile = setup
    accounts(store, moussa=Role.MANAGER, awa=Role.DELEGATE)
    areas = tmp_path / "areas.gpkg"
    for lang, words in (("en", "areas.gpkg was not written"), ("fr", "areas.gpkg n’a pas été écrit")):
        refused = run(store, "access", "--profile", profile, "--out", areas, "--lang", lang)
        assert refused.exit_code == 1 and words in plain(refused.output), refused.output
        assert "--full-precision" in refused.output
    refused = run(store, "access", "--out", tmp_path / "times.tif", "--as-user", "moussa", "--full-precision")
    assert refused.exit_code == 1 and "not cleared" in refused.output
    refused = run(store, "access", "--out", tmp_path / "table.csv", "--as-user", "awa", "--lang", "fr")
    assert refused.exit_code == 1 and "Action non permise à awa" in plain(refused.output)
    assert list(tmp_path.iterdir()) == [] and logged(store, areas) == []


def test_access_in_french_and_a_faster_mode_reaches_at_least_as_many(setup):
    store, profile = setup
    result = run(store, "access", "--mode", "foot", "--profile", profile, "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert plain(t("indicators.pop_time", "fr", minutes=60.0, mode=t("access.mode.foot", "fr"))) in \
        plain(result.output)
    assert "habitants" in result.output or "personnes" in result.output

    def people(mode: str) -> pd.Series:
        out = Path(store).parent / f"{mode}.csv"
        assert run(store, "access", "--mode", mode, "--profile", profile, "--out", out).exit_code == 0
        return pd.read_csv(out, encoding="utf-8-sig").set_index("post_id")[f"pop_60min_{mode}"]

    foot, vehicle = people("foot"), people("vehicle")
    assert (vehicle >= foot - 1e-6).all()  # every vehicle speed is at least the walking speed
    assert (vehicle > foot).any()


def test_access_refuses_bad_times_and_formats_in_the_users_language(setup, tmp_path):
    store, profile = setup
    result = run(store, "access", "--minutes", "60,abc", "--lang", "fr")
    assert result.exit_code == 1
    assert "60,abc" in result.output and "minutes" in result.output
    result = run(store, "access", "--profile", profile, "--out", tmp_path / "x.shp", "--lang", "fr")
    assert result.exit_code == 1
    assert plain(t("errors.access_format", "fr", suffix=".shp", allowed=".gpkg, .tif, .tiff, .csv, .xlsx")) \
        in plain(result.output)
    bad = tmp_path / "bad.toml"
    bad.write_text(PROFILE.replace("[access]", "[access]\ncell_m = -5"), encoding="utf-8")
    result = run(store, "score", "--profile", bad, "--lang", "fr")
    assert result.exit_code == 1
    assert "cell_m" in result.output and "-5" in result.output


def test_surge_conserves_people_and_respects_capacity(setup, tmp_path):
    store, profile = setup
    out = tmp_path / "surge.csv"
    result = run(store, "surge", "--origin", LERE, "--radius-km", 10, "--people", 100000, "--days", 30,
                 "--profile", profile, "--out", out)
    assert result.exit_code == 0, result.output
    daily = pd.read_csv(out, encoding="utf-8-sig")
    labels = {v: k for k, v in column_labels("en").items()}
    daily = daily.rename(columns=labels)
    unreached = 0
    for line in result.output.splitlines():
        if "reach no post" in line:
            unreached = int(line.split()[0].replace(",", ""))
    assert daily["arrivals"].sum() + unreached == 100000
    posts = daily[daily["site_kind"] == "post"]
    assert (posts["processed"] <= posts["capacity_per_day"]).all()
    assert "Saturated first:" in result.output
    crossings = GeoPackageStore(store).read("crossings")
    secret = set(crossings.loc[crossings["kind"] == "unofficial", "crossing_id"].astype(str))
    hidden = daily[daily["site_kind"] == "unofficial"]
    assert len(hidden) and hidden["post_id"].str.startswith("cell-").all()  # by grid cell, not by crossing
    assert not set(daily["post_id"].astype(str)) & secret and not set(daily["name"].astype(str)) & secret
    assert logged(store, out) == [(operator(), "surge", "coarsened", {"crossings": "coarsened"})]


def test_surge_table_in_full_for_a_cleared_account_is_logged_as_theirs(setup, tmp_path):
    """GIS staff (who export GIS files and are cleared) write the crossings as they are; a
    delegate, who exports nothing, is refused before the run."""
    store, profile = setup
    accounts(store, fatou=Role.GIS, binta=Role.DELEGATE)
    refused = run(store, "surge", "--origin", LERE, "--people", 10, "--days", 1, "--out", tmp_path / "x.csv",
                  "--as-user", "binta", "--full-precision")
    assert refused.exit_code == 1 and "binta (delegate) may not export" in plain(refused.output)
    out = tmp_path / "full.xlsx"
    result = run(store, "surge", "--origin", LERE, "--people", 100000, "--days", 30, "--profile", profile,
                 "--out", out, "--as-user", "fatou", "--full-precision", "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert "Inscrit au journal des exports (pleine précision)" in plain(result.output)
    labels = {v: k for k, v in column_labels("fr").items()}
    daily = pd.read_excel(out).rename(columns=labels)
    crossings = GeoPackageStore(store).read("crossings")
    unofficial = set(crossings.loc[crossings["kind"] == "unofficial", "crossing_id"].astype(str))
    assert set(daily.loc[daily["site_kind"] == "unofficial", "post_id"].astype(str)) <= unofficial
    assert logged(store, out) == [("fatou", "surge", "full", {"crossings": "full"})]
    assert not (tmp_path / "x.csv").exists()


def test_surge_saved_scenario_runs_again_and_unknown_names_are_refused(setup):
    store, profile = setup
    first = run(store, "surge", "--origin", LERE, "--people", 5000, "--days", 10, "--name", "Léré 5000",
                "--save", "--profile", profile, "--lang", "fr")
    assert first.exit_code == 0, first.output
    saved = saved_surges(GeoPackageStore(store))
    assert saved["Léré 5000"].scenario.people == 5000
    again = run(store, "surge", "--saved", "Léré 5000", "--profile", profile, "--lang", "fr")
    assert again.exit_code == 0
    assert again.output.splitlines()[1:] == first.output.splitlines()[2:]  # same results, no "saved" line
    bigger = run(store, "surge", "--saved", "Léré 5000", "--people", 50000, "--profile", profile)
    assert bigger.exit_code == 0 and "50,000 people" in bigger.output
    missing = run(store, "surge", "--saved", "Nowhere", "--lang", "fr")
    assert missing.exit_code == 1 and "Léré 5000" in missing.output


def test_surge_origins_that_cannot_be_used_are_refused(setup, tmp_path):
    store, profile = setup
    far = run(store, "surge", "--origin", "40.0,-10.0", "--people", 10, "--days", 1, "--profile", profile,
              "--lang", "fr")
    assert far.exit_code == 1
    assert plain(t("surge.errors.origin_outside", "fr")) in plain(far.output)
    assert run(store, "surge", "--origin", "nowhere", "--people", 10).exit_code == 1
    area = tmp_path / "camp.geojson"
    ring = [[-5.0, 15.6], [-4.8, 15.6], [-4.8, 15.8], [-5.0, 15.8], [-5.0, 15.6]]
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    from_file = run(store, "surge", "--origin", area, "--people", 1000, "--days", 5, "--profile", profile)
    assert from_file.exit_code == 0, from_file.output
    assert "camp.geojson" in from_file.output


def test_expected_load_under_a_saved_scenario_is_a_criterion(setup, tmp_path):
    store, profile = setup
    assert run(store, "surge", "--origin", LERE, "--people", 20000, "--days", 20, "--name", "Léré",
               "--save", "--profile", profile).exit_code == 0
    loaded = tmp_path / "load.toml"
    loaded.write_text(PROFILE.replace("[access]", 'surge_scenario = "Léré"\n[access]')
                      .replace('indicator = "pop_60min_foot"', 'indicator = "surge_load"'), encoding="utf-8")
    out = tmp_path / "ranking.csv"
    result = run(store, "score", "--profile", loaded, "--out", out, "--top", 3)
    assert result.exit_code == 0, result.output
    ranking = pd.read_csv(out, encoding="utf-8-sig").set_index("post_id")
    expected = saved_surges(GeoPackageStore(store))["Léré"]
    assert expected.scenario.people == 20000
    load = ranking["value:surge_load"]
    assert 0 < load.sum() <= 20000  # people who go to unofficial crossings are not a post's load
    first = ranking.sort_values("rank").iloc[0]
    assert first["value:surge_load"] == load.max() > 0
    assert "people expected in the saved surge scenario" in result.output
    unnamed = tmp_path / "unnamed.toml"
    unnamed.write_text(PROFILE.replace('indicator = "pop_60min_foot"', 'indicator = "surge_load"'),
                       encoding="utf-8")
    refused = run(store, "score", "--profile", unnamed, "--lang", "fr")
    assert refused.exit_code == 1 and "surge_scenario" in refused.output

"""Data responsibility for sensitive layers: sensitivity levels, what each viewer sees of them
(coarsened to the 10 km grid or withheld), exports at full precision only on request by a
cleared user, and the audit log of every export. Demo store: 293 unofficial crossings, 36 flows."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from mapping.accounts import accounts
from mapping.accounts.accounts import has_accounts
from mapping.accounts.roles import AccessError, Role, Sensitivity, Viewer, local_viewer
from mapping.cli import main
from mapping.exports.bundle import build_bundle
from mapping.exports.reproduce import read_record
from mapping.layers.store import LayerStore
from mapping.layers.user_store import open_store
from mapping.maps import prepare_map_layers
from mapping.protection.grid import CELL_KM, cells
from mapping.protection.levels import ProtectionError, layer_levels, set_level
from mapping.protection.shown import (
    COARSENED,
    COUNT,
    shown_indicators,
    shown_layer,
    shown_layers,
    shown_ranking,
)
from mapping.scoring.explain import results_table
from mapping.scoring.pipeline import rank_store
from mapping.scoring.profile import load_profile, profile_from_dict
from tests.conftest import plain, sha256_of

DELEGATE, MANAGER, GIS = (Viewer(name, role) for name, role in
                          (("awa", Role.DELEGATE), ("moussa", Role.MANAGER), ("fatou", Role.GIS)))
ADMIN = Viewer("root", Role.ADMIN)


def cli(store: Path, *args: str, lang: str = "en"):
    result = CliRunner().invoke(main, [*args, "--store", str(store), "--lang", lang])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def unofficial(store: LayerStore) -> gpd.GeoDataFrame:
    crossings = store.read("crossings")
    return crossings[crossings["kind"] == "unofficial"]


def exact_positions(layer: gpd.GeoDataFrame) -> set[tuple[float, float]]:
    """Positions to 4 decimals (~11 m): what "full precision" means in these checks."""
    return {(round(x, 4), round(y, 4)) for x, y in zip(layer.geometry.x, layer.geometry.y, strict=True)}


def assert_coarse(points: gpd.GeoSeries, secret: set[tuple[float, float]]) -> None:
    """No point is at a secret position, and every point is the centre of its grid cell."""
    points = points.set_crs("EPSG:4326", allow_override=True)
    assert not exact_positions(gpd.GeoDataFrame(geometry=points)) & secret
    _, _, centres = cells(points)
    assert np.allclose(points.x, centres.x, atol=1e-6) and np.allclose(points.y, centres.y, atol=1e-6)


def add_account(store: Path, name: str, role: str) -> None:
    """An account of ``role`` (after an administrator, since a store's first account is one)."""
    opened = open_store(store)
    if not has_accounts(opened):
        accounts.add_account(opened, "admin", Role.ADMIN, "mot-de-passe-1", "test")
    accounts.add_account(opened, name, Role.parse(role), "mot-de-passe-1", "test")


# ------------------------------------------------------------------ levels and coarsening
def test_default_levels_restrict_crossings_flows_incidents(store_copy):
    levels = layer_levels(open_store(store_copy))
    restricted = {k for k, v in levels.items() if v == Sensitivity.RESTRICTED}
    assert restricted == {"crossings", "flows", "incidents"}
    assert levels["roads"] == levels["posts"] == Sensitivity.PUBLIC


def test_delegate_sees_unofficial_crossings_on_cell_centres_and_official_as_they_are(store_copy):
    store = open_store(store_copy)
    crossings = store.read("crossings")
    secret = exact_positions(unofficial(store))
    shown = shown_layer("crossings", crossings, Sensitivity.RESTRICTED, DELEGATE)
    coarse = shown[shown[COARSENED]]
    assert_coarse(coarse.geometry, secret)
    assert coarse[COUNT].sum() == len(secret) > len(coarse)  # several crossings share a cell
    assert coarse["name"].isna().all() and set(coarse["source"].dropna()) <= set(crossings["source"])
    assert coarse["crossing_id"].str.fullmatch(r"cell--?\d+--?\d+").all()
    official = crossings[crossings["kind"] == "official"]
    assert exact_positions(shown[~shown[COARSENED]]) == exact_positions(official)
    daily = unofficial(store)["est_daily_crossings"].sum()
    assert coarse["est_daily_crossings"].sum() == pytest.approx(daily)


def test_gis_sees_restricted_in_full_admin_alone_sees_confidential(store_copy):
    store = open_store(store_copy)
    flows = store.read("flows")
    assert shown_layer("flows", flows, Sensitivity.RESTRICTED, GIS) is flows
    assert shown_layer("flows", flows, Sensitivity.CONFIDENTIAL, GIS) is None
    assert shown_layer("flows", flows, Sensitivity.CONFIDENTIAL, ADMIN) is flows
    coarse = shown_layer("flows", flows, Sensitivity.RESTRICTED, MANAGER)
    assert coarse["crossing_id"].isna().all()
    assert_coarse(coarse.geometry, exact_positions(flows))


def test_restricted_lines_are_withheld_from_those_not_cleared(store_copy):
    store = open_store(store_copy)
    levels = layer_levels(store) | {"roads": Sensitivity.RESTRICTED}
    layers = {kind: store.read(kind) for kind in ("roads", "borders")}
    assert set(shown_layers(layers, levels, DELEGATE)) == {"borders"}
    assert set(shown_layers(layers, levels, GIS)) == {"roads", "borders"}


def test_coarsened_crossings_are_labelled_so_on_the_map_in_the_viewers_language(store_copy):
    store = open_store(store_copy)
    shown = shown_layer("crossings", store.read("crossings"), Sensitivity.RESTRICTED, DELEGATE)
    rows = dict(prepare_map_layers({"crossings": shown}, "fr").crossings)
    drawn = json.loads(rows["unofficial"])
    assert all(label.startswith("Position arrondie à une maille de 10 km") for _, _, label, _ in drawn)
    secret = {(round(y, 4), round(x, 4)) for x, y in exact_positions(unofficial(store))}
    assert not {(round(lat, 4), round(lon, 4)) for lat, lon, _, _ in drawn} & secret


# ------------------------------------------------------------------ the ranking and what it says
NEAREST = """name = "nearest"
method = "wsum"

[[criteria]]
indicator = "unofficial_nearest_km"
direction = "cost"
weight = 1.0
missing = "worst"
"""


def nearest_profile():
    """A profile that ranks (and explains) by the distance to the nearest unofficial crossing."""
    return profile_from_dict(tomllib.loads(NEAREST))


def test_ranking_is_the_same_for_all_and_explained_within_whole_cells_to_delegates(store_copy):
    store = open_store(store_copy)
    table, ranking = rank_store(store, nearest_profile())
    levels = layer_levels(store)
    shown = shown_ranking(ranking, levels, DELEGATE)
    pd.testing.assert_frame_equal(shown.table[["score", "rank"]], ranking.table[["score", "rank"]])
    column = "value:unofficial_nearest_km"
    distances, exact = shown.table[column], ranking.table[column]
    assert (distances % CELL_KM == 0).all() and (distances >= exact).all()
    assert not np.allclose(distances, exact)
    explained = " ".join(results_table(shown, "en")["explanation"].dropna())
    said = [float(v) for v in re.findall(r"crossing ([\d.]+) km away", explained)]
    assert said and all(v % CELL_KM == 0 for v in said)
    assert shown_indicators(table, levels, GIS) is table


def test_indicators_from_withheld_layers_are_blanked_and_explained_as_withheld(store_copy):
    store = open_store(store_copy)
    table, ranking = rank_store(store, nearest_profile())
    levels = layer_levels(store) | {"crossings": Sensitivity.CONFIDENTIAL, "flows": Sensitivity.CONFIDENTIAL,
                                    "roads": Sensitivity.RESTRICTED}
    shown = shown_indicators(table, levels, DELEGATE)
    blanked = ["unofficial_20km", "unofficial_nearest_km", "daily_crossings", "road_km", "road_class"]
    assert table[blanked].notna().any().all() and shown[blanked].isna().all().all()
    assert set(blanked) <= set(shown.attrs["withheld"])
    pd.testing.assert_frame_equal(shown[["pop_20km", "gap_a_km"]], table[["pop_20km", "gap_a_km"]])
    explained = shown_ranking(ranking, levels, DELEGATE)
    pd.testing.assert_frame_equal(explained.table[["score", "rank"]], ranking.table[["score", "rank"]])
    for lang, word in (("fr", "non communiqué"), ("en", "withheld")):
        said = " ".join(results_table(explained, lang)["explanation"].dropna())
        assert word in said and not re.search(r"\d km", said)
    assert shown_indicators(table, levels, ADMIN) is table


# ------------------------------------------------------------------ the CLI
def test_layers_level_sets_and_lists_and_refuses_the_posts(store_copy):
    assert cli(store_copy, "layers", "level", "incidents", "confidential").exit_code == 0
    listing = json.loads(cli(store_copy, "layers", "list", "--format", "json").output)
    assert {row["kind"]: row["level"] for row in listing["layers"]}["crossings"] == "restricted"
    assert layer_levels(open_store(store_copy))["incidents"] == Sensitivity.CONFIDENTIAL
    before = sha256_of(store_copy)
    for lang, words in (("en", "always public"), ("fr", "toujours public")):
        refused = cli(store_copy, "layers", "level", "posts", "restricted", lang=lang)
        assert refused.exit_code == 1 and words in refused.output
    assert sha256_of(store_copy) == before


def test_a_delegate_may_not_set_a_level(store_copy):
    with pytest.raises(AccessError):
        set_level(open_store(store_copy), "crossings", Sensitivity.PUBLIC, DELEGATE)


def read_points(path: Path) -> gpd.GeoSeries:
    """The points of an exported layer file, whatever its format."""
    if path.suffix in (".csv", ".xlsx"):
        table = pd.read_csv(path) if path.suffix == ".csv" else pd.read_excel(path)
        rows = table[table["kind"] != "official"]
        return gpd.GeoSeries(gpd.points_from_xy(rows["X"], rows["Y"]), crs="EPSG:4326")
    layer = pyogrio.read_dataframe(path)
    return layer.geometry[(layer["kind"] != "official").to_numpy()]


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".kml", ".xlsx"])
def test_layers_export_is_coarsened_unless_asked_in_full(store_copy, tmp_path, suffix):
    secret = exact_positions(unofficial(open_store(store_copy)))
    coarse, full = tmp_path / f"coarse{suffix}", tmp_path / f"full{suffix}"
    assert cli(store_copy, "layers", "export", "crossings", "--to", str(coarse)).exit_code == 0
    assert_coarse(read_points(coarse), secret)
    written = cli(store_copy, "layers", "export", "crossings", "--to", str(full), "--full-precision")
    assert written.exit_code == 0
    assert exact_positions(gpd.GeoDataFrame(geometry=read_points(full))) == secret
    log = json.loads(cli(store_copy, "audit", "list", "--format", "json").output)
    assert [(r["file"], r["precision"], r["layers"]) for r in log] == [
        (coarse.name, "coarsened", {"crossings": "coarsened"}), (full.name, "full", {"crossings": "full"})]
    assert all(r["local"] and r["what"] == "layers export" for r in log)


def test_as_user_writes_what_the_account_may_see_and_refusals_are_bilingual(store_copy, tmp_path):
    add_account(store_copy, "fatou", "gis")
    add_account(store_copy, "moussa", "manager")
    target = tmp_path / "flows.gpkg"
    assert cli(store_copy, "layers", "export", "flows", "--to", str(target), "--as-user", "fatou",
               "--full-precision").exit_code == 0
    flows = open_store(store_copy).read("flows")
    assert exact_positions(pyogrio.read_dataframe(target)) == exact_positions(flows)
    for lang, words in (("en", "may not export the stored layers"), ("fr", "exporter les couches")):
        refused = cli(store_copy, "layers", "export", "flows", "--to", str(tmp_path / "m.gpkg"),
                      "--as-user", "moussa", lang=lang)
        assert refused.exit_code == 1 and words in refused.output
    for lang, words in (("en", "not cleared"), ("fr", "pas habilité")):
        refused = cli(store_copy, "export", "--out", str(tmp_path / "r.csv"), "--as-user", "moussa",
                      "--full-precision", lang=lang)
        assert refused.exit_code == 1 and words in refused.output
    for lang, words in (("en", "no account “nobody”"), ("fr", "pas de compte « nobody »")):
        said = cli(store_copy, "export", "--out", str(tmp_path / "r.csv"), "--as-user", "nobody", lang=lang)
        assert said.exit_code == 1 and words in plain(said.output)
    assert not (tmp_path / "m.gpkg").exists() and not (tmp_path / "r.csv").exists()
    log = json.loads(cli(store_copy, "audit", "list", "--format", "json").output)
    assert [(r["user"], r["role"], r["precision"]) for r in log] == [("fatou", "gis", "full")]


def test_audit_log_is_for_administrators_and_its_csv_runs_no_formula(store_copy, tmp_path):
    add_account(store_copy, "=HYPERLINK(\"http://x\")", "gis")
    add_account(store_copy, "moussa", "manager")
    cli(store_copy, "layers", "export", "crossings", "--to", str(tmp_path / "c.gpkg"),
        "--as-user", "=HYPERLINK(\"http://x\")")
    out = tmp_path / "audit.csv"
    assert cli(store_copy, "audit", "export", "--out", str(out)).exit_code == 0
    row = pd.read_csv(out, encoding="utf-8-sig").iloc[0]
    assert row["User"] == "'=HYPERLINK(\"http://x\")" and row["Precision"] == "coarsened"
    refused = cli(store_copy, "audit", "list", "--as-user", "moussa", lang="fr")
    assert refused.exit_code == 1 and "journal" in refused.output


# ------------------------------------------------------------------ exports of the ranking
@pytest.fixture(scope="module")
def exports(demo_store_folder, tmp_path_factory) -> dict[str, Path]:
    """The ranking exported by the CLI in every format, coarsened (default) and in full, with the
    profile that explains by the distance to the nearest unofficial crossing."""
    folder = tmp_path_factory.mktemp("exports")
    store = folder / "store.gpkg"
    subprocess.run(["cp", "-r", *map(str, demo_store_folder.iterdir()), str(folder)], check=True)
    profile = folder / "nearest.toml"
    profile.write_text(NEAREST, encoding="utf-8")
    files = {}
    for name in ("ranking.csv", "ranking.xlsx", "ranking.gpkg", "ranking.kml", "report.html", "report.pdf"):
        files[name] = folder / name
        assert cli(store, "export", "--out", str(files[name]), "--profile", str(profile)).exit_code == 0
    files["full.csv"] = folder / "full.csv"
    assert cli(store, "export", "--out", str(files["full.csv"]), "--profile", str(profile),
               "--full-precision").exit_code == 0
    files["store"] = store
    return files


def distances(path: Path) -> pd.Series:
    if path.suffix == ".csv":
        table = pd.read_csv(path, encoding="utf-8-sig")
    elif path.suffix == ".xlsx":
        table = pd.read_excel(path)
    else:
        table = pyogrio.read_dataframe(path)
    column = next(c for c in table.columns if ("unofficial" in str(c).lower() and "nearest" in str(c).lower())
                  or c == "unofficial_nearest_km")
    return pd.to_numeric(table[column], errors="coerce").dropna()


@pytest.mark.parametrize("name", ["ranking.csv", "ranking.xlsx", "ranking.gpkg"])
def test_exported_distances_to_unofficial_crossings_are_whole_cells(exports, name):
    shown = distances(exports[name])
    assert len(shown) and (shown % CELL_KM == 0).all()
    assert not (distances(exports["full.csv"]) % CELL_KM == 0).all()


def test_report_and_kml_say_distances_in_whole_cells_and_call_no_server(exports):
    texts = {"pdf": subprocess.run(["pdftotext", str(exports["report.pdf"]), "-"], capture_output=True,
                                   text=True, check=True).stdout,
             "html": exports["report.html"].read_text(encoding="utf-8"),
             "kml": exports["ranking.kml"].read_text(encoding="utf-8")}
    for kind, text in texts.items():
        found = re.findall(r"nearest unofficial crossing (\d+(?:[.,]\d+)?)\s*km", plain(text))
        said = [float(v.replace(",", ".")) for v in found]
        assert said and all(v % CELL_KM == 0 for v in said), kind
    assert not re.search(r"(src|href)=\"https?://", texts["html"])
    assert "Restricted layers are shown coarsened to a 10 km grid" in plain(texts["html"])


def test_every_export_is_in_the_record_and_the_audit_log(exports):
    record = read_record(exports["report.html"])
    assert record.precision == {"crossings": "coarsened", "flows": "coarsened"}
    assert read_record(exports["full.csv"]).precision == {"crossings": "full", "flows": "full"}
    log = json.loads(cli(exports["store"], "audit", "list", "--format", "json").output)
    assert [(r["file"], r["precision"]) for r in log][-2:] == [("report.pdf", "coarsened"),
                                                               ("full.csv", "full")]
    assert len(log) == 7


def test_a_bundle_for_a_gis_user_draws_crossings_in_full(store_copy):
    store = open_store(store_copy)
    secret = exact_positions(unofficial(store))
    full = build_bundle(store, load_profile(), "en", samples=10, travel_map=False, viewer=GIS)
    default = build_bundle(store, load_profile(), "en", samples=10, travel_map=False)
    drawn = full.layers["crossings"]
    assert exact_positions(drawn[drawn["kind"] == "unofficial"]) == secret
    coarse = default.layers["crossings"]
    assert_coarse(coarse[coarse["kind"] == "unofficial"].geometry, secret)
    pd.testing.assert_series_equal(full.ranking.table["score"], default.ranking.table["score"])
    assert local_viewer().sees_full(Sensitivity.CONFIDENTIAL)


# ------------------------------------------------------------------ online tiles
def test_online_tiles_are_off_until_the_project_enables_them(store_copy):
    from mapping.project import load_settings

    assert load_settings(open_store(store_copy)).online_tiles is False
    for lang, words in (("en", "Online background map: offered"),
                        ("fr", "Fond de carte en ligne : proposé")):
        assert words in plain(cli(store_copy, "project", "set", "--online-tiles", "on", lang=lang).output)
    assert load_settings(open_store(store_copy)).online_tiles is True


def test_score_out_rounds_distances_unless_full_precision_and_is_logged(store_copy, tmp_path):
    profile = tmp_path / "nearest.toml"
    profile.write_text(NEAREST, encoding="utf-8")
    coarse, full = tmp_path / "coarse.csv", tmp_path / "full.csv"
    assert cli(store_copy, "score", "--profile", str(profile), "--out", str(coarse)).exit_code == 0
    written = cli(store_copy, "score", "--profile", str(profile), "--out", str(full), "--full-precision")
    assert written.exit_code == 0
    column = "value:unofficial_nearest_km"
    shown = pd.read_csv(coarse, encoding="utf-8-sig")[column].dropna()
    assert len(shown) and (shown % CELL_KM == 0).all()
    assert not (pd.read_csv(full, encoding="utf-8-sig")[column].dropna() % CELL_KM == 0).all()
    log = json.loads(cli(store_copy, "audit", "list", "--format", "json").output)
    assert [(r["what"], r["precision"]) for r in log] == [("score", "coarsened"), ("score", "full")]


def test_surge_sites_show_unofficial_crossings_by_their_cell(store_copy):
    from mapping.access.routing import surge_sites
    from mapping.access.scenario import SurgeScenario
    from mapping.protection.shown import shown_sites

    store = open_store(store_copy)
    sites = surge_sites(store.read("posts"), store.read("crossings"), SurgeScenario())
    levels = layer_levels(store)
    shown = shown_sites(sites, levels, DELEGATE)
    hidden = (shown["site_kind"] == "unofficial").to_numpy()
    assert_coarse(shown.geometry[hidden], exact_positions(unofficial(store)))
    assert shown["name"][hidden].str.startswith("cell-").all()
    assert (shown["site_id"][hidden] == shown["name"][hidden]).all() and shown["site_id"].is_unique
    assert not set(shown["site_id"]) & set(unofficial(store)["crossing_id"].astype(str))
    assert hidden.sum() < (sites["site_kind"] == "unofficial").sum()  # several crossings share a cell
    posts = (sites["site_kind"] == "post").to_numpy()
    assert shown[~hidden].reset_index(drop=True).equals(sites[posts].reset_index(drop=True))
    withheld = shown_sites(sites, levels | {"crossings": Sensitivity.CONFIDENTIAL}, GIS)
    assert withheld["site_kind"].eq("post").all()
    assert shown_sites(sites, levels, GIS) is sites


def test_gis_staff_cannot_change_a_level_above_their_clearance(store_copy):
    """No one lowers the level of a layer they may not see, nor raises one out of their sight."""
    store = open_store(store_copy)
    admin, gis = Viewer("root", Role.ADMIN), Viewer("fatou", Role.GIS)
    set_level(store, "incidents", Sensitivity.CONFIDENTIAL, admin)
    for level in Sensitivity:
        with pytest.raises(ProtectionError) as refused:
            set_level(store, "incidents", level, gis)
        assert refused.value.code == "above_clearance"
    with pytest.raises(ProtectionError):
        set_level(store, "flows", Sensitivity.CONFIDENTIAL, gis)
    assert layer_levels(store)["incidents"] == Sensitivity.CONFIDENTIAL
    assert layer_levels(store)["flows"] == Sensitivity.RESTRICTED
    set_level(store, "flows", Sensitivity.PUBLIC, gis)  # within their clearance
    assert layer_levels(store)["flows"] == Sensitivity.PUBLIC


def test_surge_run_tables_name_no_crossing_and_add_people_up_per_cell(store_copy):
    from mapping.access.routing import origin_around
    from mapping.access.run import run_surge
    from mapping.access.scenario import SurgeScenario
    from mapping.protection.shown import shown_run

    store = open_store(store_copy)
    scenario = SurgeScenario(people=5_000, days=5, mode_mix={"foot": 1.0}, unofficial_share=0.5)
    run = run_surge(store, store.read, load_profile().access, scenario, origin_around(-4.91, 15.71, 10))
    levels = layer_levels(store)
    secret = set(unofficial(store)["crossing_id"].astype(str))
    shown = shown_run(run, levels, DELEGATE)
    for table in (shown.result.summary, shown.result.daily):
        assert not set(table["post_id"].astype(str)) & secret and not set(table["name"].astype(str)) & secret
    assert set(shown.result.daily["post_id"].astype(str)) == set(shown.result.summary["post_id"].astype(str))
    assert shown.result.summary["arrivals"].sum() == run.result.summary["arrivals"].sum()
    assert shown.result.daily["arrivals"].sum() == run.result.daily["arrivals"].sum()
    assert list(shown.sites["site_id"]) == list(shown.result.summary["post_id"].astype(str))
    assert all(len(m) == len(shown.sites) for m in shown.minutes.values())
    withheld = shown_run(run, levels | {"crossings": Sensitivity.CONFIDENTIAL}, GIS)
    assert withheld.result.summary["site_kind"].eq("post").all()
    assert withheld.result.daily["site_kind"].eq("post").all()


def test_notes_of_new_crossings_are_placed_as_crossings_are_shown(store_copy):
    from mapping.layers.notes import add_note, notes, notes_frame
    from mapping.protection.shown import shown_notes

    store = open_store(store_copy)
    for kind, lon, lat in (("new_crossing", 2.1234, 13.4567), ("other", 1.5, 13.0)):
        add_note(store, author="Awa", organisation="DGPN", country="NER", kind=kind, text="gué",
                 lon=lon, lat=lat)
    frame, levels = notes_frame(notes(store)), layer_levels(store)
    reported = frame["kind"] == "new_crossing"
    shown = shown_notes(frame, levels, DELEGATE)
    assert_coarse(shown.geometry[reported], {(2.1234, 13.4567)})
    assert (shown["lon"][reported] != 2.1234).all() and (shown["lat"][reported] != 13.4567).all()
    assert shown[~reported].equals(frame[~reported])
    hidden = shown_notes(frame, levels | {"crossings": Sensitivity.CONFIDENTIAL}, GIS)
    assert list(hidden["kind"]) == ["other"]
    assert shown_notes(frame, levels, GIS) is frame

"""The app as a delegate and as GIS staff (``mapping.webapp.viewer.current`` patched): the map
draws unofficial crossings on grid-cell centres for a delegate and where they are for GIS staff;
the Layers page lets GIS staff, not delegates, set a level, and shows administrators the audit
log; the export page offers full precision to cleared viewers only; no online basemap unless the
project enables it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.accounts.roles import Role, Sensitivity, Viewer
from mapping.layers.clearing import clear_layer
from mapping.layers.user_store import open_store
from mapping.project import change_settings
from mapping.protection.audit import log_export
from mapping.protection.levels import layer_levels, set_level
from mapping.webapp import data
from tests.apptest import keyed, run

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MAP, LAYERS, SHORTLIST, METHOD = (f"app_pages/{name}.py"
                                  for name in ("map_ranking", "layers", "shortlist_export", "method"))
DELEGATE, GIS, ADMIN = Viewer("awa", Role.DELEGATE), Viewer("fatou", Role.GIS), Viewer("root", Role.ADMIN)


@pytest.fixture
def store_path(store_copy, monkeypatch) -> Path:
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    return store_copy


def as_viewer(monkeypatch, viewer: Viewer) -> None:
    monkeypatch.setattr("mapping.webapp.viewer.current", lambda: viewer)


def open_app(page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=180).run()
    assert not app.exception, app.exception
    return run(app, page) if page else app


POINT_ROW = re.compile(r'\[-?\d+(?:\.\d+)?, -?\d+(?:\.\d+)?, "(?:[^"\\]|\\.)*", [\d.]+\]')


def drawn_points(store_path: Path) -> list[list]:
    """Every point the map page's base map draws (in French): [lat, lon, label, radius] rows."""
    version = open_store(store_path).history()[-1].version
    html = data.base(str(store_path), version, "fr", 0.6, None).get_root().render()
    return [json.loads(text) for text in POINT_ROW.findall(html)]


def secret_positions(store_path: Path) -> set[tuple[float, float]]:
    crossings = open_store(store_path).read("crossings")
    hidden = crossings[crossings["kind"] == "unofficial"]
    return {(round(y, 5), round(x, 5)) for x, y in zip(hidden.geometry.x, hidden.geometry.y, strict=True)}


def test_the_map_draws_coarsened_crossings_for_a_delegate_and_exact_ones_for_gis(store_path, monkeypatch):
    secret = secret_positions(store_path)
    as_viewer(monkeypatch, DELEGATE)
    delegate = drawn_points(store_path)
    coarse = [row for row in delegate if "Position arrondie à une maille de 10 km" in row[2]]
    assert sum(int(re.search(r"(\d+) élément", row[2]).group(1)) for row in coarse) == len(secret)
    assert not {(lat, lon) for lat, lon, _, _ in delegate} & secret
    as_viewer(monkeypatch, GIS)
    gis = drawn_points(store_path)
    assert secret <= {(lat, lon) for lat, lon, _, _ in gis}
    assert not any("Position arrondie" in row[2] for row in gis)


def test_map_page_tells_a_delegate_that_positions_are_coarsened(store_path, monkeypatch):
    as_viewer(monkeypatch, DELEGATE)
    app = open_app()
    assert any("arrondies à une grille de 10 km" in c.value for c in app.caption)
    assert not any(t.key == "online_tiles" for t in app.toggle)
    as_viewer(monkeypatch, GIS)
    assert not any("arrondies à une grille" in c.value for c in run(app).caption)


def test_online_tiles_toggle_only_when_the_project_enables_them(store_path, monkeypatch):
    change_settings(open_store(store_path), online_tiles=True)
    as_viewer(monkeypatch, DELEGATE)
    assert any(t.key == "online_tiles" for t in open_app().toggle)


def test_gis_staff_set_a_level_on_the_layers_page_and_a_delegate_cannot(store_path, monkeypatch):
    as_viewer(monkeypatch, GIS)
    app = open_app(LAYERS)
    keyed(app.selectbox, "level_kind").set_value("incidents")
    keyed(app.selectbox, "level_value").set_value("public")  # within their clearance (restricted)
    run(app)
    next(b for b in app.button if b.key == "level_button").click()
    run(app)
    assert layer_levels(open_store(store_path))["incidents"] == Sensitivity.PUBLIC
    assert any("niveau de sensibilité fixé" in s.value for s in app.success)
    assert not any("Journal des exports" in h.value for h in app.subheader)
    as_viewer(monkeypatch, DELEGATE)
    app = open_app()
    with pytest.raises(ValueError, match="Known pages"):  # the Layers page is not in their navigation
        app.switch_page(LAYERS)


def test_administrators_read_the_audit_log_on_the_layers_page(store_path, monkeypatch):
    log_export(open_store(store_path), GIS, "layers export", "c.gpkg", "crossings", {"crossings": "full"})
    as_viewer(monkeypatch, ADMIN)
    app = open_app(LAYERS)
    assert any("Journal des exports" in h.value for h in app.subheader)
    log = next(tb.value for tb in app.table if "Précision" in list(tb.value.columns))
    assert list(log["Utilisateur"]) == ["fatou"] and list(log["Précision"]) == ["pleine précision"]


def test_full_precision_is_offered_to_cleared_viewers_only(store_path, monkeypatch):
    as_viewer(monkeypatch, Viewer("moussa", Role.MANAGER))
    app = open_app(SHORTLIST)
    assert not [c for c in app.checkbox if c.key == "export_full_precision"]
    as_viewer(monkeypatch, ADMIN)
    assert [c for c in run(app).checkbox if c.key == "export_full_precision"]


def test_gis_staff_cannot_roll_back_a_layer_above_their_clearance(store_path, monkeypatch):
    store = open_store(store_path)
    set_level(store, "crossings", Sensitivity.CONFIDENTIAL, ADMIN)
    clear_layer(store, "crossings", "setup")  # a version to roll back from
    before = store.history()
    as_viewer(monkeypatch, GIS)
    app = open_app(LAYERS)
    keyed(app.selectbox, "rollback_version").set_value(store.history("crossings")[-2].version)
    app.button(key="rollback_button").click()
    run(app)
    assert store.history() == before
    assert any("confidentiel" in e.value for e in app.error), [e.value for e in app.error]


def test_the_method_page_counts_no_feature_of_a_layer_withheld_from_the_viewer(store_path, monkeypatch):
    store = open_store(store_path)
    set_level(store, "crossings", Sensitivity.CONFIDENTIAL, ADMIN)
    counted = f"{store.history('crossings')[-1].features}"

    def crossings_row(app: AppTest) -> dict:
        table = next(tb.value for tb in app.table if "Entités" in list(tb.value.columns))
        return table.set_index("Couche").loc["points de passage"].to_dict()

    as_viewer(monkeypatch, DELEGATE)
    app = open_app(METHOD)
    assert crossings_row(app)["Entités"] == "retirée"
    as_viewer(monkeypatch, ADMIN)
    assert crossings_row(run(app))["Entités"] == counted

"""The app on a store that does not exist yet: the first-run screen (French and English) starts
an empty project or one of the demo data; the title, the map's view and the shortlist's budget
come from the project; an empty project says what to import; a layer is cleared with consent."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.i18n import t
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.importing import import_file
from mapping.project import DEFAULT_BUDGET, change_settings, load_project
from tests.apptest import keyed as widget
from tests.apptest import run
from tests.conftest import plain

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SHORTLIST, LAYERS, METHOD = (f"app_pages/{name}.py" for name in ("shortlist_export", "layers", "method"))
POSTS_CSV = ("post_id;name;iso3;status;lat;lon;rehab_cost_usd\n"
             "NE-01;Makalondi;NER;operational;12,83;1,68;200000\n"
             "BF-01;Kantchari;BFA;degraded;12,47;1,52;350000\n")


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "projet" / "store.gpkg"
    monkeypatch.setenv("BORDERMAP_STORE", str(path))
    return path


def first_run(lang: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception, app.exception
    if lang == "en":
        app.sidebar.radio(key="lang").set_value("en")
        run(app)
    return app


def start(app: AppTest, how: str, name: str) -> AppTest:
    widget(app.radio, "first_run_start").set_value(how)
    app.text_input(key="first_run_name").set_value(name)
    app.button(key="first_run_create").click()
    return run(app)


def import_posts(store_path: Path, tmp_path: Path) -> None:
    file = tmp_path / "postes.csv"
    file.write_text(POSTS_CSV, encoding="utf-8")
    assert import_file(file, "posts", GeoPackageStore(store_path), user="test").version is not None


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_new_store_opens_on_the_first_run_screen(store_path, lang):
    app = first_run(lang)
    assert app.title[0].value == t("app.project.first_run_title", lang)
    labels = [widget(app.radio, "first_run_start").format_func(o) for o in ("empty", "demo")]
    assert labels == [t("app.project.starts.empty", lang), t("app.project.starts.demo", lang)]
    assert not store_path.exists()  # nothing is created before the user chooses


def test_an_empty_project_has_its_name_and_no_demo_layer(store_path, tmp_path):
    app = start(first_run("fr"), "empty", "Frontière Niger–Burkina")
    store = GeoPackageStore(store_path)
    assert store.kinds() == [] and store.history() == []
    assert load_project(store).settings.name == "Frontière Niger–Burkina"
    assert "Frontière Niger–Burkina" in plain(app.title[0].value)
    assert any(i.value == t("app.project.no_posts", "fr") for i in app.info)  # says what to import
    for page in (SHORTLIST, METHOD, LAYERS):  # every page works on a project without layers
        run(app, page)
    assert any(i.value == t("app.project.no_posts", "fr") for i in run(app, SHORTLIST).info)

    import_posts(store_path, tmp_path)
    run(app, "app_pages/map_ranking.py")
    assert "Frontière Niger–Burkina" in plain(app.title[0].value)
    ranked = next(tb.value for tb in app.table if "Rang" in tb.value.columns)
    assert sorted(ranked.iloc[:, 1]) == ["Kantchari", "Makalondi"]  # exactly the posts imported


def test_a_project_from_the_demo_in_english(store_path, demo_store_folder):
    app = start(first_run("en"), "demo", "")
    store = GeoPackageStore(store_path)
    demo = GeoPackageStore(demo_store_folder / "store.gpkg")
    assert store.kinds() == demo.kinds()
    assert set(store.ids("posts")) == set(demo.ids("posts"))
    assert load_project(store).name("en") in plain(app.title[0].value)
    assert "border posts" in app.title[0].value


def test_an_existing_file_is_never_replaced_by_the_first_run(store_path):
    app = first_run("fr")
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(b"")  # appeared meanwhile (another user, another tab)
    widget(app.radio, "first_run_start").set_value("demo")
    app.button(key="first_run_create").click()
    app.run()
    assert not app.exception
    assert store_path.read_bytes() == b""
    assert any("n’est pas une base bordermap" in plain(e.value) for e in app.error), app.error


def test_the_shortlist_budget_and_the_title_come_from_the_settings(store_copy, monkeypatch):
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    store = GeoPackageStore(store_copy)
    change_settings(store, name="Atelier de Niamey", budget=1_250_000)
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert "Atelier de Niamey" in app.title[0].value
    assert app.sidebar.markdown[0].value == "**Atelier de Niamey**"
    run(app, SHORTLIST)
    assert app.number_input(key="budget").value == 1_250_000


def test_the_default_budget_is_the_mauritania_mali_figure(store_copy, monkeypatch):
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    app = run(AppTest.from_file(APP, default_timeout=120), SHORTLIST)
    assert app.number_input(key="budget").value == DEFAULT_BUDGET == 3_000_000


def test_the_layers_page_changes_the_settings_and_clears_a_layer_with_consent(store_copy, monkeypatch):
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    store = GeoPackageStore(store_copy)
    app = run(AppTest.from_file(APP, default_timeout=120), LAYERS)
    app.text_input(key="project_name").set_value("Projet G5")
    app.number_input(key="project_budget").set_value(2_000_000)
    next(b for b in app.button if b.label == t("app.project.save", "fr")).click()
    run(app)
    project = load_project(store)
    assert project.settings.name == "Projet G5" and project.budget == 2_000_000
    assert project.settings.countries is None  # left empty: still those of the posts
    assert "Projet G5" in app.sidebar.markdown[0].value

    before = len(store.history())
    widget(app.selectbox, "clear_kind").set_value("crossings")
    run(app)
    button = app.button(key="clear_button")
    assert button.disabled  # no consent yet
    count = len(store.read("crossings"))
    app.checkbox(key=f"clear_consent_crossings_{count}").check()
    app.text_input(key="clear_user").set_value("A. Diallo")
    run(app)
    app.button(key="clear_button").click()
    run(app)
    last = store.history()[-1]
    assert len(store.history()) == before + 1
    assert (last.action, last.kind, last.user) == ("clear", "crossings", "A. Diallo")
    assert len(last.removed) == count
    assert store.read("crossings") is None
    assert any(t("app.project.clear_done", "fr", kind=t("kinds.crossings", "fr"), version=last.version)
               == s.value for s in app.success)

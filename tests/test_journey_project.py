"""A new user's first project in the browser: the app opens on a store that does not exist yet,
on the first-run screen (in French); the user starts an empty project with a name, imports a
small file of posts on the Layers page, finds exactly those posts on a map that opens on them,
then, in English, clears the posts layer with consent and reads the clear in the history."""

from __future__ import annotations

import pytest
from browser import Browser, app_server, browser, words

from mapping.layers.gpkg_store import GeoPackageStore
from mapping.project import load_project

PROJECT = "Frontière Niger–Burkina"
POSTS = {  # post_id: (name, lat, lon): real places on the Niger–Burkina Faso border
    "NE-01": ("Makalondi", 12.833, 1.683),
    "BF-01": ("Kantchari", 12.477, 1.517),
    "NE-02": ("Téra", 14.011, 0.753),
}
CSV = "post_id;name;iso3;status;lat;lon;rehab_cost_usd\n" + "".join(
    f"{pid};{name};{pid[:2].replace('NE', 'NER').replace('BF', 'BFA')};degraded;"
    f"{str(lat).replace('.', ',')};{str(lon).replace('.', ',')};250000\n"
    for pid, (name, lat, lon) in POSTS.items())


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    store = tmp_path_factory.mktemp("premier-projet") / "store.gpkg"
    with app_server(store) as server:
        yield server
    assert server.outside.requests == []


def post_positions(tab: Browser) -> list[tuple[float, float]]:
    """Every post drawn on the map (the circles of the posts pane), as (lat, lon)."""
    tab.map()
    frame = next(f for f in tab.page.frames if "st_folium" in f.url)
    frame.wait_for_function("""() => Object.values(window.map._layers)
        .some(l => l instanceof L.CircleMarker && l.options.pane === 'bordermapPosts')""", timeout=60_000)
    return sorted(tuple(p) for p in frame.evaluate("""() => Object.values(window.map._layers)
        .filter(l => l instanceof L.CircleMarker && l.options.pane === 'bordermapPosts')
        .map(l => [l.getLatLng().lat, l.getLatLng().lng])"""))


def map_view_holds(tab: Browser, points: list[tuple[float, float]]) -> bool:
    """Whether the map as opened shows every point (lat, lon)."""
    frame = next(f for f in tab.page.frames if "st_folium" in f.url)
    return frame.evaluate("""points => points.every(
        p => window.map.getBounds().contains(L.latLng(p[0], p[1])))""", [list(p) for p in points])


def test_a_new_user_starts_an_empty_project_imports_posts_and_clears_them(app, tmp_path):
    csv = tmp_path / "postes_niger_burkina.csv"
    csv.write_text(CSV, encoding="utf-8")
    with browser(app, "project", ready="[data-testid=stMain] h1") as tab:
        # 1. no store yet: the first-run screen, in French; nothing is created before the choice
        assert tab.shows(words("app.project.first_run_title", "fr"))
        assert tab.shows(words("app.project.starts.demo", "fr"))
        assert not app.store.exists()
        tab.shot("first-run")

        # 2. an empty project with a name: its name is the title, and the app says what to import
        tab.page.get_by_text(words("app.project.starts.empty", "fr"), exact=True).click()
        tab.settle()
        tab.page.get_by_label(words("app.project.name", "fr"), exact=True).fill(PROJECT)
        tab.page.get_by_role("button", name=words("app.project.create", "fr")).click()
        tab.page.locator("[data-testid=stSidebarNav]").wait_for(timeout=60_000)
        tab.settle()
        tab.healthy()
        store = GeoPackageStore(app.store)
        assert store.kinds() == [] and load_project(store).settings.name == PROJECT
        assert PROJECT in tab.page.locator("[data-testid=stMain] h1").first.inner_text()
        assert tab.shows(words("app.project.no_posts", "fr"))
        tab.shot("empty-project")

        # 3. a small CSV of posts on the Layers page, proposed as posts and imported
        tab.open("layers", "fr")
        tab.page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(csv))
        tab.page.wait_for_timeout(1500)
        tab.settle()
        tab.healthy()
        assert tab.shows(words("app.diff", "fr", features=3, added=3, changed=0, removed=0, unchanged=0))
        tab.panel().get_by_label(words("app.user", "fr"), exact=True).fill("A. Diallo")
        tab.panel().get_by_role("button", name=words("app.import_as.update", "fr")).click()
        tab.settle()
        tab.healthy()
        assert tab.shows(words("app.imported", "fr", version=1, kind=words("kinds.posts", "fr")))
        assert store.ids("posts") == set(POSTS) and store.kinds() == ["posts"]
        tab.shot("imported")

        # 4. the map: exactly those posts, and the map opens where they are
        tab.open("map", "fr")
        assert PROJECT in tab.page.locator("[data-testid=stMain] h1").first.inner_text()
        drawn = post_positions(tab)
        expected = sorted((lat, lon) for _, lat, lon in POSTS.values())
        assert len(drawn) == len(expected)
        assert [c for p in drawn for c in p] == pytest.approx([c for p in expected for c in p], abs=1e-4)
        assert map_view_holds(tab, expected)
        assert sorted(tab.ranking("fr")) == sorted(name for name, _, _ in POSTS.values())
        tab.shot("map-on-the-posts")

        # 5. in English: the posts layer cleared with consent, and the clear in the history
        tab.language("en")
        tab.open("layers", "en")
        tab.tab("app.history", "en")
        button = tab.panel().get_by_role("button", name=words("app.project.clear_button", "en"))
        assert button.is_disabled()
        tab.panel().get_by_label(words("app.project.clear_user", "en"), exact=True).fill("A. Diallo")
        consent = words("app.project.clear_consent", "en", count=3, kind=words("kinds.posts", "en"))
        tab.page.get_by_text(consent).click()
        tab.settle()
        assert button.is_enabled()
        button.click()
        tab.settle()
        tab.healthy()
        last = store.history()[-1]
        assert (last.version, last.action, last.kind, set(last.removed)) == (2, "clear", "posts", set(POSTS))
        assert store.read("posts") is None
        assert tab.shows(words("app.project.clear_done", "en", kind=words("kinds.posts", "en"), version=2))
        history = tab.static_table(words("app.col.changes", "en"))
        assert history[1][:3] == ["2", words("kinds.posts", "en"), words("cli.action.clear", "en")]
        tab.shot("cleared")
        assert tab.outside == []

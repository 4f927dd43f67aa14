"""End to end in headless Chromium, as delegates see the app: no internet, French first.

Starts ``streamlit run app.py`` on the demo data with a store of its own, blocks every
request to a host other than the app's, and checks that the map draws, the language
switch works, moving a weight re-ranks, and a post named like an HTML attack shows as
text. Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import shapely

from mapping.layers.importing import import_file
from mapping.layers.schema import CONDITION_SCORES
from mapping.layers.user_store import open_store

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
HOSTILE_NAME = "<img src=x onerror=\"window.__attacked=1\">`${1+1}`"

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app on the demo data, plus one post with a hostile name, served on localhost."""
    folder = tmp_path_factory.mktemp("e2e")
    store = open_store(folder / "store.gpkg")
    demo_posts = store.read("posts")
    ruined = dict.fromkeys(CONDITION_SCORES, 0.0)  # ranks it near the top, in view
    hostile = demo_posts.iloc[[0]].assign(post_id="MRT-XSS", name=HOSTILE_NAME, facing_post_id=None,
                                          crossing_id=None, geometry=[shapely.Point(-10.1, 15.8)],
                                          **ruined)
    posts = folder / "posts.gpkg"
    pd.concat([demo_posts, hostile]).to_file(posts, layer="posts")
    assert import_file(posts, "posts", store, user="e2e").committed
    port = free_port()
    env = {**os.environ, "BORDERMAP_STORE": str(store.path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture
def page(app_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        outside: list[str] = []

        def only_the_app(route):
            if route.request.url.startswith(app_url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_app)
        page.goto(app_url)
        page.wait_for_selector("text=Classement des postes", timeout=120_000)
        page.outside_requests = outside
        yield page
        browser.close()


def ranked_names(page) -> list[str]:
    """Post names in ranking order, from the table's grid cells (column 2, after the row selector
    and the rank)."""
    cells = page.locator("[data-testid='stDataFrame'] td[id^='glide-cell-2-']")
    cells.first.wait_for(state="attached", timeout=30_000)
    return cells.all_text_contents()


def attacked(page) -> bool:
    """Whether the hostile name ran its script in the page or any frame."""
    return any(frame.evaluate("window.__attacked || 0") for frame in page.frames)


def test_the_map_draws_offline_in_french_then_english(page):
    map_frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
    map_frame.locator(".leaflet-container").wait_for(timeout=60_000)
    markers = map_frame.locator("path.leaflet-interactive")
    markers.first.wait_for(timeout=60_000)
    assert markers.count() > 50  # countries, borders, roads, crossings and posts
    assert map_frame.locator(".bordermap-legend").get_by_text("postes classés en tête").count() == 1
    assert map_frame.get_by_text("points de passage non officiels").count() >= 1  # layer control
    measure = map_frame.locator("a.leaflet-control-measure-toggle")
    assert measure.get_attribute("title") == "Mesurer les distances et superficies"  # French build
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=OUTPUT / "e2e-map-fr.png", full_page=True)
    page.get_by_text("English").click()
    page.wait_for_selector("text=Ranking of the posts", timeout=60_000)
    map_frame.locator(".bordermap-legend").get_by_text("posts ranked first").wait_for(timeout=60_000)
    assert measure.get_attribute("title") == "Measure distances and areas"
    page.screenshot(path=OUTPUT / "e2e-map-en.png", full_page=True)
    assert page.outside_requests == []  # nothing was even asked of the internet
    assert not attacked(page)


def test_moving_a_weight_re_ranks(page):
    before = ranked_names(page)
    slider = page.get_by_role("slider").nth(0)  # condition need, the heaviest criterion
    slider.focus()
    for _ in range(30):
        page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(3000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                           timeout=60_000)
    after = ranked_names(page)
    assert before and after and after != before  # the visible top of the ranking changed
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=OUTPUT / "e2e-reranked.png", full_page=True)


def test_a_hostile_post_name_is_shown_as_text(page):
    assert HOSTILE_NAME in ranked_names(page)
    map_frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
    map_frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    map_frame.locator(".leaflet-control-layers").hover()  # open the layer list
    map_frame.get_by_text("points de passage non officiels").click()  # hide the clusters above posts
    shown = []
    for marker in map_frame.locator("path.leaflet-interactive").all()[-17:]:  # posts, drawn last
        marker.click(force=True)
        popup = map_frame.locator(".leaflet-popup-content")
        if popup.count():
            shown.append(popup.last.inner_text())
    assert any("<img src=x" in text for text in shown), shown  # the name, shown as text
    assert not attacked(page)

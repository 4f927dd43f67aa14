"""Driving the app in headless Chromium as its users do, with no internet.

``app_server`` starts ``streamlit run app.py`` on a store of its own, with every outside
request of the server sent to a local recorder (an HTTP proxy that answers nothing), so a
test can prove the server asked nothing of the internet. ``Browser`` opens the app in Debian's
Chromium with every request to another host blocked and recorded, and knows the few gestures a
journey needs: wait for the app to settle, switch language, open a page, read the map.
Screenshots go to ``test-output/journeys/``.

Waiting is by what the app does, not by time, so that a journey holds on a loaded machine (the
suite runs two journeys at once): ``Browser.settle`` follows the app's runs on the page's
websocket (``Runs``) and waits for every map to have drawn.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from mapping.accounts.accounts import add_account
from mapping.accounts.roles import Role
from mapping.i18n import t
from mapping.layers.user_store import open_store

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = ROOT / "test-output" / "journeys"
VIEWPORT = {"width": 1440, "height": 900}  # a workshop laptop
SETTLE_MS = 60_000
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


def plain(text: str) -> str:
    """Text with French non-breaking spaces as plain spaces, for comparisons."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def words(key: str, lang: str, **params: object) -> str:
    """A catalogue message as the page shows it (plain spaces)."""
    return plain(t(key, lang, **params))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OutsideRecorder:
    """A local HTTP proxy that records the first line of every request made through it and
    answers nothing: the server's only way out to the internet in these tests."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.requests.append(connection.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace"))
                except OSError:
                    self.requests.append("(no request line)")

    def close(self) -> None:
        self._socket.close()


@dataclass
class AppServer:
    url: str
    store: Path
    outside: OutsideRecorder


@contextmanager
def app_server(store: Path) -> Iterator[AppServer]:
    """The app on ``store``, served headless on localhost; every outside request of the server
    goes to an ``OutsideRecorder``."""
    port, outside = free_port(), OutsideRecorder()
    env = {**os.environ, "BORDERMAP_STORE": str(store), "HTTP_PROXY": outside.url, "HTTPS_PROXY": outside.url,
           "http_proxy": outside.url, "https_proxy": outside.url, "NO_PROXY": "", "no_proxy": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    try:
        yield AppServer(url, store, outside)
    finally:
        server.terminate()
        server.wait(timeout=30)
        outside.close()


@contextmanager
def demo_app(folder: Path) -> Iterator[AppServer]:
    """The app on a new store of the demo data in ``folder``; the server must ask nothing of the
    internet, ever."""
    store = open_store(folder / "store.gpkg")
    with app_server(store.path) as server:
        yield server
    assert server.outside.requests == []


@contextmanager
def accounts_app(folder: Path, admin: tuple[str, str]) -> Iterator[AppServer]:
    """The app on a new store of the demo data with one administrator account (name,
    password): everyone signs in; the server must ask nothing of the internet, ever."""
    store = open_store(folder / "store.gpkg")
    add_account(store, admin[0], Role.ADMIN, admin[1], "setup")
    with app_server(store.path) as server:
        yield server
    assert server.outside.requests == []


class Runs:
    """The app's script runs as the page's websocket carries them, in the order seen: the
    reruns the page asks for (a widget changed, a page opened, a map clicked), the runs the
    server starts and the runs it finishes (not those it stops early for a newer rerun)."""

    DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)

    def __init__(self) -> None:
        self.seen = self.asked = self.started = self.finished = 0

    def watch(self, websocket) -> None:
        websocket.on("framesent", self._sent)
        websocket.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            message = BackMsg.FromString(payload)
            if message.WhichOneof("type") == "rerun_script":
                self.seen += 1
                self.asked = self.seen

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.seen += 1
                self.started = self.seen
            elif kind == "script_finished" and message.script_finished in self.DONE:
                self.seen += 1
                self.finished = self.seen

    def idle(self) -> bool:
        """Whether a run finished after the last rerun asked for and none started since."""
        return self.finished > max(self.asked, self.started)


@dataclass
class Browser:
    """One browser tab on the app, in the journey ``name``."""

    page: object
    app: AppServer
    name: str
    outside: list[str] = field(default_factory=list)
    step: int = 0
    runs: Runs = field(default_factory=Runs)

    def settle(self) -> None:
        """Wait until the app has finished running after the last action and drawn it: the
        server finished a run asked for after the action, the page shows no running or stale
        element, and every map has drawn (``maps_drawn``)."""
        self.page.wait_for_timeout(400)  # a click's rerun request leaves the page (a map's after 250 ms)
        deadline = time.monotonic() + SETTLE_MS / 1000
        while not (self.runs.idle() and self.still() and self.maps_drawn()):
            assert time.monotonic() < deadline, (
                f"the app did not settle in {SETTLE_MS / 1000:.0f} s: runs asked/started/finished "
                f"{self.runs.asked}/{self.runs.started}/{self.runs.finished}, page still {self.still()}, "
                f"maps drawn {self.maps_drawn()}")
            self.page.wait_for_timeout(100)
        self.page.wait_for_timeout(300)

    def still(self) -> bool:
        """Whether the page shows no running app and no stale element."""
        return self.page.evaluate("() => !document.querySelector('[data-testid=stStatusWidget]')"
                                  " && !document.querySelector('[data-stale=true]')")

    def maps_drawn(self) -> bool:
        """Whether every map frame on the page holds its Leaflet map. While a streamlit-folium
        map loads its scripts it ignores what the app sends it (a new view, new layers), so an
        action taken then would be lost on the map until the next run."""
        for element in self.page.locator(MAP_FRAME).element_handles():
            frame = element.content_frame()
            try:
                if frame is None or not frame.evaluate("() => Boolean(window.map)"):
                    return False
            except playwright.Error:  # the frame is being replaced
                return False
        return True

    def shot(self, what: str, part=None) -> None:
        """A screenshot of the whole page (``part``: of that element only, e.g. a table below
        the fold), numbered in journey order."""
        self.step += 1
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{self.name}-{self.step:02d}-{what}.png"
        if part is not None:
            part.screenshot(path=path)
        else:
            self.page.screenshot(path=path, full_page=True)

    def text(self) -> str:
        return plain(self.page.locator("[data-testid=stMain]").inner_text())

    def shows(self, text: str, timeout_ms: int = 30_000) -> bool:
        """Whether the page shows ``text`` within ``timeout_ms`` (it may still be drawing)."""
        deadline = time.monotonic() + timeout_ms / 1000
        while text not in self.text():
            if time.monotonic() > deadline:
                return False
            self.page.wait_for_timeout(250)
        return True

    def healthy(self) -> None:
        """No exception on the page (a traceback would replace it)."""
        assert self.page.locator("[data-testid=stException]").count() == 0, self.text()[:2000]

    def language(self, lang: str) -> None:
        """Switch the app's language with the sidebar's radio button."""
        self.page.locator("[data-testid=stSidebar]").get_by_text(
            {"en": "English", "fr": "Français"}[lang], exact=True).click()
        self.settle()
        self.healthy()

    def open(self, page_key: str, lang: str) -> None:
        """Open one of the app's pages from the sidebar (``app.pages.<page_key>``)."""
        self.page.locator("[data-testid=stSidebarNav]").get_by_text(words(f"app.pages.{page_key}", lang),
                                                                     exact=True).click()
        self.page.locator("[data-testid=stMain] h1").first.wait_for(timeout=SETTLE_MS)
        self.settle()
        self.healthy()

    def panel(self):
        """The tab panel shown (the others stay in the page, hidden)."""
        return self.page.get_by_role("tabpanel")

    def tab(self, key: str, lang: str) -> None:
        self.page.get_by_role("tab", name=words(key, lang)).click()
        self.settle()

    def map(self, index: int = 0):
        """The frame of the ``index``-th map on the page, once Leaflet has drawn it."""
        frame = self.page.frame_locator(MAP_FRAME).nth(index)
        frame.locator(".leaflet-container").wait_for(timeout=SETTLE_MS)
        return frame

    def map_ranks(self, index: int = 0) -> dict[int, tuple[float, float]]:
        """The rank written on each post of the map and its position (lat, lon), read from Leaflet."""
        self.map(index).locator(".bordermap-rank").first.wait_for(timeout=SETTLE_MS)
        frame = next(f for f in self.page.frames if "st_folium" in f.url)
        ranks = frame.evaluate("""() => Object.values(window.map._layers)
            .filter(l => l.options && l.options.icon && l.options.icon.options.className === 'bordermap-rank')
            .map(l => [Number(l.options.icon.options.html), l.getLatLng().lat, l.getLatLng().lng])""")
        return {int(rank): (lat, lon) for rank, lat, lon in ranks}

    def map_view(self, index: int = 0, other_than: int | None = None) -> tuple[int, tuple[float, ...]]:
        """The map's zoom and what it shows (south, west, north, east in degrees), read from
        Leaflet; with ``other_than``, once its zoom is no longer that one."""
        self.map(index)
        frame = next(f for f in self.page.frames if "st_folium" in f.url)
        frame.wait_for_function("z => window.map && window.map.getZoom() !== z", arg=other_than,
                                timeout=SETTLE_MS)
        zoom, *bounds = frame.evaluate("""() => { const b = window.map.getBounds();
            return [window.map.getZoom(), b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }""")
        return int(zoom), tuple(bounds)

    def choose(self, select_box, typed: str) -> str:
        """Pick an option in a select box as a user does: type to filter the list, click the first
        option that contains ``typed``; returns the option chosen."""
        select_box.locator("input").click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(typed)  # key by key: the list opens, filtered
        option = self.page.get_by_role("option").filter(has_text=typed).first
        chosen = option.inner_text()
        option.click()
        self.settle()
        assert select_box.locator("input").input_value() == chosen
        return chosen

    def static_table(self, containing: str, within=None) -> list[list[str]]:
        """The rows (header first) of the first ``st.table`` whose text contains ``containing``
        (``within``: in that part of the page only, e.g. the ``panel`` shown)."""
        table = (within or self.page).locator("[data-testid=stTable]").filter(has_text=containing).first
        table.wait_for(timeout=SETTLE_MS)
        rows = table.evaluate("""t => Array.from(t.querySelectorAll('tr'))
            .map(r => Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim()))""")
        return [[plain(cell) for cell in row] for row in rows]

    def ranking(self, lang: str) -> list[str]:
        """The names of the posts in the ranking table, best first."""
        return [row[1] for row in self.static_table(words("app.col.explanation", lang))[1:]]


SIGN_IN_READY = "[data-testid=stForm]"  # the sign-in form: a store with accounts has loaded


def sign_in(tab: Browser, name: str, password: str, lang: str) -> None:
    form = tab.page.locator("[data-testid=stForm]")
    form.get_by_label(words("signin.name", lang), exact=True).fill(name)
    form.get_by_label(words("signin.password", lang), exact=True).fill(password)
    form.get_by_role("button", name=words("signin.submit", lang)).click()
    tab.page.locator("[data-testid=stSidebarNav]").wait_for(timeout=120_000)
    tab.settle()
    tab.healthy()


def download(tab: Browser, fmt_label: str, lang: str) -> tuple[str, bytes]:
    """Choose an export format, prepare the file and download it; its name and content."""
    chooser = tab.page.locator("[data-testid=stSelectbox]").filter(has_text=words("app.export_format", lang))
    assert tab.choose(chooser, fmt_label) == fmt_label
    tab.page.get_by_role("button", name=words("app.export_prepare", lang)).click()
    tab.settle()
    button = tab.page.locator("[data-testid=stDownloadButton] button")
    button.wait_for(timeout=120_000)
    with tab.page.expect_download() as arrived:
        button.click()
    return arrived.value.suggested_filename, open(arrived.value.path(), "rb").read()


SIDEBAR_READY = "[data-testid=stSidebar] [data-testid=stSlider]"  # the weights: the app has loaded


@contextmanager
def browser(app: AppServer, name: str, ready: str = SIDEBAR_READY) -> Iterator[Browser]:
    """A fresh Chromium tab on the app (French first) with every outside request blocked, once
    ``ready`` is on the page (a new store's first-run screen has no weights yet)."""
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
        page = context.new_page()
        tab = Browser(page, app, name)
        page.on("websocket", tab.runs.watch)

        def only_the_app(route) -> None:
            if route.request.url.startswith(app.url):
                route.continue_()
            else:
                tab.outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_app)
        page.goto(app.url)
        page.wait_for_selector(ready, timeout=120_000)
        page.wait_for_selector("[data-testid=stMain] h1", timeout=120_000)
        tab.settle()
        try:
            yield tab
        finally:
            chromium.close()

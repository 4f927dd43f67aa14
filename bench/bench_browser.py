"""Benchmark: the app as a delegate sees it, in headless Chromium, on the demo and on 1,000 posts.

    python bench/generate.py --out bench/data      # once, for the 1,000-post run
    python bench/bench_browser.py --data bench/data [--repeat 5]

Starts ``streamlit run app.py`` on a fresh store (the demo, then the generated 1,000 posts,
each store made before the server starts) and drives Debian's Chromium with Playwright, every
request outside the app blocked. Times, from the user's action to what the user sees
(``time.perf_counter`` in this process, polling the page every 5–10 ms):

- first load: from opening the address to the ranking table and the posts on the map;
- weight change → map: from moving a weight slider (``End`` / ``Home`` on the population
  slider, alternately, so that the ranking changes each time) to the map's rank numbers
  changing; → table: to the table's first post changing;
- page switch: from clicking "Shortlist & export" in the sidebar to its title, and back to the
  map page's table;
- robustness: from switching the robustness chart on to the chart drawn.

Medians of ``--repeat`` runs, each a ratio to one ``score()`` of the default profile on the
same indicator table in this process.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_app import reference_score  # noqa: E402
from generate import data_files, data_parser  # noqa: E402

from mapping.layers.gpkg_store import GeoPackageStore  # noqa: E402
from mapping.layers.user_store import DEMO_GPKG, DEMO_RASTER, open_store, seed_from_demo  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TARGETS = {"demo": {"map": 0.3, "table": 0.3, "robustness": 1.0}, "1,000 posts": {"map": 1.0, "table": 1.0}}
RANKS_JS = """() => JSON.stringify(Object.values(window.map._layers)
    .filter(l => l.options && l.options.icon && l.options.icon.options.className === 'bordermap-rank')
    .map(l => [l.options.icon.options.html, l.getLatLng().lat, l.getLatLng().lng]).sort())"""
FIRST_POST_JS = """() => {  // the name in the first row of the ranking (the table headed by the rank)
    const table = Array.from(document.querySelectorAll('[data-testid=stTable] table'))
        .find(t => ['Rang', 'Rank'].includes((t.querySelector('th') || {}).innerText));
    const cell = table && table.querySelector('tbody tr td:nth-child(2)');
    return cell ? cell.innerText : '';
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(store: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env={**os.environ, "BORDERMAP_STORE": str(store)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    return server, url


def until(page: Page, predicate: Callable[[], bool], timeout_s: float = 300) -> None:
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the page did not change in time")
        page.wait_for_timeout(10)


def map_frame(page: Page):
    return next(f for f in page.frames if "st_folium" in f.url)


def ranks(page: Page) -> str:
    try:
        return map_frame(page).evaluate(RANKS_JS)
    except Exception:  # the frame is being drawn
        return ""


def first_post(page: Page) -> str:
    return page.evaluate(FIRST_POST_JS)


def idle(page: Page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=300_000)


def measure(name: str, store: Path, repeat: int) -> dict:
    server, url = serve(store)
    result: dict = {"name": name, "change_map": [], "change_table": [], "switch": [], "back": [],
                    "robustness": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                       else route.abort())
            started = time.perf_counter()
            page.goto(url)
            until(page, lambda: bool(first_post(page)) and len(ranks(page)) > 2)
            result["first"] = time.perf_counter() - started
            idle(page)
            sliders = page.locator("[data-testid=stSidebar] [data-testid=stSlider]")
            for i in range(repeat * 2):
                key = "End" if i % 2 == 0 else "Home"  # population: most, then least important
                seen = change_weight(page, sliders.nth(2).get_by_role("slider"), key)
                result["change_map"].append(seen["map"])
                result["change_table"].append(seen["table"])
                idle(page)
            for _ in range(repeat):
                started = time.perf_counter()
                page.locator("[data-testid=stSidebarNav] a").nth(1).click()
                page.locator("[data-testid=stMain] h1").first.wait_for(timeout=300_000)
                idle(page)
                result["switch"].append(time.perf_counter() - started)
                started = time.perf_counter()
                page.locator("[data-testid=stSidebarNav] a").nth(0).click()
                until(page, lambda: bool(first_post(page)) and len(ranks(page)) > 2)
                result["back"].append(time.perf_counter() - started)
                idle(page)
            for _ in range(repeat):
                page.get_by_role("tab").nth(2).click()
                toggle = page.get_by_role("tabpanel").locator("[data-testid=stCheckbox]").first
                started = time.perf_counter()
                toggle.click()
                page.get_by_role("tabpanel").locator("[data-testid=stVegaLiteChart] canvas, "
                                                     "[data-testid=stVegaLiteChart] svg").first.wait_for(
                    timeout=300_000)
                result["robustness"].append(time.perf_counter() - started)
                idle(page)
                toggle.click()
                idle(page)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["score"], result["posts"] = reference_score(GeoPackageStore(store))
    return result


WATCH_TABLE_JS = """() => {  // note the time the ranking table's first post changes (checked every 5 ms)
    window.__tableChanged = null;
    const first = """ + FIRST_POST_JS + """;
    const before = first();
    const timer = setInterval(() => {
        const now = first();
        if (now && now !== before) { window.__tableChanged = Date.now(); clearInterval(timer); }
    }, 5);
}"""
WATCH_MAP_JS = """() => {  // note the time the posts on the map are drawn anew
    window.__mapChanged = null;
    const pane = window.map.getPane('bordermapPosts');
    const observer = new MutationObserver(() => { window.__mapChanged = Date.now(); observer.disconnect(); });
    observer.observe(pane, {childList: true});
}"""


def change_weight(page: Page, slider, key: str) -> dict[str, float]:
    """Press ``key`` on ``slider``; the seconds until the map's posts are drawn anew and the
    table's first post changes, timed in the page (observers note the moment, the benchmark
    only collects it afterwards, so that polling does not load the machine)."""
    frame = map_frame(page)
    before_map = ranks(page)
    page.evaluate(WATCH_TABLE_JS)
    frame.evaluate(WATCH_MAP_JS)
    slider.focus()
    started = page.evaluate("Date.now()")
    page.keyboard.press(key)
    page.wait_for_function("() => window.__tableChanged !== null", polling=100, timeout=300_000)
    frame.wait_for_function("() => window.__mapChanged !== null", polling=100, timeout=300_000)
    if ranks(page) == before_map:
        raise RuntimeError("the map's ranks did not change")
    return {"map": (frame.evaluate("window.__mapChanged") - started) / 1000,
            "table": (page.evaluate("window.__tableChanged") - started) / 1000}


def print_table(result: dict) -> None:
    reference, targets = result["score"], TARGETS.get(result["name"], {})
    rows = [("first load: table and posts on the map", [result["first"]], "first"),
            ("weight change → map redrawn", result["change_map"], "map"),
            ("weight change → table updated", result["change_table"], "table"),
            ("page switch: map → shortlist page", result["switch"], "switch"),
            ("page switch: back → table and map", result["back"], "back"),
            ("robustness chart switched on → drawn", result["robustness"], "robustness")]
    print(f"\n### {result['name']} ({result['posts']:,} posts)\n")
    print("| step | median s | max s | × one score pass | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| one `score()` of the default profile (reference) | {reference:.4f} | | 1 | |")
    for label, times, key in rows:
        median = statistics.median(times)
        target = f"≤ {targets[key]:g} s" + (" — met" if median <= targets[key] else " — **not met**") \
            if key in targets else ""
        print(f"| {label} | {median:.2f} | {max(times):.2f} | {median / reference:,.0f} | {target} |")
    sys.stdout.flush()


def main() -> None:
    parser = data_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    gpkg, raster = data_files(args.data)
    with tempfile.TemporaryDirectory(prefix="bench_browser_") as tmp:
        demo = Path(tmp) / "demo" / "store.gpkg"
        demo.parent.mkdir()
        open_store(demo)
        print_table(measure("demo", demo, args.repeat))
        if gpkg.exists() and raster.exists():
            source = Path(tmp) / "source"
            source.mkdir()
            (source / DEMO_GPKG).symlink_to(gpkg.resolve())
            (source / DEMO_RASTER).symlink_to(raster.resolve())
            large = Path(tmp) / "bench" / "store.gpkg"
            large.parent.mkdir()
            seed_from_demo(GeoPackageStore(large), source)
            print_table(measure("1,000 posts", large, args.repeat))
        else:
            print(f"{gpkg} or {raster} missing: `python bench/generate.py --out {args.data}` makes them")


if __name__ == "__main__":
    main()

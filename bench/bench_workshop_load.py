"""Benchmark: a workshop of simulated delegates using the app at the same time, on loopback.

    python bench/bench_workshop_load.py [--users 30] [--servers 1] [--store URL]

Makes a store from the demo data (a GeoPackage in a temporary folder, or the PostgreSQL URL of
``--store``, which must not exist yet), gives every user an account when ``--accounts`` is set,
starts ``--servers`` app servers on 127.0.0.1 on that one store and drives Debian's Chromium
with Playwright: one browser, one context (its own session) per user, all at once. Each user,
once, in French:

1. opens the app (and signs in): **open** is the time to the ranked posts on the map;
2. moves one weight slider to its end (user *i* moves slider *i* mod the number of sliders):
   **reweight** is the time until the app has finished its run;
3. switches the note mode on, clicks the map and saves a note with a text of its own: **note**
   is the time from the click on *Save* to the confirmation.

Then every user checks that its sliders still show its own weights (no session sees another's
unsaved state), and the store must hold every note, once. The same three steps by one user
alone, in the same process before the crowd, are the reference: figures are medians and 95th
percentiles in seconds and as ratios to that user alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mapping.i18n import t  # noqa: E402
from mapping.layers.notes import notes  # noqa: E402
from mapping.layers.user_store import open_store  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LANG = "fr"
TIMEOUT_MS = 600_000  # thirty sessions on two cores: a step may wait minutes for its turn
SLIDERS = "[data-testid=stSidebar] [data-testid=stSlider]"
SETTLED_JS = ("() => !document.querySelector('[data-testid=stStatusWidget]')"
              " && !document.querySelector('[data-stale=true]')")
PASSWORD = "atelier-nouakchott-2026"  # the bench's own throwaway accounts


def words(key: str, **params: object) -> str:
    """A catalogue message as the page shows it (French non-breaking spaces as plain spaces)."""
    return t(key, LANG, **params).replace("\u00a0", " ").replace("\u202f", " ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bordermap(*args: str, stdin: str | None = None) -> None:
    """Run the bordermap CLI; stop the bench with its message when it fails."""
    result = subprocess.run([str(Path(sys.executable).with_name("bordermap")), *args], input=stdin, text=True,
                            capture_output=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"bordermap {' '.join(args)}: {result.stdout}{result.stderr}")


def serve(store: str) -> tuple[subprocess.Popen, str]:
    """One app server on 127.0.0.1 on ``store``; its process and address, once healthy."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env={**os.environ, "BORDERMAP_STORE": store},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "_stcore/health", timeout=2)
            return server, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the app server on port {port} did not start")


@dataclass
class Delegate:
    """One simulated user: its number, account, server and the seconds each step took."""

    number: int
    url: str
    account: str | None
    seconds: dict[str, float] = field(default_factory=dict)
    weights: list[str] = field(default_factory=list)  # the sliders' values after its own move
    note_text: str = ""

    async def settle(self, page: Page) -> None:
        await page.wait_for_timeout(300)
        await page.wait_for_function(SETTLED_JS, timeout=TIMEOUT_MS)

    async def open(self, browser: Browser) -> Page:
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)  # thirty pages loading at once on two cores
        page = await context.new_page()
        await page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(self.url)
                         else route.abort())
        start = time.perf_counter()
        await page.goto(self.url)
        if self.account:
            await self.sign_in(page)
        ranks = page.frame_locator("iframe[title='streamlit_folium.st_folium']").locator(".bordermap-rank")
        await ranks.first.wait_for(timeout=TIMEOUT_MS)
        self.seconds["open"] = time.perf_counter() - start
        await self.settle(page)
        return page

    async def sign_in(self, page: Page) -> None:
        form = page.locator("[data-testid=stForm]")
        await form.get_by_label(words("signin.name"), exact=True).fill(self.account or "")
        await form.get_by_label(words("signin.password"), exact=True).fill(PASSWORD)
        await form.get_by_role("button", name=words("signin.submit")).click()

    async def reweight(self, page: Page) -> None:
        sliders = page.locator(SLIDERS).get_by_role("slider")
        slider = sliders.nth(self.number % await sliders.count())
        start = time.perf_counter()
        await slider.focus()
        await page.keyboard.press("End")
        await self.settle(page)
        self.seconds["reweight"] = time.perf_counter() - start
        self.weights = await self.slider_values(page)

    async def slider_values(self, page: Page) -> list[str]:
        sliders = await page.locator(SLIDERS).get_by_role("slider").all()
        return [await s.get_attribute("aria-valuenow") or "" for s in sliders]

    async def leave_note(self, page: Page) -> None:
        await page.get_by_text(words("app.map_options")).click()
        await page.get_by_text(words("app.note_mode")).click()
        await self.settle(page)
        frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
        await frame.locator(".leaflet-container").click(position={"x": 200 + 10 * (self.number % 30),
                                                                  "y": 200 + 5 * (self.number % 30)})
        form = page.locator("[data-testid=stForm]").filter(has_text=words("app.note.save"))
        await form.wait_for(timeout=TIMEOUT_MS)
        self.note_text = f"Note de charge {self.number:02d} {time.time_ns()}"
        if not self.account:  # signed in, the note's author is the account
            await form.get_by_label(words("app.note.author"), exact=True).fill(f"Délégué {self.number:02d}")
        await form.get_by_label(words("app.note.text"), exact=True).fill(self.note_text)
        start = time.perf_counter()
        await form.get_by_role("button", name=words("app.note.save")).click()
        await page.get_by_text(words("app.note.saved")).wait_for(timeout=TIMEOUT_MS)
        self.seconds["note"] = time.perf_counter() - start


async def workshop(delegates: list[Delegate]) -> list[tuple[Delegate, Page]]:
    """Every delegate's three steps at once; the pages stay open for the check that follows."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])

        async def one(delegate: Delegate) -> tuple[Delegate, Page]:
            page = await delegate.open(browser)
            await delegate.reweight(page)
            await delegate.leave_note(page)
            return delegate, page

        done = await asyncio.gather(*(one(d) for d in delegates))
        leaks = [d.number for d, page in done if await d.slider_values(page) != d.weights]
        await browser.close()
    if leaks:
        raise SystemExit(f"sessions that show another's weights: {leaks}")
    return done


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--store", help="a postgresql:// URL (default: a new GeoPackage)")
    parser.add_argument("--accounts", action="store_true", help="every user signs in to an account")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bordermap-load-"))
    store = args.store or str(folder / "store.gpkg")
    bordermap("init", "--store", store, "--from", "demo")
    names = [f"delegue{n:02d}" for n in range(args.users + 1)]
    if args.accounts:
        bordermap("users", "add", "admin", "--role", "admin", "--password-stdin", "--store", store,
                  stdin=PASSWORD + "\n")
        for name in names:  # weights and notes: a project manager's rights
            bordermap("users", "add", name, "--role", "manager", "--password-stdin", "--store", store,
                      stdin=PASSWORD + "\n")
    servers = [serve(store) for _ in range(args.servers)]
    try:
        alone = Delegate(args.users, servers[0][1], names[-1] if args.accounts else None)
        asyncio.run(workshop([alone]))
        crowd = [Delegate(n, servers[n % len(servers)][1], names[n] if args.accounts else None)
                 for n in range(args.users)]
        started = time.perf_counter()
        asyncio.run(workshop(crowd))
        wall = time.perf_counter() - started
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait(timeout=30)
    saved = [n.text for n in notes(open_store(store, seed=False))]
    missing = [d.number for d in [alone, *crowd] if saved.count(d.note_text) != 1]
    backend = "PostgreSQL" if args.store else "GeoPackage"
    print(f"{args.users} users, {args.servers} server(s), store {backend}"
          f"{', accounts' if args.accounts else ''}: {wall:.1f} s in all; notes saved {len(saved)}, "
          f"lost or doubled: {missing or 'none'}")
    print("| step | alone (s) | median (s) | p95 (s) | median / alone | p95 / alone |")
    print("|---|---:|---:|---:|---:|---:|")
    for step in ("open", "reweight", "note"):
        times = [d.seconds[step] for d in crowd]
        median, p95, reference = statistics.median(times), percentile(times, 0.95), alone.seconds[step]
        print(f"| {step} | {reference:.2f} | {median:.2f} | {p95:.2f} | {median / reference:.1f} | "
              f"{p95 / reference:.1f} |")
    if missing:
        raise SystemExit("notes were lost")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

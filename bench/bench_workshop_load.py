"""Benchmark: a workshop of simulated delegates using the app at the same time, on loopback.

    python bench/bench_workshop_load.py [--users 30] [--servers 1] [--store URL] [--accounts]

Makes a store from the demo data (a GeoPackage in a temporary folder, or the PostgreSQL URL of
``--store``, which must not exist yet), gives every user an account when ``--accounts`` is set,
starts ``--servers`` app servers on 127.0.0.1 on that one store, and opens one session per user,
all at once, each on server *i* mod ``--servers``. A session is what a delegate's browser says to
the server over Streamlit's websocket (``bench/streamlit_session.py``), without drawing the page:
in a workshop the thirty browsers draw on thirty laptops, not on the server's two cores, so page
times here are the server's part (the run and the transfer of its elements). Each user, once, in
French:

1. opens the app (and signs in): **open** is the time until the map page with its ranked posts
   has been sent;
2. moves one weight slider (user *i* moves slider *i* mod the number of sliders):
   **reweight** is the time until the app has finished its run
   (each user its own value, 100 − *i*, so that every session's weights and scores are its own);
3. switches the note mode on, clicks the map and saves a note with a text of its own: **note**
   is the time from *Save* to the page with the confirmation.

Then every session runs its page again and must show the weights and ranking it had after its
own move (no session sees another's unsaved state), and the store must hold every note, once.
The same three steps by one user alone, in the same process before the crowd, are the
reference: figures are medians and 95th percentiles in seconds and as ratios to that user alone.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit_session import (  # noqa: E402  (this script's folder)
    Placed,
    Session,
    clicked,
    component_value,
    slid,
    text,
    toggled,
)

from mapping.i18n import t  # noqa: E402
from mapping.layers.notes import notes  # noqa: E402
from mapping.layers.user_store import open_store  # noqa: E402

LANG = "fr"
RANK_MARK = "bordermap-rank"  # the class of a ranked post's label on the map
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
    seen: str = ""  # its weights and ranking as the server drew them after its own move
    note_text: str = ""

    async def open(self) -> Session:
        session = Session(self.url)
        start = time.perf_counter()
        await session.open()
        if self.account:
            await session.run(text(session.one("text_input", words("signin.name")), self.account),
                              text(session.one("text_input", words("signin.password")), PASSWORD),
                              clicked(session.one("button", words("signin.submit"))))
        self.seconds["open"] = time.perf_counter() - start
        if RANK_MARK not in session.one("component_instance").widget.json_args:
            raise SystemExit(f"user {self.number}: the map shows no ranked post")
        return session

    async def reweight(self, session: Session) -> None:
        """Move one weight slider (user *i* moves slider *i* mod their number to 100 − *i*):
        every user's weights, and so its ranking's scores, are its own."""
        sliders = weight_sliders(session)
        move = slid(sliders[self.number % len(sliders)], 100 - self.number)
        self.seconds["reweight"] = await session.run(move)
        self.seen = ranking_seen(session)

    async def leave_note(self, session: Session) -> None:
        await session.run(toggled(session.one("checkbox", words("app.note_mode"))))
        where = {"lat": 15.2 + 0.01 * self.number, "lng": -8.5 + 0.02 * self.number}
        await session.run(component_value(session.one("component_instance"), {"last_clicked": where}))
        self.note_text = f"Note de charge {self.number:02d} {time.time_ns()}"
        typed = [text(session.one("text_area", words("app.note.text")), self.note_text)]
        if not self.account:  # signed in, the note's author is the account
            author = session.one("text_input", words("app.note.author"))
            typed.append(text(author, f"Délégué {self.number:02d}"))
        save = clicked(session.one("button", words("app.note.save")))
        self.seconds["note"] = await session.run(*typed, save)
        if words("app.note.saved") not in session.texts():
            raise SystemExit(f"user {self.number}: the note was not confirmed")


def weight_sliders(session: Session) -> list[Placed]:
    return [s for s in session.find("slider", sidebar=True) if "weight_" in s.widget.id]


def ranking_seen(session: Session) -> str:
    """The session's weights (the sliders' labels say them) and its ranking table with its
    scores, as the server drew them for this session."""
    labels = [s.widget.label for s in weight_sliders(session)]
    tables = [p.element.SerializeToString().hex() for p in session.find("table")]
    return hashlib.sha256(json.dumps([labels, tables]).encode()).hexdigest()


async def workshop(delegates: list[Delegate]) -> None:
    """Every delegate's three steps at once, then each runs its page again: it must show the
    weights and ranking it had after its own move, whatever the others did meanwhile."""

    async def one(delegate: Delegate) -> tuple[Delegate, Session]:
        session = await delegate.open()
        await delegate.reweight(session)
        await delegate.leave_note(session)
        return delegate, session

    done = await asyncio.gather(*(one(d) for d in delegates))
    leaks = []
    for delegate, session in done:
        await session.run()
        if ranking_seen(session) != delegate.seen:
            leaks.append(delegate.number)
        await session.close()
    if leaks:
        raise SystemExit(f"sessions that show another's weights: {leaks}")


def peak_memory_mb(pid: int) -> float:
    """The most memory (resident, MB) the process ``pid`` has held (Linux: ``VmHWM``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024


async def warm(urls: list[str]) -> None:
    """Open each server's page once, so that its caches of the store's layers are filled before
    anything is timed (as after the first delegate of a workshop)."""
    for url in urls:
        session = Session(url)
        await session.open()
        await session.close()


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
        asyncio.run(warm([url for _, url in servers]))
        alone = Delegate(args.users, servers[0][1], names[-1] if args.accounts else None)
        asyncio.run(workshop([alone]))
        crowd = [Delegate(n, servers[n % len(servers)][1], names[n] if args.accounts else None)
                 for n in range(args.users)]
        started = time.perf_counter()
        asyncio.run(workshop(crowd))
        wall = time.perf_counter() - started
        peaks = [peak_memory_mb(server.pid) for server, _ in servers]
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
    distinct = len({d.seen for d in [alone, *crowd]})
    print(f"peak memory of each server: {', '.join(f'{mb:.0f} MB' for mb in peaks)}")
    print(f"distinct weights and rankings among the sessions: {distinct} of {len(crowd) + 1}")
    print("| step | alone (s) | median (s) | p95 (s) | median / alone | p95 / alone |")
    print("|---|---:|---:|---:|---:|---:|")
    for step in ("open", "reweight", "note"):
        times = [d.seconds[step] for d in crowd]
        median, p95, reference = statistics.median(times), percentile(times, 0.95), alone.seconds[step]
        print(f"| {step} | {reference:.2f} | {median:.2f} | {p95:.2f} | {median / reference:.1f} | "
              f"{p95 / reference:.1f} |")
    if missing:
        raise SystemExit("notes were lost")
    if distinct != len(crowd) + 1:  # each its own weights: two alike would hide a leak between them
        raise SystemExit("sessions drew the same weights and ranking")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""A throwaway PostgreSQL cluster with PostGIS for the PostGIS store's tests: started once per
test session on a Unix socket in a temporary folder (no TCP port), one new database per test.

initdb refuses to run as root (as CI runs): the cluster then runs as the ``postgres`` system
user, in a folder it owns. Without the server binaries or PostGIS, the tests that need it are
skipped, saying what to install (they fail instead when ``BORDERMAP_REQUIRE_POSTGIS`` is set,
as ``.ci/run`` does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from mapping.layers import postgis_pool

INSTALL = "apt-get install postgresql postgresql-15-postgis-3"


def server_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else the newest Debian cluster version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # Debian links it from /usr/lib/postgresql/<v>/bin
    folders = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return next((f for f in reversed(folders) if (f / "initdb").exists()), None)


def has_postgis(binaries: Path) -> bool:
    version = binaries.parent.name
    return any(Path(f"/usr/share/postgresql/{version}/extension").glob("postgis.control"))


def _run(command: list[str], as_postgres: bool) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)


@dataclass(frozen=True)
class Cluster:
    """The test cluster: its connection URL (database ``postgres``), and how to stop and start
    its server (the data stay)."""

    url: str
    binaries: Path
    folder: Path
    as_postgres: bool

    def start(self) -> None:
        _run([str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
              "-w", "-o", f"-k {self.folder} -c listen_addresses='' -c fsync=off -c max_connections=60",
              "start"], self.as_postgres)

    def stop(self) -> None:
        _run([str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
             self.as_postgres)


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[Cluster]:
    """The cluster, running (PostGIS in the ``template_postgis`` database new ones are copied
    from)."""
    binaries = server_binaries()
    if binaries is None or not has_postgis(binaries):
        missing = f"PostgreSQL server binaries or PostGIS not found ({INSTALL})"
        if os.environ.get("BORDERMAP_REQUIRE_POSTGIS"):  # CI: never skipped
            pytest.fail(missing)
        pytest.skip(missing)
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="bordermap-pg-"))
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    _run([str(binaries / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "bordermap",
          "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"], as_postgres)
    cluster = Cluster(f"postgresql://bordermap@/postgres?host={folder}", binaries, folder, as_postgres)
    cluster.start()
    try:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE template_postgis")
        template = cluster.url.replace("/postgres?", "/template_postgis?")
        with psycopg.connect(template, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield cluster
    finally:
        postgis_pool.close_all()
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgis_url(postgis_server: Cluster) -> Iterator[str]:
    """A new, empty database (with PostGIS) for one test: its URL. The pools of connections the
    test made are closed after it (the cluster allows a few dozen connections in all)."""
    name = f"store_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template_postgis")
    yield postgis_server.url.replace("/postgres?", f"/{name}?")
    postgis_pool.close_all()

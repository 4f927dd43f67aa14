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
from pathlib import Path

import psycopg
import pytest

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


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[str]:
    """The cluster's connection URL (database ``postgres``; PostGIS in the ``template_postgis``
    database new ones are copied from)."""
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
    data = folder / "data"
    _run([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "bordermap", "--no-sync",
          "-E", "UTF8", "--locale", "C.UTF-8"], as_postgres)
    _run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
          f"-k {folder} -c listen_addresses='' -c fsync=off -c max_connections=60", "start"], as_postgres)
    url = f"postgresql://bordermap@/postgres?host={folder}"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE template_postgis")
        with psycopg.connect(url.replace("/postgres?", "/template_postgis?"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield url
    finally:
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], as_postgres)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgis_url(postgis_server: str) -> str:
    """A new, empty database (with PostGIS) for one test: its URL."""
    name = f"store_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template_postgis")
    return postgis_server.replace("/postgres?", f"/{name}?")

"""A throwaway PostgreSQL server for the tests and benchmarks: a real one, on a unix socket.

`PgCluster.start()` runs Debian's PostgreSQL 15 (`initdb`, `pg_ctl`) in a fresh temporary
folder, listening only on a socket in that folder (no TCP port), and `new_database()`
hands out an empty database per test as a `postgresql://` URL. It simulates an office's
server: the superuser `pmo` logs in without a password over the socket, and the role
`officer` only with its password (SCRAM), so wrong-password handling can be tested.
initdb refuses to run as root: as root the server runs as the `postgres` OS user.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

def _server_programs() -> Path:
    """Debian's PostgreSQL server programs (the newest installed), or PMO_PG_BIN."""
    if os.environ.get("PMO_PG_BIN"):
        return Path(os.environ["PMO_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


BIN = _server_programs()
OFFICER_PASSWORD = "correct-horse-battery-staple"


def available() -> bool:
    """Whether PostgreSQL's server programs are installed here."""
    return (BIN / "initdb").exists() and (BIN / "pg_ctl").exists()


class PgCluster:
    """One server for a test session; `stop()` removes it and its folder."""

    def __init__(self, fast: bool = True):
        self.fast = fast  # tests need no crash safety; a benchmark keeps the server's defaults
        self.base = Path(tempfile.mkdtemp(prefix="pmo-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:
            # The server may not run as root: hand it the folder, run it as `postgres`.
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.base, 0o755)

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, text=True, cwd=self.base)

    def start(self) -> "PgCluster":
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", "pmo", "--auth=trust", "--no-locale",
                  "-E", "UTF8", "--no-sync")
        hba = self.data / "pg_hba.conf"
        # The officer's role must give its password; the others (the superuser) need none.
        rules = "local all officer scram-sha-256\nlocal all all trust\n"
        if self._as:
            self._run("sh", "-c", f"printf '%s' '{rules}' > {hba}")
        else:
            hba.write_text(rules)
        options = f"-k {self.socket_dir} -c listen_addresses='' -c max_connections=60"
        if self.fast:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"), "-w", "-t", "60",
                  "-o", options, "start")
        self.admin(f"CREATE ROLE officer LOGIN PASSWORD '{OFFICER_PASSWORD}'")
        return self

    def url(self, database: str = "postgres", user: str = "pmo", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@/{database}?host={self.socket_dir}"

    def admin(self, sql: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def new_database(self, owner: str = "pmo") -> str:
        """A fresh empty database; its URL (as the superuser, or as `officer` with its password)."""
        name = f"pmo_test_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} OWNER {owner}")
        if owner == "officer":
            return self.url(name, "officer", OFFICER_PASSWORD)
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

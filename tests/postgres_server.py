"""A throwaway PostgreSQL server for tests, started from the machine's initdb/pg_ctl binaries."""

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from tests.conftest import free_port


def _server_bin_dir() -> Path:
    """Where initdb and pg_ctl are: on PATH, or where Debian's postgresql package puts them."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise RuntimeError("PostgreSQL's initdb was not found: install Debian's postgresql package")
    return candidates[-1].parent


def _as_unprivileged_user() -> list[str]:
    """PostgreSQL refuses to run as root; drop to the postgres (or nobody) account when we are root."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    raise RuntimeError("running as root with no postgres or nobody account to run PostgreSQL as")


class PostgresServer:
    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.prefix = _as_unprivileged_user()
        self.bin = _server_bin_dir()

    def _run(self, *args: str) -> None:
        command = [*self.prefix, str(self.bin / args[0]), *args[1:]]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr or result.stdout}")

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.prefix:
            user = self.prefix[2]
            entry = pwd.getpwnam(user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "booking", "--auth=trust", "-E", "UTF8", "--no-locale")
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.root} -h 127.0.0.1 -c fsync=off -c full_page_writes=off",
            "start",
        )

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=booking dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://booking@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

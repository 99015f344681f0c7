"""A real PostgreSQL server on loopback for tests and benches.

Debian's package (``apt-get install postgresql``) provides ``initdb``/``pg_ctl`` under
``/usr/lib/postgresql/<version>/bin``. ``initdb`` refuses to run as root, so when we are root the
cluster is created and run as the ``postgres`` user, in a temporary directory it owns; the server
listens on 127.0.0.1 at a free port with its unix socket in the same directory (trust auth: only
loopback, only this machine's tests). :meth:`PgServer.stop` stops it and removes the directory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass


class PgUnavailable(RuntimeError):
    """No PostgreSQL binaries here (``scripts/setup.sh test`` installs them)."""


def pg_bin(name: str) -> str:
    """The newest installed Debian PostgreSQL's ``name`` binary."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise PgUnavailable(f"{name} not found: apt-get install postgresql")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    directory: str
    port: int
    _as_user: Callable[[], None] | None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database; its URL."""
        self._run(
            [
                pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-q",
                "-c",
                f'CREATE DATABASE "{name}"',
            ]
        )
        return self.url(name)

    def database_size(self, name: str) -> int:
        out = self._run(
            [
                pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-At",
                "-c",
                f"SELECT pg_database_size('{name}')",
            ]
        )
        return int(out.strip())

    def _run(self, argv: list[str]) -> str:
        return subprocess.run(
            argv, check=True, capture_output=True, text=True, preexec_fn=self._as_user, timeout=60
        ).stdout

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(
                [pg_bin("pg_ctl"), "-D", f"{self.directory}/data", "-m", "immediate", "-w", "stop"]
            )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_pg_server(*, fsync: bool = False) -> PgServer:
    """initdb + start a private server; ``fsync=False`` for speed (tests kill fedbot, not it)."""
    initdb = pg_bin("initdb")
    directory = tempfile.mkdtemp(prefix="fedbot-pg-")
    as_user: Callable[[], None] | None = None
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(directory, pw.pw_uid, pw.pw_gid)
        os.chmod(directory, 0o700)

        def as_user() -> None:
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

    server = PgServer(directory, free_port(), as_user)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": directory}
    subprocess.run(
        [
            initdb,
            "-D",
            f"{directory}/data",
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
        preexec_fn=as_user,
        env=env,
        timeout=120,
    )
    options = (
        f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=200"
        f" -c fsync={'on' if fsync else 'off'} -c synchronous_commit={'on' if fsync else 'off'}"
        " -c full_page_writes=off -c shared_buffers=32MB"
    )
    try:
        subprocess.run(
            [
                pg_bin("pg_ctl"),
                "-D",
                f"{directory}/data",
                "-o",
                options,
                "-l",
                f"{directory}/log",
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            preexec_fn=as_user,
            env=env,
            timeout=90,
        )
    except subprocess.CalledProcessError:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return server

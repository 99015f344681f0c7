"""Start-up mistakes end ``fedbot serve`` with one clear line naming the setting and a non-zero
exit status, never a traceback (real processes)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pgserver import free_port

FEDBOT = str(Path(sys.executable).with_name("fedbot"))


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FEDBOT_", "SLACK_"))}
    base |= {"FEDBOT_STATE": "memory://", "FEDBOT_DNS_SERVERS": "127.0.0.1:9"}
    return subprocess.run(
        [FEDBOT, "serve", "--host", "127.0.0.1", *args],
        env=base | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({"FEDBOT_STATE": "redis://127.0.0.1"}, (), "FEDBOT_STATE"),
        ({"FEDBOT_STATE": "sqlite://"}, (), "FEDBOT_STATE"),
        ({"FEDBOT_STATE": f"postgresql://u@127.0.0.1:{free_port()}/x"}, (), "FEDBOT_STATE"),
        ({"FEDBOT_CONVERSATION_TTL": "one day"}, (), "FEDBOT_CONVERSATION_TTL"),
        ({"FEDBOT_CONVERSATION_TTL": "-5"}, (), "FEDBOT_CONVERSATION_TTL"),
        ({"FEDBOT_CONVERSATION_TTL": "nan"}, (), "FEDBOT_CONVERSATION_TTL"),
        ({"FEDBOT_DNS_TIMEOUT": "0"}, (), "FEDBOT_DNS_TIMEOUT"),
        ({}, ("--port", "99999"), "--port"),
        ({}, ("--port", "http"), "--port"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...], named: str
) -> None:
    done = serve(tmp_path, *args, **env)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert named in lines[-1], done.stderr  # one line (after argparse's usage, for flags)
    assert all(line.startswith(("usage:", " ")) for line in lines[:-1]), done.stderr


def test_a_broken_knowledge_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "org.yaml"
    broken.write_text("escalation: [unclosed\n", encoding="utf-8")
    done = serve(tmp_path, "--port", "0", FEDBOT_KNOWLEDGE=str(broken))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "FEDBOT_KNOWLEDGE" in line and "org.yaml" in line


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve(tmp_path, "--port", str(port))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"--port {port}" in done.stderr and "address already in use" in done.stderr

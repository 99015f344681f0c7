"""``fedbot chat`` as a user runs it: a subprocess with stdin piped, live checks against the
loopback DNS server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.chat import plain, wrap
from tests.dnsserver import DnsTestServer, start_dns_server

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsTestServer]:
    server = start_dns_server()
    yield server
    server.stop()


def chat(dns: DnsTestServer, lines: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEDBOT_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--dns-server", dns.address, "--timeout", "2"],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=environment,
    )


def test_walks_to_a_resolution_with_a_live_check(dns: DnsTestServer) -> None:
    result = chat(dns, ["hi", "1", "1", "3"], FEDBOT_HOME_DOMAINS="nosrv.example")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "fedbot" in out  # the welcome
    assert "1. My instant messages aren't delivered" in out  # choices by number
    assert "Federation SRV record missing" in out  # promoted: the own SRV is missing
    assert "Live check of your domain nosrv.example" in out
    assert "_sipfederationtls._tcp.nosrv.example" in out or "nosrv.example" in out
    assert "Did this fix it?" in out
    assert "Traceback" not in result.stderr


def test_pasted_error_fedcheck_and_invalid_answers(dns: DnsTestServer) -> None:
    result = chat(
        dns,
        [
            "We can't set up the conversation because your organizations are not set up to "
            "talk to each other.",
            "banana",
            "fedcheck contoso.example",
            "fedcheck 10.1.2.3",
        ],
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "I recognise this error" in out
    assert "How many external contacts are affected?" in out
    assert "didn't get that" in out
    assert "Federation check: contoso.example" in out
    assert "I can't check 10.1.2.3" in out and "**" not in out  # markdown as plain text


def test_empty_input_exits_cleanly(dns: DnsTestServer) -> None:
    result = chat(dns, [])
    assert result.returncode == 0 and result.stderr == ""


def test_resumes_with_a_sqlite_state(dns: DnsTestServer, tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path}/chat.db"
    first = chat(dns, ["hi", "1"], FEDBOT_STATE=state)
    assert "Who is the external contact?" in first.stdout
    second = chat(dns, ["2"], FEDBOT_STATE=state)  # answers the question asked in the first run
    assert second.returncode == 0, second.stderr
    assert "How many external contacts are affected?" in second.stdout


def test_unknown_state_url_is_a_clear_error(dns: DnsTestServer) -> None:
    result = chat(dns, ["hi"], FEDBOT_STATE="redis://x")
    assert result.returncode == 2
    assert "FEDBOT_STATE" in result.stderr and "Traceback" not in result.stderr


def test_ctrl_c_exits_cleanly(dns: DnsTestServer) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEDBOT_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--dns-server", dns.address],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the welcome is out: the loop waits for input
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err


def test_markdown_is_plain_text_and_words_wrap_to_the_width() -> None:
    text = "**fedcheck contoso.com** checks `DNS`, see [the article](https://example.test/a)."
    assert plain(text) == (
        "fedcheck contoso.com checks DNS, see the article (https://example.test/a)."
    )
    wrapped = wrap("- " + "word " * 30 + "\n1. short", 40)
    lines = wrapped.splitlines()
    assert all(len(line) <= 40 for line in lines) and lines[-1] == "1. short"
    assert lines[1].startswith("  word")  # a list item continues under its text

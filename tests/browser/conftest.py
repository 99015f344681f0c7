"""The browser test's real parts: a loopback DNS server, ``fedbot serve`` as a process, the
Microsoft 365 Agents Playground (npm, tests/browser/node_modules) and Debian's chromium driven by
Playwright. Every browser request outside loopback is aborted; a failing test leaves a screenshot
in tests/browser/screenshots/.

Skipped (with the reason) when chromium, Playwright or the npm package is missing: run
``bash scripts/setup.sh test`` (CI does, through .ci/run)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dnsserver import DnsTestServer, start_dns_server

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
PLAYGROUND = HERE / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = Path(os.environ.get("FEDBOT_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = HERE / "screenshots"
LOOPBACK_PREFIXES = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:")

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
if not CHROMIUM.exists():
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
if not PLAYGROUND.exists():
    pytest.skip("npm install --prefix tests/browser (Agents Playground)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait on work: poll a process's observable state until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=self._file, stderr=subprocess.STDOUT
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._file.close()


@pytest.fixture(scope="session")
def browser_dns() -> Iterator[DnsTestServer]:
    server = start_dns_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fedbot_server(
    browser_dns: DnsTestServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Process, int]]:
    port = free_port()
    work = tmp_path_factory.mktemp("fedbot")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "FEDBOT_"))
    }
    env |= {
        "FEDBOT_DNS_SERVERS": browser_dns.address,
        "FEDBOT_DNS_TIMEOUT": "3",
        "FEDBOT_STATE": f"sqlite:///{work / 'fedbot.db'}",
        "PYTHONUNBUFFERED": "1",
    }
    fedbot = Path(sys.executable).parent / "fedbot"
    proc = Process(
        [str(fedbot), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        work / "serve.log",
        work,
    )
    wait_for(lambda: port_open(port) or proc.proc.poll() is not None, 30, "fedbot serve")
    assert proc.proc.poll() is None, proc.text()
    yield proc, port
    proc.stop()


@pytest.fixture(scope="session")
def playground(
    fedbot_server: tuple[Process, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    _, bot_port = fedbot_server
    port = free_port()
    work = tmp_path_factory.mktemp("playground")
    endpoint = f"http://127.0.0.1:{bot_port}/api/messages"
    env = dict(os.environ) | {
        "TEAMSAPPTESTER_BROWSER": "none",  # never open a browser of its own
        "BOT_ENDPOINT": endpoint,
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(work / "playground-internal.log"),
    }
    args = [str(PLAYGROUND), "--port", str(port), "--app-endpoint", endpoint]
    args += ["--channel-id", "msteams", "--disable-telemetry"]
    proc = Process(args, env, work / "playground.log", work)
    wait_for(lambda: port_open(port) or proc.proc.poll() is not None, 60, "Agents Playground")
    assert proc.proc.poll() is None, proc.text()
    yield f"http://127.0.0.1:{port}/"
    proc.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Module scope: Playwright's sync API keeps an event loop running while it is open, which
    would break every later test that calls asyncio.run()."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


class Client:
    """One browser page on the Playground plus what it received: the conversation stream's
    activities (``created`` / ``updated`` messages, typing) and the requests it tried to send
    off the machine."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.blocked: list[str] = []
        self.sockets: list[str] = []  # conversation sockets the page opened
        self.repeats = 0  # frames received again, byte for byte, on another socket
        self._frames: set[str | bytes] = set()
        page.route("**/*", self._route)
        page.on("websocket", self._websocket)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(LOOPBACK_PREFIXES):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _websocket(self, ws: Any) -> None:
        if "_ws_conversation" in ws.url:
            self.sockets.append(ws.url)
            ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        """Record an activity once. A page with two conversation sockets open receives each
        frame on both; a message the bot really sent twice still counts twice, since every
        message the client creates has its own id and timestamp."""
        if payload in self._frames:
            self.repeats += 1
            return
        self._frames.add(payload)
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if isinstance(data, dict) and "action" in data:
            self.events.append((time.monotonic(), data))

    def bot_actions(self, since: int = 0) -> list[dict[str, Any]]:
        return [d for _, d in self.events[since:]]

    def pump(self, ms: int = 50) -> None:
        self.page.wait_for_timeout(ms)  # lets Playwright deliver events; used inside waits only

    def wait_actions(self, since: int, count: int = 1, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while len(self.events) - since < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} bot activities, got {self.bot_actions(since)}"
                )
            self.pump()

    def settle(
        self, since: int, quiet: float = 1.5, timeout: float = 20, until: str = ""
    ) -> list[dict[str, Any]]:
        """The activities after ``since`` once the bot has sent a new message (containing
        ``until``, when given) and then nothing for ``quiet`` seconds (the end of a step). A
        typing indicator or a card closed in place is not the end: a slow check under load
        may come more than ``quiet`` seconds after them."""
        self.wait_actions(since, 1, timeout)
        deadline = time.monotonic() + timeout
        while not any(a.get("action") == "createMessage" for a in self.bot_actions(since)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no new bot message: {self.bot_actions(since)}")
            self.pump()
        while until and until not in json.dumps(self.bot_actions(since)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no activity with {until!r}: {self.bot_actions(since)}")
            self.pump()
        while time.monotonic() - self.events[-1][0] < quiet:
            self.pump(100)
        return self.bot_actions(since)

    def type(self, text: str) -> int:
        mark = len(self.events)
        box = self.page.get_by_role("textbox").last
        box.fill(text)
        box.press("Enter")
        self._sent = time.monotonic()
        return mark

    def sent_at(self) -> float:
        return self._sent

    def has_button(self, label: str) -> bool:
        buttons = self.page.locator(".ac-actionSet button", has_text=label)
        return bool(buttons.count()) and buttons.last.is_enabled()

    def click(self, label: str) -> int:
        mark = len(self.events)
        self.page.locator(".ac-actionSet button", has_text=label).last.click()
        return mark


@pytest.fixture
def client(chromium: Any, playground: str, request: pytest.FixtureRequest) -> Iterator[Client]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    c = Client(page, playground)
    page.goto(playground)
    try:
        page.get_by_role("textbox").last.wait_for(timeout=20_000)
        c.settle(0)  # the welcome card (the Playground installs the bot on every load)
        # The Playground keeps one personal chat across page loads: start each test afresh.
        c.settle(c.type("restart"))
    except Exception:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-load.png"))
        raise
    yield c
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report

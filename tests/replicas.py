"""Real ``fedbot serve`` processes for the replica, restart and kill -9 tests (and the bench).

:class:`Replica` starts one server process on a free loopback port with the given environment,
waits until ``/readyz`` answers 200, and stops it with SIGTERM (drain) or SIGKILL. Helpers sign
Slack events like Slack does."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import aiohttp

from tests.pgserver import free_port
from tests.test_slack_helpers import sign

ROOT = Path(__file__).resolve().parent.parent
SECRET = "replica-signing-secret"
TEAM = "T0001"
PASTED = (
    "This message was not delivered to joe@contoso.example because the address is outside your "
    "organization and is not federated with your company, or the address is incorrect. Please "
    "contact your support team with this information."
)


@dataclass
class Replica:
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    # processes started and not stopped yet (a failed test's are killed by leftover_replicas)
    running: ClassVar[set[subprocess.Popen[bytes]]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60.0) -> Replica:
        env = {**os.environ, **self.env}
        log = open(self.log_path or os.devnull, "ab")  # noqa: SIM115 - handed to the child
        fedbot = str(Path(sys.executable).with_name("fedbot"))
        argv = [fedbot, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*argv, "--shutdown-timeout", "20"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        Replica.running.add(self.process)
        log.close()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"fedbot serve exited with {self.process.returncode}")
                try:
                    async with session.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)  # polling readiness of a starting process
        raise TimeoutError("fedbot serve did not become ready")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal the process and wait for it to end; its exit status."""
        if self.process is None:
            return 0
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(sig)
        try:
            return await asyncio.to_thread(process.wait, timeout)
        finally:
            Replica.running.discard(process)

    def kill(self) -> None:
        """kill -9: no drain, no close."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            Replica.running.discard(self.process)
            self.process = None


def kill_leftovers() -> None:
    """Kill the server processes a failed test left running."""
    for process in list(Replica.running):
        if process.poll() is None:
            process.kill()
            process.wait(10)
        Replica.running.discard(process)


def slack_env(state_url: str, slack_api: str, dns: str) -> dict[str, str]:
    return {
        "FEDBOT_STATE": state_url,
        "SLACK_BOT_TOKEN": "xoxb-replica",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api,
        "FEDBOT_DNS_SERVERS": dns,
        "FEDBOT_DNS_TIMEOUT": "2",
        "FEDBOT_HOME_DOMAINS": "fabrikam.example",
        "MicrosoftAppId": "",
    }


def event_body(event: dict[str, Any], event_id: str) -> str:
    return json.dumps(
        {
            "token": "x",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": "UFEDBOT", "is_bot": True}],
        }
    )


def message(text: str, channel: str, ts: str, **extra: Any) -> dict[str, Any]:
    kind = "im" if channel.startswith("D") else "channel"
    return {
        "type": "message",
        "channel": channel,
        "user": "U1",
        "text": text,
        "ts": ts,
        "channel_type": kind,
        **extra,
    }


async def post_event(
    session: aiohttp.ClientSession, base: str, body: str, retry: int | None = None
) -> int:
    headers = {"Content-Type": "application/json", **sign(SECRET, body)}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with session.post(f"{base}/slack/events", data=body, headers=headers) as response:
        await response.read()
        return response.status

"""Operator surface: ``fedbot --version`` and the log settings (FEDBOT_LOG_LEVEL / _FORMAT)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_version_names_the_installed_distribution() -> None:
    fedbot = Path(sys.executable).parent / "fedbot"
    out = subprocess.run([str(fedbot), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip().startswith("fedbot ") and out.stdout.strip()[7:8].isdigit()


def test_json_logs_one_object_a_line_with_request_and_conversation_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure({"FEDBOT_LOG_FORMAT": "json", "FEDBOT_LOG_LEVEL": "info"})
    logs.new_request_id("req-42")
    logs.bind_conversation("teams:a:1")
    # not a "fedbot.*" logger: slack-bolt's app logger is "fedbot" and gets a level of its own
    logging.getLogger("tests.logs").info("turn answered in %d ms", 12)
    logging.getLogger("tests.logs").debug("not shown at INFO")
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == "turn answered in 12 ms"
    assert record["level"] == "INFO"
    assert record["request_id"] == "req-42" and record["conversation_id"] == "teams:a:1"


def test_a_bad_request_id_is_replaced() -> None:
    assert logs.new_request_id("x" * 500) != "x" * 500
    assert logs.new_request_id("bad\nid") != "bad\nid"


@pytest.mark.parametrize("env", [{"FEDBOT_LOG_LEVEL": "LOUD"}, {"FEDBOT_LOG_FORMAT": "xml"}])
def test_bad_settings_stop_with_a_clear_message(env: dict[str, str]) -> None:
    with pytest.raises(SystemExit, match="FEDBOT_LOG_"):
        logs.configure(env)


def test_msrest_unknown_field_warnings_are_dropped_and_others_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from botbuilder.schema.teams import TeamsChannelData

    logs.configure({})
    # botbuilder's TeamsInfo reads a channel message's channelData this way; the Agents
    # Playground sends "source" on every channel message
    data = TeamsChannelData(**{"source": {"name": "message"}, "tenant": {"id": "t"}})
    assert data.tenant == {"id": "t"}
    logging.getLogger("msrest.serialization").warning("a real msrest problem")
    err = capsys.readouterr().err
    assert "is not a known attribute" not in err
    assert "a real msrest problem" in err

"""``fedbot triage``: readable output, --json, stdin, exit codes — in process and as a process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

REPO = Path(__file__).resolve().parents[1]
TEAMS_ERROR = (
    "We can't set up the conversation because your organizations are not set up to talk to each "
    "other. (anna@fabrikam.com)"
)
JSON_KEYS = {
    *("recognized", "signature", "symptom", "likely_causes", "addresses", "domains"),
    *("peer_domains", "own_domains", "diagnostic", "scope", "contact_type"),
    "contact_type_guessed",
}


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEDBOT_KNOWLEDGE", raising=False)


def test_recognised_text_prints_title_causes_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["triage", TEAMS_ERROR]) == 0
    out = capsys.readouterr().out
    assert "[teams_cant_set_up_conversation]" in out
    assert "Permissions issue between domains (domain_permissions)" in out
    assert "fedbot check fabrikam.com" in out


def test_words_without_quotes_are_joined(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", "Presence", "Unknown"]) == 0
    assert "[presence_unknown]" in capsys.readouterr().out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", "--json", TEAMS_ERROR]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == JSON_KEYS
    assert data == {
        "recognized": True,
        "signature": "teams_cant_set_up_conversation",
        "symptom": "im_not_delivered",
        "likely_causes": ["domain_permissions", "external_access_disabled"],
        "contact_type": "external_org",
        "contact_type_guessed": False,
        "addresses": ["anna@fabrikam.com"],
        "domains": ["fabrikam.com"],
        "peer_domains": ["fabrikam.com"],
        "own_domains": [],
        "diagnostic": None,
        "scope": None,
    }


def test_unrecognised_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", "--json", "Skype for Business Online will be retired"]) == 1
    assert json.loads(capsys.readouterr().out)["recognized"] is False
    assert main(["triage", "lunch?"]) == 1
    assert "Not recognised" in capsys.readouterr().out


def test_reads_stdin_when_no_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paste = "> 403 Forbidden: From URI not authorized to\n> communicate with federated partners.\n"
    stdin = io.TextIOWrapper(io.BytesIO(paste.encode() + b"\xff\xfe"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["triage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signature"] == "uccapi_403_not_authorized_federated"


def test_invalid_organisation_knowledge_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("escalation:\n  ticket_url: not-a-url\n")
    monkeypatch.setenv("FEDBOT_KNOWLEDGE", str(org))
    assert main(["triage", "Presence Unknown"]) == 2
    err = capsys.readouterr().err
    assert "org.yaml: escalation.ticket_url: not an http(s) URL" in err
    assert "Traceback" not in err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["triage", "--help"])
    assert "0 recognised, 1 not recognised" in capsys.readouterr().out


def test_as_a_process_with_a_large_paste_on_stdin() -> None:
    paste = ("INFO noise line\n" * 3000) + (
        'ms-diagnostics: 1017;reason="Cannot route From and To domains in this combination";'
        'source="sip.northwind.example"\n'
    )
    proc = subprocess.run(
        [str(REPO / ".venv/bin/python"), "-m", "bot", "triage", "--json"],
        input=paste.encode(),
        capture_output=True,
        cwd=REPO,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["signature"] == "ms_diag_1017_cannot_route"
    assert data["domains"] == ["northwind.example"]

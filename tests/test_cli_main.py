"""The command line as a process: a closed pipe is not a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_reader_closing_the_pipe_gives_no_traceback() -> None:
    # `fedbot triage ... | head -1`: the reader exits after the first line.
    text = "This message was not delivered to joe@fabrikam.com because the address is outside " * 3
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "triage", text],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nobody reads: the first write raises BrokenPipeError
    err = proc.stderr.read().decode()
    proc.wait(timeout=30)
    assert "Traceback" not in err
    assert proc.returncode == 141


def test_unknown_subcommand_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "frobnicate"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr and "Traceback" not in proc.stderr

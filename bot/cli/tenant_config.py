"""A pasted tenant configuration in the command line.

``fedbot check --tenant-config FILE`` judges a saved ``Get-CsTenantFederationConfiguration`` /
``Get-CsExternalAccessPolicy`` output against the checked domain, next to the DNS findings: the
configuration is the admin's own tenant, the partner the checked domain (of two, the second:
``fedbot check you.com partner.com``; with ``--file``, each line's domain). ``fedbot triage``
prints the findings of a configuration pasted to it (:func:`pasted`)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from federation.model import Finding
from federation.serialize import finding_dict
from federation.tenant_config import (
    ConfigUnreadable,
    TenantConfig,
    config_commands,
    judge_tenant_config,
    looks_like_tenant_config,
    parse_tenant_config,
)

CONTACTS = ("external_org", "public_im")
MAX_FILE_BYTES = 4 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    federation, policy = config_commands()
    parser.add_argument(
        "--tenant-config",
        metavar="FILE",
        help=f"also judge your tenant's configuration against the domain: the output of "
        f"'{federation}' and/or '{policy}' (or ConvertTo-Json) saved in FILE ('-': stdin)",
    )
    parser.add_argument(
        "--contact",
        choices=CONTACTS,
        help="with --tenant-config: the kind of contact (another organisation, or a personal / "
        "public IM account); default both",
    )


@dataclass(frozen=True)
class Judged:
    """The configuration's findings for one partner (None: any)."""

    source: str
    partner: str | None
    contact: str | None
    findings: tuple[Finding, ...]

    @property
    def status(self) -> Literal["ok", "problem"]:
        serious = any(f.severity in ("error", "warning") for f in self.findings)
        return "problem" if serious else "ok"


def read_config(name: str) -> TenantConfig | str:
    """The parsed configuration, or the reason it cannot be used (for stderr)."""
    try:
        if name == "-":
            if sys.stdin.isatty():
                print("Paste the configuration, then press Ctrl-D.", file=sys.stderr)
            buffer = getattr(sys.stdin, "buffer", None)
            raw = buffer.read(MAX_FILE_BYTES) if buffer is not None else sys.stdin.read().encode()
        else:
            with Path(name).open("rb") as handle:
                raw = handle.read(MAX_FILE_BYTES)
    except OSError as exc:
        return f"cannot read {name}: {exc.strerror or exc}"
    # PowerShell 5's "> file" writes UTF-16 with a byte-order mark.
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    text = raw.decode("utf-16" if utf16 else "utf-8-sig", errors="replace")
    config = parse_tenant_config(text)
    if isinstance(config, ConfigUnreadable):
        return f"{name}: {config.message}"
    return config


def judge(config: TenantConfig, args: argparse.Namespace, partner: str | None) -> Judged:
    findings = judge_tenant_config(config, partner=partner, contact=args.contact)
    return Judged(args.tenant_config, partner, args.contact, findings)


def judged_dict(judged: Judged) -> dict[str, Any]:
    return {
        "source": judged.source,
        "partner": judged.partner,
        "contact": judged.contact,
        "status": judged.status,
        "findings": [finding_dict(f) for f in judged.findings],
    }


def heading(judged: Judged) -> str:
    against = f" against {judged.partner}" if judged.partner else ""
    return f"tenant configuration ({judged.source}){against} — {judged.status.upper()}"


def exit_code(dns_code: int, judged: Judged, problem_code: int) -> int:
    """A problem in the configuration is a problem found, whatever the DNS said."""
    return problem_code if judged.status == "problem" else dns_code


# -- fedbot triage ---------------------------------------------------------------------------------

MARKS = {"ok": "ok", "info": "info", "warning": "WARN", "error": "FAIL"}


@dataclass(frozen=True)
class Pasted:
    """A configuration pasted to triage: its findings (any partner, both contact types), or why
    it could not be read."""

    findings: tuple[Finding, ...] = ()
    unreadable: ConfigUnreadable | None = None

    @property
    def status(self) -> Literal["ok", "problem", "unreadable"]:
        if self.unreadable is not None:
            return "unreadable"
        return "problem" if any(f.severity in ("error", "warning") for f in self.findings) else "ok"


def pasted(text: str) -> Pasted | None:
    """None when ``text`` is not a configuration paste at all."""
    if not looks_like_tenant_config(text):
        return None
    config = parse_tenant_config(text)
    if isinstance(config, ConfigUnreadable):
        return Pasted(unreadable=config)
    return Pasted(judge_tenant_config(config, partner=None, contact=None))


def pasted_dict(found: Pasted) -> dict[str, Any]:
    unreadable = found.unreadable
    return {
        "status": found.status,
        "findings": [finding_dict(f) for f in found.findings],
        "unreadable": None
        if unreadable is None
        else {"reason": unreadable.reason, "line": unreadable.line, "message": unreadable.message},
    }


def render_pasted(found: Pasted, width: int = 100) -> str:
    if found.unreadable is not None:
        return textwrap.fill(found.unreadable.message, width)
    federation, _ = config_commands()
    lines = [f"Tenant configuration ({federation.split()[0]} / Get-CsExternalAccessPolicy output):"]
    for f in found.findings:
        text = f"[{MARKS.get(f.severity, f.severity)}] {f.code}: {f.message}"
        lines.append(
            textwrap.fill(
                text, width, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
            )
        )
    return "\n".join(lines)

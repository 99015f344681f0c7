"""A pasted tenant configuration as facts for the dialog, read through the pure parser and judge
in ``federation.tenant_config``."""

from __future__ import annotations

from federation.model import Finding
from federation.tenant_config import (
    ConfigUnreadable,
    judge_tenant_config,
    looks_like_tenant_config,
    parse_tenant_config,
)

CONFIRMING = frozenset({"error", "warning"})
CONFIG_OK = "tenant_config_ok"
# A pasted configuration up to this size is kept in the dialog state to be judged again later
# (real Format-List / ConvertTo-Json output is a few kilobytes).
MAX_KEPT_CHARS = 64 * 1024


def looks_like(text: str) -> bool:
    return looks_like_tenant_config(text)


def read(text: str, *, partner: str | None, contact: str | None) -> tuple[Finding, ...] | str:
    """The findings of the pasted configuration judged against the partner and contact type, or
    why it can't be read (the parser's message, naming the line)."""
    config = parse_tenant_config(text)
    if isinstance(config, ConfigUnreadable):
        return config.message
    return judge_tenant_config(config, partner=partner, contact=contact)


def kept(text: str) -> str | None:
    """The configuration text to keep as a fact, or ``None`` when it is too long to keep."""
    return text if len(text) <= MAX_KEPT_CHARS else None


def confirming(findings: tuple[Finding, ...], codes: tuple[str, ...]) -> tuple[Finding, ...]:
    """The findings among ``codes`` that say something is blocked (error or warning)."""
    return tuple(f for f in findings if f.code in codes and f.severity in CONFIRMING)


def rules_out(findings: tuple[Finding, ...], codes: tuple[str, ...]) -> bool:
    """A configuration judged clean (``tenant_config_ok``) with nothing confirming the cause."""
    return any(f.code == CONFIG_OK for f in findings) and not confirming(findings, codes)

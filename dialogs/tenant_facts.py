"""A pasted tenant configuration as facts for the dialog, read through helper tenant's pure API in
``federation.tenant_config`` (``looks_like_tenant_config`` / ``parse_tenant_config`` /
``judge_tenant_config``).

TODO(dialog): import ``federation.tenant_config`` directly once it is on main; until then it is
looked up at run time, and without it fedbot neither asks for nor reads a configuration.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from federation.model import Finding

CONFIRMING = frozenset({"error", "warning"})
CONFIG_OK = "tenant_config_ok"


@cache
def _api() -> Any:
    try:
        return importlib.import_module("federation.tenant_config")
    except ImportError:
        return None


def available() -> bool:
    """Whether fedbot can read a pasted configuration (so asking for one makes sense)."""
    return _api() is not None


def looks_like(text: str) -> bool:
    api = _api()
    return api is not None and bool(api.looks_like_tenant_config(text))


def read(text: str, *, partner: str | None, contact: str | None) -> tuple[Finding, ...] | str:
    """The findings of the pasted configuration judged against the partner and contact type, or
    why it can't be read (the API's message, naming the line)."""
    api = _api()
    if api is None:
        return ""
    config = api.parse_tenant_config(text)
    if isinstance(config, api.ConfigUnreadable):
        return str(config.message)
    findings = api.judge_tenant_config(config, partner=partner, contact=contact)
    return tuple(Finding(str(f.code), f.severity, str(f.message)) for f in findings)


def confirming(findings: tuple[Finding, ...], codes: tuple[str, ...]) -> tuple[Finding, ...]:
    """The findings among ``codes`` that say something is blocked (error or warning)."""
    return tuple(f for f in findings if f.code in codes and f.severity in CONFIRMING)


def rules_out(findings: tuple[Finding, ...], codes: tuple[str, ...]) -> bool:
    """A configuration judged clean (``tenant_config_ok``) with nothing confirming the cause."""
    return any(f.code == CONFIG_OK for f in findings) and not confirming(findings, codes)

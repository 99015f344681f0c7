"""A pasted tenant configuration as facts for the dialog, read through the pure parser and judge
in ``federation.tenant_config``."""

from __future__ import annotations

from dataclasses import replace

from federation.model import Finding
from federation.tenant_config import (
    ConfigUnreadable,
    judge_tenant_config,
    looks_like_tenant_config,
    parse_tenant_config,
)
from knowledge.model import Knowledge
from knowledge.triage import Triage, ruled_out_by_words

CONFIRMING = frozenset({"error", "warning"})
CONFIG_OK = "tenant_config_ok"
# A pasted configuration up to this size is kept in the dialog state to be judged again later
# (real Format-List / ConvertTo-Json output is a few kilobytes).
MAX_KEPT_CHARS = 64 * 1024
# A one-shot paste's configuration is judged against at most this many of the peers it names.
MAX_PEERS_JUDGED = 5


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


def with_pasted_config(kb: Knowledge, found: Triage, text: str) -> Triage:
    """``found`` with its causes following a tenant configuration pasted in the same text: a
    cause the findings confirm for one of the named peers (and that fits the symptom and the
    contact type) leads, unless the text's own words rule it out; a cause the configuration
    rules out for every peer is dropped. The one-shot answers (``fedbot triage``, a channel
    paste) then say what the dialog would."""
    if not found.recognized or not looks_like(text):
        return found
    judged = [
        read(text, partner=partner, contact=found.contact_type)
        for partner in (found.peer_domains[:MAX_PEERS_JUDGED] or (None,))
    ]
    readable = [findings for findings in judged if not isinstance(findings, str)]
    if not readable:
        return found
    causes = list(found.likely_causes)
    said = ruled_out_by_words(kb, text)
    leads = [
        c
        for c in causes + [c for c in kb.causes if c not in causes]
        if c not in said
        and any(confirming(findings, kb.causes[c].config_findings) for findings in readable)
        and kb.causes[c].applies_to(found.contact_type)
        and (not kb.causes[c].symptoms or found.symptom in kb.causes[c].symptoms)
    ]
    ruled = {
        c
        for c in causes
        if c in kb.causes
        and kb.causes[c].config_findings
        and all(rules_out(findings, kb.causes[c].config_findings) for findings in readable)
    }
    remaining = [c for c in [*leads, *causes] if c not in ruled]
    return replace(found, likely_causes=tuple(dict.fromkeys(remaining)) or found.likely_causes)

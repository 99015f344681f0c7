"""Prometheus metrics: every definition in one place, and small functions the rest of the code
calls (one line at each hook). ``GET /metrics`` serves :func:`render`.

The metrics live in their own registry (not prometheus-client's global one), so building several
applications in one process (tests, benches) never registers a name twice. Labels are bounded:
endpoints are route templates, platforms/outcomes/causes/kinds are short fixed vocabularies."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from dialogs.machine import expired
from dialogs.replies import EscalationCard, Reply
from dialogs.state import DialogState

T = TypeVar("T")

# FEDBOT_METRICS=off records nothing: no request middleware, every hook returns at once (the
# benches measure the cost with and without: `--without metrics`); /metrics is still served.
ENABLED = os.environ.get("FEDBOT_METRICS", "on").lower() not in ("off", "0", "false", "no")
REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "fedbot_http_requests",
    "HTTP requests by endpoint (route template) and status",
    ["endpoint", "status"],
    registry=REGISTRY,
)
TURNS = Counter(
    "fedbot_turns",
    "Inbound turns (activities, events) by platform",
    ["platform"],
    registry=REGISTRY,
)
AUTO_REPLIES = Counter(
    "fedbot_auto_replies",
    "Automatic replies to pasted federation errors by platform",
    ["platform"],
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "fedbot_duplicates_suppressed",
    "Retried or repeated inbound events answered once only, by platform",
    ["platform"],
    registry=REGISTRY,
)
OUTBOUND_ERRORS = Counter(
    "fedbot_outbound_errors",
    "Failed calls to a platform's API by platform and kind (timeout, http_4xx, http_5xx, ...)",
    ["platform", "kind"],
    registry=REGISTRY,
)
DNS_CHECKS = Counter(
    "fedbot_dns_checks", "Federation DNS checks by outcome", ["outcome"], registry=REGISTRY
)
DNS_CHECK_SECONDS = Histogram(
    "fedbot_dns_check_seconds",
    "Duration of one federation DNS check (all its queries)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
    registry=REGISTRY,
)
CONVERSATIONS = Counter(
    "fedbot_conversations",
    "Finished conversations by outcome (resolved, escalated, abandoned), cause (the last one "
    "shown, else the symptom) and what ended them (answer, cancel, timeout)",
    ["outcome", "cause", "ended_by"],
    registry=REGISTRY,
)

PLATFORM_BY_PATH = {"/api/messages": "teams", "/slack/events": "slack"}


def request_done(endpoint: str, status: int) -> None:
    if not ENABLED:
        return
    REQUESTS.labels(endpoint, str(status)).inc()
    platform = PLATFORM_BY_PATH.get(endpoint)
    if platform is not None and status < 400:
        TURNS.labels(platform).inc()


def auto_reply(platform: str) -> None:
    if not ENABLED:
        return
    AUTO_REPLIES.labels(platform).inc()


def duplicate(platform: str) -> None:
    if not ENABLED:
        return
    DUPLICATES.labels(platform).inc()


def outbound_error(platform: str, kind: str) -> None:
    if not ENABLED:
        return
    OUTBOUND_ERRORS.labels(platform, kind).inc()


def outbound_status(platform: str, status: int) -> None:
    """A platform API call's HTTP status: counted as an error kind from 400 on."""
    if status >= 400 and ENABLED:
        OUTBOUND_ERRORS.labels(platform, f"http_{status // 100}xx").inc()


def conversation_ended(outcome: str, cause: str = "", ended_by: str = "answer") -> None:
    if not ENABLED:
        return
    CONVERSATIONS.labels(outcome, cause or "unknown", ended_by).inc()


def _cause(state: DialogState) -> str:
    return state.tried[-1] if state.tried else state.symptom or ""


def conversation_step(
    before: DialogState,
    state: DialogState,
    replies: Sequence[Reply],
    now: float,
    ttl: float,
) -> None:
    """Count a conversation the turn it finishes (called once the turn's state is written, so
    one replica counts it): escalated (the summary card went out), abandoned (cancelled before
    any cause was shown, or found timed out by the user's next turn) or resolved."""
    if not ENABLED:
        return
    if expired(before, now, ttl):
        conversation_ended("abandoned", _cause(before), "timeout")
        return  # whatever this turn does belongs to a new conversation
    if before.phase == "done" or state.phase != "done":
        return
    if any(isinstance(r, EscalationCard) for r in replies):
        conversation_ended("escalated", _cause(state))
    elif not state.tried:
        conversation_ended("abandoned", _cause(state), "cancel")
    else:
        conversation_ended("resolved", _cause(state))


def conversations_purged(rows: Iterable[dict[str, Any]]) -> None:
    """Stored conversations the store deleted after their retention (longer than the TTL),
    each handed to exactly one caller (``DELETE … RETURNING``): one still active was never
    resumed, so it is counted abandoned by timeout (its next turn would have counted it)."""
    if not ENABLED:
        return
    for data in rows:
        state = DialogState.from_dict(data)  # garbled data reads as a fresh state: not counted
        if state.phase == "active":
            conversation_ended("abandoned", _cause(state), "timeout")


def check_done(outcome: str, seconds: float) -> None:
    if not ENABLED:
        return
    DNS_CHECKS.labels(outcome).inc()
    DNS_CHECK_SECONDS.observe(seconds)


async def timed_check(check: Awaitable[T]) -> T:
    """Await a DNS check and record its outcome (the result's ``status``, else "invalid")."""
    if not ENABLED:
        return await check
    started = time.perf_counter()
    result = await check
    check_done(str(getattr(result, "status", "invalid")), time.perf_counter() - started)
    return result


def render() -> bytes:
    return generate_latest(REGISTRY)

"""Logging for the server and CLI: ``FEDBOT_LOG_LEVEL`` (default INFO) and ``FEDBOT_LOG_FORMAT``
(``text``, the default, or ``json``: one JSON object a line via python-json-logger).

Every record carries ``request_id`` and ``conversation_id`` from context variables: the server's
middleware binds the request id (the caller's ``X-Request-Id`` or a new one), the service binds the
conversation. Secrets and message bodies are never logged at INFO: code logs ids and sizes, never
text (bodies only at DEBUG, never secrets)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="-")
conversation_id: ContextVar[str] = ContextVar("conversation_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(conversation_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(conversation_id)s"


class ContextIds(logging.Filter):
    """Adds the current request and conversation ids to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.conversation_id = conversation_id.get()
        return True


class UnknownFieldNoise(logging.Filter):
    """Drops msrest's "x is not a known attribute of class …" warnings: Teams and the Agents
    Playground send fields botbuilder's models do not declare (``channelData.source`` on every
    channel message, which ``TeamsInfo`` reads as ``TeamsChannelData(**channel_data)``) and
    botbuilder does not need — one warning a turn that says nothing is wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is not a known attribute of class" not in str(record.msg)


def new_request_id(given: str | None = None) -> str:
    """The caller's id when it is short and printable, else a fresh one; bound for this task."""
    rid = given if given and len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
    request_id.set(rid)
    return rid


def bind_conversation(conversation: str) -> None:
    conversation_id.set(conversation)


def configure(env: Mapping[str, str] | None = None) -> None:
    """Set up the root logger from the environment (replacing handlers set before)."""
    e = os.environ if env is None else env
    level_name = (e.get("FEDBOT_LOG_LEVEL") or "INFO").upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        raise SystemExit(f"FEDBOT_LOG_LEVEL={level_name!r}: use DEBUG, INFO, WARNING or ERROR")
    fmt = (e.get("FEDBOT_LOG_FORMAT") or "text").lower()
    if fmt not in ("text", "json"):
        raise SystemExit(f"FEDBOT_LOG_FORMAT={fmt!r}: use text or json")
    handler = logging.StreamHandler()
    handler.addFilter(ContextIds())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    msrest = logging.getLogger("msrest.serialization")
    if not any(isinstance(f, UnknownFieldNoise) for f in msrest.filters):
        msrest.addFilter(UnknownFieldNoise())

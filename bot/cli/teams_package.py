"""``fedbot teams-package``: the zip an admin uploads to Teams (manifest.json and both icons)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

# Shipped as package data of ``bot`` so the command works from an installed wheel.
MANIFEST_DIR = Path(__file__).resolve().parents[1] / "teams_manifest"
FILES = ("manifest.json", "color.png", "outline.png")
APP_ID_PLACEHOLDER = "{{MICROSOFT_APP_ID}}"
TEAMS_APP_ID_PLACEHOLDER = "{{TEAMS_APP_ID}}"
DOMAIN_PLACEHOLDER = "{{BOT_DOMAIN}}"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "teams-package",
        help="write the Teams app package (zip) for a registered Azure bot",
        description="Fill the app ids into the shipped Teams manifest and write the zip "
        "(manifest.json, color.png, outline.png) to upload in Teams.",
    )
    parser.add_argument("--app-id", required=True, help="the Azure bot's Microsoft App ID (GUID)")
    parser.add_argument("--out", default="fedbot-teams.zip", help="zip to write")
    parser.add_argument(
        "--domain",
        default="",
        help="the bot's public host name, added to validDomains (e.g. fedbot.contoso.com)",
    )
    parser.add_argument(
        "--teams-app-id",
        default="",
        help="the Teams app id (GUID); default: derived from --app-id so re-packaging updates "
        "the same app",
    )
    parser.add_argument(
        "--version",
        dest="app_version",
        default="1.0.0",
        help="the app version Teams compares on update (MAJOR.MINOR.PATCH; default 1.0.0)",
    )
    parser.add_argument("--developer-name", default="", help="who publishes the app")
    parser.add_argument("--website-url", default="", help="developer website (https://…)")
    parser.add_argument("--privacy-url", default="", help="privacy statement (https://…)")
    parser.add_argument("--terms-url", default="", help="terms of use (https://…)")
    parser.set_defaults(run=run)


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        for placeholder, value in values.items():
            node = node.replace(placeholder, value)
        return node
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    return node


def build_manifest(app_id: str, domain: str = "", teams_app_id: str = "") -> dict[str, Any]:
    """The manifest with its placeholders filled in."""
    template = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    teams_app_id = teams_app_id or str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"fedbot-teams:{app_id.lower()}")
    )
    manifest: dict[str, Any] = _fill(
        template,
        {
            APP_ID_PLACEHOLDER: app_id.lower(),
            TEAMS_APP_ID_PLACEHOLDER: teams_app_id.lower(),
            DOMAIN_PLACEHOLDER: domain,
        },
    )
    manifest["validDomains"] = [d for d in manifest.get("validDomains", []) if d]
    return manifest


def write_package(manifest: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name in FILES[1:]:
            archive.write(MANIFEST_DIR / name, arcname=name)
    return out


_VERSION = re.compile(r"^\d{1,5}\.\d{1,5}\.\d{1,5}$")
_ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def apply_publisher(manifest: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The app version and the developer's name and URLs given on the command line."""
    manifest["version"] = args.app_version
    developer = dict(manifest.get("developer", {}))
    for key, value in (
        ("name", args.developer_name),
        ("websiteUrl", args.website_url),
        ("privacyUrl", args.privacy_url),
        ("termsOfUseUrl", args.terms_url),
    ):
        if value:
            developer[key] = value
    manifest["developer"] = developer
    return manifest


def run(args: argparse.Namespace) -> int:
    problems = []
    if not _GUID.match(args.app_id):
        problems.append(f"--app-id {args.app_id!r} is not a GUID (Azure bot → Configuration)")
    elif args.app_id == _ZERO_GUID:
        problems.append("--app-id is all zeros: give the Azure bot's real Microsoft App ID")
    if not _VERSION.match(args.app_version):
        problems.append(f"--version {args.app_version!r} is not MAJOR.MINOR.PATCH")
    for option, url in (
        ("--website-url", args.website_url),
        ("--privacy-url", args.privacy_url),
        ("--terms-url", args.terms_url),
    ):
        if url and not re.match(r"^https://[^\s/]+\.[^\s]+$", url):
            problems.append(f"{option} {url!r} is not an https:// URL")
    if args.teams_app_id and not _GUID.match(args.teams_app_id):
        problems.append(f"--teams-app-id {args.teams_app_id!r} is not a GUID")
    if args.domain and not _HOST.match(args.domain):
        problems.append(f"--domain {args.domain!r} is not a host name (no scheme, no path)")
    if problems:
        for problem in problems:
            print(f"fedbot teams-package: {problem}", file=sys.stderr)
        return 2
    manifest = apply_publisher(build_manifest(args.app_id, args.domain, args.teams_app_id), args)
    out = write_package(manifest, Path(args.out))
    print(f"wrote {out} (Teams app {manifest['id']}, bot {args.app_id.lower()})")
    return 0

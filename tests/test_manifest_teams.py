"""The Teams app package: the manifest validates against the official schema (offline, from
``@microsoft/app-manifest``), carries what the bot needs, and ``fedbot teams-package`` writes a zip
with the ids filled in and both icons at the right sizes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.cli import main
from bot.cli.teams_package import MANIFEST_DIR, build_manifest

NODE_DIR = Path(__file__).parent / "node"
APP_ID = "8f0b9c3e-1d2a-4b5c-9e7f-0a1b2c3d4e5f"


def _schema_errors(manifest: dict[str, Any], tmp_path: Path) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot run the Teams manifest validator")
    if not (NODE_DIR / "node_modules" / "@microsoft" / "app-manifest").is_dir():
        pytest.skip("tests/node dependencies missing: run npm install --prefix tests/node")
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    done = subprocess.run(
        [node, str(NODE_DIR / "validate_manifest.js"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=NODE_DIR,
    )
    result = json.loads(done.stdout)
    assert "schema" in result or result["errors"], done.stderr
    errors: list[str] = result["errors"]
    return errors


def test_packaged_manifest_validates_against_its_official_schema(tmp_path: Path) -> None:
    manifest = build_manifest(APP_ID, "fedbot.contoso.com")
    assert _schema_errors(manifest, tmp_path) == []
    version = manifest["manifestVersion"]
    assert tuple(int(x) for x in version.split(".")) >= (1, 17)
    assert f"/v{version}/MicrosoftTeams.schema.json" in manifest["$schema"]


def test_schema_validation_catches_mistakes(tmp_path: Path) -> None:
    manifest = build_manifest(APP_ID)
    manifest["bots"][0]["scopes"] = ["personal", "groupchat"]  # pre-1.17 spelling
    manifest["manifestVersion"] = "1.16"
    assert len(_schema_errors(manifest, tmp_path)) >= 2


def test_manifest_has_the_bot_commands_and_rsc_permission() -> None:
    manifest = build_manifest(APP_ID, "fedbot.contoso.com")
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    commands = [c["title"] for lst in bot["commandLists"] for c in lst["commands"]]
    assert commands == ["fedcheck", "help", "restart"]
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in manifest[
        "authorization"
    ]["permissions"]["resourceSpecific"]
    assert manifest["validDomains"] == ["fedbot.contoso.com"]
    assert "{{" not in json.dumps(manifest)


def test_template_has_placeholders_for_the_ids() -> None:
    template = (MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8")
    assert "{{MICROSOFT_APP_ID}}" in template and "{{TEAMS_APP_ID}}" in template


def _icon(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_teams_package_writes_the_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pkg" / "fedbot.zip"
    assert main(["teams-package", "--app-id", APP_ID.upper(), "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = _icon(archive.read("color.png"))
        outline = _icon(archive.read("outline.png"))
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == []
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    outline = outline.convert("RGBA")
    alphas = [a for (_r, _g, _b, a) in outline.getdata()]
    assert min(alphas) == 0, "the outline icon has a transparent background"
    assert all((r, g, b) == (255, 255, 255) for (r, g, b, a) in outline.getdata() if a > 0), (
        "the outline icon is white on transparent"
    )
    # Same bot id → same Teams app id, so uploading a new package updates the app.
    again = tmp_path / "again.zip"
    assert main(["teams-package", "--app-id", APP_ID, "--out", str(again)]) == 0
    with zipfile.ZipFile(again) as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == manifest["id"]


@pytest.mark.parametrize(
    "args",
    [
        ["--app-id", "not-a-guid"],
        ["--app-id", APP_ID, "--domain", "https://fedbot.contoso.com/api"],
        ["--app-id", APP_ID, "--teams-app-id", "nope"],
        ["--app-id", "00000000-0000-0000-0000-000000000000"],
        ["--app-id", APP_ID, "--version", "1.0"],
        ["--app-id", APP_ID, "--privacy-url", "http://example.com/privacy"],
    ],
)
def test_teams_package_refuses_bad_input(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.zip"
    assert main(["teams-package", *args, "--out", str(out)]) == 2
    assert "fedbot teams-package:" in capsys.readouterr().err
    assert not out.exists()


def test_teams_package_takes_version_and_publisher_urls(tmp_path: Path) -> None:
    out = tmp_path / "p.zip"
    args = ["teams-package", "--app-id", APP_ID, "--out", str(out), "--version", "2.3.4"]
    args += ["--developer-name", "Contoso IT", "--website-url", "https://it.contoso.com"]
    args += ["--privacy-url", "https://it.contoso.com/privacy"]
    args += ["--terms-url", "https://it.contoso.com/terms"]
    assert main(args) == 0
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["version"] == "2.3.4"
    assert manifest["developer"] == {
        "name": "Contoso IT",
        "websiteUrl": "https://it.contoso.com",
        "privacyUrl": "https://it.contoso.com/privacy",
        "termsOfUseUrl": "https://it.contoso.com/terms",
    }

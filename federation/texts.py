"""The wording of the federation check (findings, cloud names, refused input), loaded from
``knowledge/data/findings.yaml`` and validated once. Python holds the codes, YAML the sentences."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast, get_args

import yaml

from federation.model import FINDING_CODES, Cloud, Finding, Severity

# Placeholders the judge and the parser fill in; anything else in the YAML is a typo.
PLACEHOLDERS = frozenset(
    {
        "domain",
        "other",
        "name",
        "names",
        "target",
        "targets",
        "port",
        "expected",
        "cloud",
        "other_cloud",
        "detail",
        "host",
        "label",
        "length",
        "characters",
    }
)
INVALID_CODES = frozenset(
    {
        "empty",
        "input_too_long",
        "ip_address",
        "single_label",
        "empty_label",
        "label_too_long",
        "name_too_long",
        "illegal_characters",
        "numeric_tld",
        "bad_hyphen",
        "bad_idn",
        "several_domains",
        "wildcard",
        "teams_link",
    }
)
_SEVERITIES = frozenset(get_args(Severity))
_CLOUDS = frozenset(get_args(Cloud))


class TextsError(ValueError):
    """The findings file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class FindingText:
    severity: Severity
    message: str
    variants: dict[str, str]


@dataclass(frozen=True)
class Texts:
    findings: dict[str, FindingText]
    clouds: dict[str, str]
    invalid: dict[str, str]

    def finding(
        self, code: str, variant: str = "", severity: Severity | None = None, **values: str
    ) -> Finding:
        """A finding for ``code``; ``variant`` picks an alternative wording, ``values`` fill it."""
        text = self.findings[code]
        template = text.variants[variant] if variant else text.message
        return Finding(code, severity or text.severity, template.format(**values))

    def cloud_label(self, cloud: str) -> str:
        return self.clouds.get(cloud, cloud)

    def invalid_reason(self, code: str, **values: str) -> str:
        return self.invalid[code].format(**values)


def _fail(path: str, key: str, problem: str) -> TextsError:
    return TextsError(f"{path}: {key}: {problem}")


def _check_template(path: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, key, "must be a non-empty string")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
    except ValueError as exc:
        raise _fail(path, key, f"bad placeholder syntax ({exc})") from exc
    unknown = fields - PLACEHOLDERS
    if unknown:
        raise _fail(path, key, f"unknown placeholder(s) {sorted(unknown)}")
    return " ".join(value.split())


def _mapping(path: str, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, key, "must be a mapping")
    return cast(dict[str, Any], value)


def parse_texts(data: object, path: str = "findings.yaml") -> Texts:
    """Validate the YAML document ``data``; raise :class:`TextsError` naming the key at fault."""
    root = _mapping(path, "(top)", data)
    extra = set(root) - {"findings", "clouds", "invalid_domain"}
    if extra:
        raise _fail(path, "(top)", f"unknown key(s) {sorted(extra)}")
    findings: dict[str, FindingText] = {}
    raw_findings = _mapping(path, "findings", root.get("findings"))
    for code in sorted(set(raw_findings) | FINDING_CODES):
        key = f"findings.{code}"
        if code not in FINDING_CODES:
            raise _fail(path, key, "unknown finding code")
        if code not in raw_findings:
            raise _fail(path, key, "missing")
        entry = _mapping(path, key, raw_findings[code])
        unknown = set(entry) - {"severity", "message", "variants"}
        if unknown:
            raise _fail(path, key, f"unknown key(s) {sorted(unknown)}")
        severity = entry.get("severity")
        if severity not in _SEVERITIES:
            raise _fail(path, f"{key}.severity", f"must be one of {sorted(_SEVERITIES)}")
        variants = {
            str(name): _check_template(path, f"{key}.variants.{name}", text)
            for name, text in _mapping(path, f"{key}.variants", entry.get("variants", {})).items()
        }
        findings[code] = FindingText(
            cast(Severity, severity),
            _check_template(path, f"{key}.message", entry.get("message")),
            variants,
        )
    clouds = {
        str(k): _check_template(path, f"clouds.{k}", v)
        for k, v in _mapping(path, "clouds", root.get("clouds")).items()
    }
    if set(clouds) != _CLOUDS:
        raise _fail(path, "clouds", f"must name exactly {sorted(_CLOUDS)}")
    invalid = {
        str(k): _check_template(path, f"invalid_domain.{k}", v)
        for k, v in _mapping(path, "invalid_domain", root.get("invalid_domain")).items()
    }
    if set(invalid) != INVALID_CODES:
        raise _fail(path, "invalid_domain", f"must name exactly {sorted(INVALID_CODES)}")
    return Texts(findings, clouds, invalid)


def load_texts_file(path: Path) -> Texts:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TextsError(f"{path}: not valid YAML ({exc})") from exc
    return parse_texts(data, str(path))


@cache
def load_texts() -> Texts:
    """The shipped wording (validated once per process)."""
    resource = resources.files("knowledge") / "data" / "findings.yaml"
    with resources.as_file(resource) as path:
        return load_texts_file(path)

"""Which cloud a federation SRV target belongs to (federation-facts.md §1): lookups over the
cloud facts of ``knowledge/data/clouds.yaml`` (federation edges, Microsoft DNS suffixes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

from federation.model import Cloud
from knowledge.loader import load_cloud_facts

_CLOUD_IDS = frozenset(get_args(Cloud))


def _cloud(name: str) -> Cloud:
    if name not in _CLOUD_IDS:
        raise ValueError(f"clouds.yaml: clouds.{name}: not a cloud of federation.model.Cloud")
    return cast(Cloud, name)


_FACTS = load_cloud_facts()
FEDERATION_PORT = _FACTS.federation_port

# The federation edge per cloud (target of ``_sipfederationtls._tcp``).
FEDERATION_TARGETS: dict[str, Cloud] = {host: _cloud(c) for c, host in _FACTS.edges.items()}
EXPECTED_TARGET: dict[Cloud, str] = {cloud: host for host, cloud in FEDERATION_TARGETS.items()}
DEFAULT_TARGET = EXPECTED_TARGET["commercial"]

# Microsoft-operated DNS suffixes, most specific first, with the cloud they belong to.
MICROSOFT_SUFFIXES: tuple[tuple[str, Cloud], ...] = tuple(
    (suffix, _cloud(c)) for suffix, c in _FACTS.suffixes
)

MICROSOFT_365_CLOUDS: frozenset[Cloud] = frozenset(_cloud(c) for c in _FACTS.microsoft_365)

# Exchange Online's inbound mail hosts per cloud: the tenant's cloud as its MX record shows it.
# GCC uses the worldwide hosts; GCC High and DoD share office365.us.
MX_SUFFIXES: tuple[tuple[str, Cloud], ...] = (
    ("mail.protection.outlook.com", "commercial"),
    ("mail.protection.office365.us", "gcc_high"),
    ("mail.protection.partner.outlook.cn", "china"),
    ("mail.protection.outlook.cn", "china"),
    ("mail.protection.outlook.de", "germany"),
)
# Clouds that one MX suffix cannot tell apart.
SAME_MX_CLOUD: dict[Cloud, Cloud] = {"dod": "gcc_high"}


def mx_cloud(host: str) -> Cloud | None:
    """The Microsoft 365 cloud an MX host belongs to, or None for any other mail host."""
    host = normalise_host(host)
    for suffix, cloud in MX_SUFFIXES:
        if host.endswith("." + suffix):
            return cloud
    return None


TargetKind = Literal[
    "federation_edge", "microsoft_other", "zone_appended", "disabled", "on_premises"
]


@dataclass(frozen=True)
class TargetClass:
    """What an SRV target is: ``cloud`` is the cloud it belongs to (or was meant for)."""

    kind: TargetKind
    cloud: Cloud
    expected: str


def normalise_host(name: str) -> str:
    return name.lower().rstrip(".") if name not in (".", "") else "."


def microsoft_cloud(host: str) -> Cloud | None:
    """The cloud of a Microsoft-operated host name, or None for anyone else's."""
    host = normalise_host(host)
    for suffix, cloud in MICROSOFT_SUFFIXES:
        if host == suffix or host.endswith("." + suffix):
            return cloud
    return None


def classify_target(target: str, domain: str) -> TargetClass:
    """Classify the target of ``_sipfederationtls._tcp.<domain>``."""
    host = normalise_host(target)
    if host == ".":
        return TargetClass("disabled", "none", DEFAULT_TARGET)
    if host in FEDERATION_TARGETS:
        return TargetClass("federation_edge", FEDERATION_TARGETS[host], host)
    for edge, cloud in FEDERATION_TARGETS.items():
        if host.startswith(edge + "."):
            return TargetClass("zone_appended", cloud, edge)
    family = microsoft_cloud(host)
    if family is not None:
        return TargetClass("microsoft_other", family, EXPECTED_TARGET[family])
    if _zone_appended_twice(host, domain):
        return TargetClass("zone_appended", "on_premises", host[: -len(domain) - 1])
    return TargetClass("on_premises", "on_premises", host)


def _zone_appended_twice(host: str, domain: str) -> bool:
    """``sip.contoso.com.contoso.com``: a relative name entered with the zone already in it."""
    labels = domain.split(".")
    for start in range(len(labels) - 1):
        zone = ".".join(labels[start:])
        if host.endswith(f".{zone}.{zone}"):
            return True
    return False

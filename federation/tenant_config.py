"""A pasted tenant configuration as evidence: read ``Get-CsTenantFederationConfiguration`` and
``Get-CsExternalAccessPolicy`` output (Format-List or ``ConvertTo-Json``) and judge it against the
partner's domain and the contact type.

Pure: text in, data out (the property names, value spellings and wording come from
``knowledge/data/tenant_config.yaml`` and ``findings.yaml``, read once). The parser never raises:
output it cannot read gives :class:`ConfigUnreadable` naming the line, never a guess. Unknown
properties are tolerated (newer module versions add some); values it cannot interpret are left out
of the verdict and said so (``tenant_config_unclear``)."""

from __future__ import annotations

import html
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, cast

from federation.model import Finding
from federation.texts import Texts, load_texts
from knowledge.loader import shipped_document

MAX_CONFIG_CHARS = 512 * 1024
MAX_LINE_SHOWN = 100
CONTACT_ORG, CONTACT_CONSUMER = "external_org", "public_im"

# bool, domains, allowed_domains, or the name of a choice in values.choices (an enumeration)
_BUILT_IN_TYPES = ("bool", "domains", "allowed_domains", "users")
# Enumerations the judge reads, and the meanings each must define.
CHOICES: dict[str, frozenset[str]] = {
    "trial": frozenset({"blocked", "allowed"}),
    "communication": frozenset(
        {"organization_default", "allow_all", "allow_specific", "block_specific", "block_all"}
    ),
}
FEDERATION_ROLES = (
    "federation",
    "allowed_domains",
    "blocked_domains",
    "block_all_subdomains",
    "public_users",
    "consumer",
    "consumer_inbound",
    "trial_tenants",
    "allowed_trial_domains",
    "customize_federation",
    "blocked_users",
    "block_user_access",
)
POLICY_ROLES = (
    "federation",
    "public_cloud",
    "consumer",
    "consumer_inbound",
    "communication",
    "allowed_external",
    "blocked_external",
)
UNREADABLE_REASONS = ("not_config", "garbled_line", "bad_value", "bad_json", "too_long")
_UNREADABLE_PLACEHOLDERS = frozenset({"line", "text", "name", "value", "detail"})


class TenantConfigDataError(ValueError):
    """``tenant_config.yaml`` is malformed; the message names the key."""


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainList:
    """Domains from a list property. ``complete`` is False when the paste does not show all of
    them (PowerShell cut the list with "...", or printed a type name instead of the entries)."""

    domains: tuple[str, ...] = ()
    complete: bool = True


@dataclass(frozen=True)
class UserList:
    """``BlockedUsers``: addresses (lower case) and other identifiers (MRIs) as pasted;
    ``complete`` False when PowerShell cut the list."""

    users: tuple[str, ...] = ()
    complete: bool = True


@dataclass(frozen=True)
class AllowedDomains:
    """``AllowedDomains``: ``all_known`` (every domain not blocked) or ``list`` (only these)."""

    mode: Literal["all_known", "list"]
    listed: DomainList = DomainList()


@dataclass(frozen=True)
class FederationSettings:
    """One ``Get-CsTenantFederationConfiguration`` object. ``None``: not in the paste."""

    identity: str = ""
    allow_federated_users: bool | None = None
    allowed_domains: AllowedDomains | None = None
    blocked_domains: DomainList | None = None
    block_all_subdomains: bool | None = None
    allow_public_users: bool | None = None
    allow_teams_consumer: bool | None = None
    allow_teams_consumer_inbound: bool | None = None
    trial_tenants: str | None = None  # "blocked" | "allowed"
    allowed_trial_domains: DomainList | None = None
    customize_federation: bool | None = None
    # Get-CsTeamsExternalAccessConfiguration: external users blocked one by one (addresses, lower
    # case; MRIs such as "8:orgid:…" kept as pasted) and whether that block list applies.
    blocked_users: UserList | None = None
    block_user_access: bool | None = None
    # (property name, value as pasted) for values that could not be interpreted
    unclear: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AccessPolicy:
    """One ``Get-CsExternalAccessPolicy`` object. ``None``: not in the paste."""

    identity: str = ""
    enable_federation_access: bool | None = None
    enable_public_cloud_access: bool | None = None
    enable_teams_consumer_access: bool | None = None
    enable_teams_consumer_inbound: bool | None = None
    # CommunicationWithExternalOrgs (public preview): organization_default, allow_all,
    # allow_specific, block_specific, block_all; with its two domain lists
    communication: str | None = None
    allowed_external: DomainList | None = None
    blocked_external: DomainList | None = None
    unclear: tuple[tuple[str, str], ...] = ()

    @property
    def is_global(self) -> bool:
        return self.identity.strip().lower() in ("global", "")


@dataclass(frozen=True)
class TenantConfig:
    """What a paste said: the federation configuration(s) and external access policies in it."""

    federation: tuple[FederationSettings, ...] = ()
    policies: tuple[AccessPolicy, ...] = ()
    form: Literal["list", "json"] = "list"
    # property names seen that fedbot does not know (tolerated)
    extra_properties: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfigUnreadable:
    """The paste could not be read. ``line`` is 1-based (0: no particular line), ``text`` that
    line as pasted (shortened), ``reason`` one of :data:`UNREADABLE_REASONS`."""

    reason: str
    message: str
    line: int = 0
    text: str = ""


# --- knowledge data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    role: str  # "" for known-but-not-judged properties
    name: str
    type: str


@dataclass(frozen=True)
class ConfigData:
    """``tenant_config.yaml``, validated."""

    commands: dict[str, str]
    federation: dict[str, _Field]  # lower-case property name -> field
    policy: dict[str, _Field]
    true: frozenset[str]
    false: frozenset[str]
    choices: dict[str, dict[str, frozenset[str]]]  # choice -> meaning -> lower-case spellings
    all_known: frozenset[str]
    allow_list_types: frozenset[str]
    unreadable: dict[str, str]
    built_in_policies: frozenset[str] = frozenset()  # lower-case Identity

    @property
    def all_names(self) -> dict[str, str]:
        """Every known property, lower-case -> as Microsoft spells it (Identity included)."""
        names = {"identity": "Identity"}
        names.update({k: f.name for k, f in self.federation.items()})
        names.update({k: f.name for k, f in self.policy.items()})
        return names


def _fail(key: str, problem: str) -> TenantConfigDataError:
    return TenantConfigDataError(f"tenant_config.yaml: {key}: {problem}")


def _mapping(value: object, key: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise _fail(key, "must be a mapping with string keys")
    return cast(dict[str, Any], value)


def _words(value: object, key: str) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _fail(key, "must be a non-empty list of strings")
    return frozenset(v.strip().lower() for v in value)


def _fields(section: dict[str, Any], key: str, roles: tuple[str, ...]) -> dict[str, _Field]:
    out: dict[str, _Field] = {}
    raw = _mapping(section.get("fields"), f"{key}.fields")
    if set(raw) != set(roles):
        raise _fail(f"{key}.fields", f"must name exactly the roles {sorted(roles)}")
    entries: list[tuple[str, str, object, str]] = []
    for role, spec in raw.items():
        where = f"{key}.fields.{role}"
        spec = _mapping(spec, where)
        if set(spec) - {"name", "type", "aliases"}:
            raise _fail(where, f"unknown key(s) {sorted(set(spec) - {'name', 'type', 'aliases'})}")
        aliases = spec.get("aliases", [])
        if not isinstance(aliases, list):
            raise _fail(f"{where}.aliases", "must be a list of property names")
        for name in [spec.get("name", ""), *aliases]:
            entries.append((role, name, spec.get("type"), where))
    for name, ftype in _mapping(section.get("known", {}), f"{key}.known").items():
        entries.append(("", name, ftype, f"{key}.known.{name}"))
    for role, name, ftype, where in entries:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{1,80}", name):
            raise _fail(where, f"bad property name {name!r}")
        if ftype not in (*_BUILT_IN_TYPES, *CHOICES):
            raise _fail(where, f"type must be one of {[*_BUILT_IN_TYPES, *CHOICES]}")
        if name.lower() in out or name.lower() == "identity":
            raise _fail(where, f"duplicate property {name}")
        out[name.lower()] = _Field(role, name, ftype)
    return out


def parse_config_data(data: object) -> ConfigData:
    """Validate the YAML document ``data``; raise :class:`TenantConfigDataError` naming the key."""
    root = _mapping(data, "(top)")
    unknown = set(root) - {
        "source",
        "commands",
        "federation",
        "policy",
        "values",
        "unreadable",
    }
    if unknown:
        raise _fail("(top)", f"unknown key(s) {sorted(unknown)}")
    commands = _mapping(root.get("commands"), "commands")
    if set(commands) != {"federation", "policy"} or not all(
        isinstance(v, str) and v.strip() for v in commands.values()
    ):
        raise _fail("commands", "must give the federation and policy commands as strings")
    federation = _fields(
        _mapping(root.get("federation"), "federation"), "federation", FEDERATION_ROLES
    )
    policy = _fields(_mapping(root.get("policy"), "policy"), "policy", POLICY_ROLES)
    if set(federation) & set(policy):
        raise _fail(
            "policy", f"properties also in federation: {sorted(set(federation) & set(policy))}"
        )
    values = _mapping(root.get("values"), "values")
    raw_choices = _mapping(values.get("choices"), "values.choices")
    if set(raw_choices) != set(CHOICES):
        raise _fail("values.choices", f"must name exactly {sorted(CHOICES)}")
    choices: dict[str, dict[str, frozenset[str]]] = {}
    for choice, meanings in raw_choices.items():
        where = f"values.choices.{choice}"
        meanings = _mapping(meanings, where)
        if set(meanings) != CHOICES[choice]:
            raise _fail(where, f"must name exactly {sorted(CHOICES[choice])}")
        choices[choice] = {k: _words(v, f"{where}.{k}") for k, v in meanings.items()}
    unreadable = _mapping(root.get("unreadable"), "unreadable")
    if set(unreadable) != set(UNREADABLE_REASONS):
        raise _fail("unreadable", f"must name exactly {list(UNREADABLE_REASONS)}")
    for reason, text in unreadable.items():
        if not isinstance(text, str) or not text.strip():
            raise _fail(f"unreadable.{reason}", "must be a non-empty string")
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            raise _fail(f"unreadable.{reason}", f"bad placeholder syntax ({exc})") from exc
        if used - _UNREADABLE_PLACEHOLDERS:
            raise _fail(
                f"unreadable.{reason}",
                f"unknown placeholder(s) {sorted(used - _UNREADABLE_PLACEHOLDERS)}",
            )
    true, false = (
        _words(values.get("true"), "values.true"),
        _words(values.get("false"), "values.false"),
    )
    if true & false:
        raise _fail("values", f"spelled both true and false: {sorted(true & false)}")
    return ConfigData(
        commands={k: " ".join(v.split()) for k, v in commands.items()},
        federation=federation,
        policy=policy,
        true=true,
        false=false,
        choices=choices,
        all_known=_words(values.get("all_known_domains"), "values.all_known_domains"),
        allow_list_types=_words(values.get("allow_list_types"), "values.allow_list_types"),
        unreadable={k: " ".join(v.split()) for k, v in unreadable.items()},
        built_in_policies=_words(
            _mapping(root.get("policy"), "policy").get("built_in"), "policy.built_in"
        ),
    )


@cache
def load_config_data() -> ConfigData:
    """The shipped ``tenant_config.yaml`` (validated once per process)."""
    return parse_config_data(shipped_document("tenant_config.yaml"))


def config_commands() -> tuple[str, str]:
    """The commands whose output fedbot reads: federation configuration, external access policy."""
    data = load_config_data()
    return data.commands["federation"], data.commands["policy"]


# --- recognising a paste -------------------------------------------------------------------------


@cache
def _setting_names() -> str:
    """The settings' names (Identity aside) as one regex alternation."""
    names = load_config_data().all_names.values()
    return "|".join(sorted(re.escape(n) for n in names if n != "Identity"))


@cache
def _name_pattern() -> re.Pattern[str]:
    names = _setting_names()
    return re.compile(
        # "Name : value" at a line start, or a JSON key anywhere after "{" or "," (one-line
        # ConvertTo-Json -Compress output has every key on the same line).
        r"""(?im)(?:^[ \t>]{0,8}"?|[{,][ \t]{0,8}")(""" + names + r""")"?[ \t]*:""",
    )


def looks_like_tenant_config(text: str) -> bool:
    """True when ``text`` carries at least two of the settings these cmdlets print, as
    ``Name : Value`` lines or JSON keys, or a table with one of them as a column (``Select-Object``
    of a few properties prints a table) — cheap enough to run on every message."""
    text = text[:MAX_CONFIG_CHARS]
    if "---" in text and any(ours for _, ours in _table_starts(text.split("\n"))):
        return True
    if ":" not in text:
        return False
    seen: set[str] = set()
    for match in _name_pattern().finditer(text):
        seen.add(match.group(1).lower())
        if len(seen) >= 2:
            return True
    return False


# --- parsing: raw records ------------------------------------------------------------------------


@dataclass
class _Raw:
    """One pasted object: property (lower-case) -> (name as pasted, value, line number, line)."""

    values: dict[str, tuple[str, object, int, str]] = field(default_factory=dict)


class _Unreadable(Exception):
    def __init__(self, reason: str, line: int = 0, text: str = "", **values: str) -> None:
        super().__init__(reason)
        self.reason, self.line, self.text, self.values = reason, line, text, values


# Indented up to 16 columns: pastes inside quoted or indented code blocks.
_PROPERTY = re.compile(r"^([ \t]{0,16})([A-Za-z][A-Za-z0-9_]{0,80})[ \t]*:(?:[ \t]?(.*))?$")
_PROMPT = re.compile(
    r"^\s*(?:PS\b.*>|>\s|#\s|\$\w+\s*=|```|~~~|(?:Get|Set|Connect|Import)-\w)", re.IGNORECASE
)


def _shown(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= MAX_LINE_SHOWN else line[: MAX_LINE_SHOWN - 1] + "…"


# A line this long is prose even when it starts with a property's name (unless ":" or "=" follows
# the name).
MIN_REMARK_WORDS = 5
MAX_INLINE_VALUE = 40  # a value followed by another "Name : Value" on its line is this short
_ASSIGNED = re.compile(r"\S+\s*[:=]")  # "Name : value", "Name = value": not a remark
_UNDERLINE = re.compile(r"^[ \t]*-{2,}(?:[ \t]+-{2,})*[ \t]*$")
_HEADER_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,80}")


def _table_starts(lines: list[str]) -> Iterator[tuple[int, bool]]:
    """Table headers: property names over a line of dashes, one group per column; with whether
    one of them is a setting fedbot knows (else the table is another cmdlet's, such as
    ``Get-CsAllowedDomain | ft Identity,ProxyFqdn``)."""
    known = load_config_data().all_names
    for index in range(1, len(lines)):
        if not _UNDERLINE.match(lines[index]):
            continue
        words = lines[index - 1].split()
        groups = lines[index].split()
        if words and len(words) == len(groups) and all(_HEADER_WORD.fullmatch(w) for w in words):
            ours = any(w.lower() in known and w.lower() != "identity" for w in words)
            yield index - 1, ours


def _table_records(lines: list[str]) -> list[_Raw]:
    """Format-Table output (what ``Select-Object`` of up to four properties prints): a header,
    a line of dashes marking each column's span, a row per object. The table's lines are blanked
    in ``lines`` so the Format-List reader skips them; another cmdlet's table is only blanked."""
    records: list[_Raw] = []
    for header, ours in list(_table_starts(lines)):
        dashes = lines[header + 1]
        spans = [m.span() for m in re.finditer(r"-+", dashes)]
        names = lines[header].split()
        lines[header] = lines[header + 1] = ""
        row = header + 2
        while row < len(lines) and lines[row].strip() and not _PROMPT.match(lines[row]):
            text, raw = lines[row], _Raw()
            for column, (name, (start, _)) in enumerate(zip(names, spans, strict=True)):
                end = spans[column + 1][0] if column + 1 < len(spans) else len(text)
                raw.values[name.lower()] = (name, text[start:end].strip(), row + 1, text)
            if ours:
                records.append(raw)
            lines[row] = ""
            row += 1
    return records


def _format_list_records(lines: list[str]) -> list[_Raw]:
    """Format-List output: ``Name : Value`` lines, long or short padding, values wrapped onto
    indented lines, objects one after another (a repeated property or ``Identity`` starts the
    next). Prose and prompts around the output are skipped; a stray line inside it is garbled."""
    known = load_config_data().all_names
    records: list[_Raw] = []
    current = _Raw()
    value = _Value()  # the property being read (wrapped values are added to it)
    kinds: list[str] = []  # per line: "prop", "cont", "blank", "other"
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            kinds.append("blank")
            if not value.open:
                value = value.close(current)
            continue
        if value.open:
            value.add(stripped)
            kinds.append("cont")
            continue
        match = _PROPERTY.match(line.rstrip())
        if match and value.key and len(match.group(1)) > value.indent + 2:
            match = None  # indented deeper than the property: its wrapped value
        if match and not _PROMPT.match(line):
            value.close(current)
            name = match.group(2)
            key = name.lower()
            if current.values and (key in current.values or key == "identity"):
                records.append(current)
                current = _Raw()
            rest, pairs = _inline_pairs((match.group(3) or "").strip())
            *earlier, (name, rest) = [(name, rest), *pairs]
            for other, other_value in earlier:
                current.values[other.lower()] = (other, other_value, number, line)
            key = name.lower()
            value = _Value(key, name, number, line, [rest])
            value.indent = len(match.group(1))
            current.values[key] = (name, "", number, line)
            # "Fix: removed …" in the prose around a listing: a label, not a property line
            label = key not in known and not line[match.end(2) : match.end(2) + 1].isspace()
            kinds.append("label" if label else "prop")
            continue
        indent = len(line) - len(line.lstrip())
        if value.key and indent > value.indent and kinds[-1] in ("prop", "cont"):
            value.add(stripped)
            kinds.append("cont")
            continue
        first = re.split(r"[\s:=]", stripped, maxsplit=1)[0].lower()
        if first in known and not _PROMPT.match(line) and not _remark(stripped):
            raise _Unreadable("garbled_line", number, _shown(line))
        if value.key and value.key not in known and kinds[-1] in ("prop", "cont"):
            # free text (a Description, a new property) wrapped with its indentation lost
            value.add(" " + stripped)
            kinds.append("cont")
            continue
        kinds.append("other")
        value = value.close(current)
    value.close(current)
    if current.values:
        records.append(current)
    # A stray line between two property lines of one listing is garbled, not prose.
    for index, kind in enumerate(kinds):
        if kind != "other" or _PROMPT.match(lines[index]):
            continue
        before = kinds[index - 1] if index else "blank"
        after = kinds[index + 1] if index + 1 < len(kinds) else "blank"
        if before in ("prop", "cont") and after == "prop":
            raise _Unreadable("garbled_line", index + 1, _shown(lines[index]))
    return records


@cache
def _inline_pattern() -> re.Pattern[str]:
    return re.compile(r"(?i)[,;]?[ \t]+(" + _setting_names() + r")[ \t]*:[ \t]*")


def _inline_pairs(rest: str) -> tuple[str, list[tuple[str, str]]]:
    """A value and the further ``(name, value)`` pairs written on its line ("AllowTeamsConsumer :
    False, AllowTeamsConsumerInbound : False."). Only a short value splits (a Description's prose
    stays whole)."""
    found = list(_inline_pattern().finditer(rest)) if ":" in rest else []
    if not found or not 0 < found[0].start() <= MAX_INLINE_VALUE:
        return rest, []
    ends = [m.start() for m in found[1:]] + [len(rest)]
    pairs = [(m.group(1), rest[m.end() : end].strip()) for m, end in zip(found, ends, strict=True)]
    return rest[: found[0].start()], pairs


def _remark(stripped: str) -> bool:
    """A sentence that starts with a property's name ("AllowedDomains is just empty. Every …"):
    the admin's remark on the listing, not a garbled property line (one between two property
    lines is still garbled, see :func:`_format_list_records`)."""
    return _ASSIGNED.match(stripped) is None and len(stripped.split()) >= MIN_REMARK_WORDS


_NEXT_ITEM = re.compile(r"(?i)domain\s*=")


@dataclass
class _Value:
    """A property's value while its wrapped lines are read (parts joined once: linear)."""

    key: str = ""
    name: str = ""
    number: int = 0
    line: str = ""
    parts: list[str] = field(default_factory=list)
    depth: int = 0  # "{" not yet closed
    indent: int = 0  # the property line's indentation

    def __post_init__(self) -> None:
        self.depth = sum(p.count("{") - p.count("}") for p in self.parts)

    @property
    def open(self) -> bool:
        return bool(self.key) and self.depth > 0

    def add(self, more: str) -> None:
        if self.parts and _NEXT_ITEM.match(more) and not self.parts[-1].rstrip().endswith(","):
            more = ", " + more  # an AllowList printed one "Domain=…" entry a line
        self.parts.append(more)
        self.depth += more.count("{") - more.count("}")

    def close(self, record: _Raw) -> _Value:
        """Store the value in ``record``; the next line belongs to no property."""
        if self.key:
            record.values[self.key] = (self.name, "".join(self.parts), self.number, self.line)
        return _Value()


# JSON --------------------------------------------------------------------------------------------

_JSON_START = re.compile(r"(?m)^[ \t]*[\[{]")


def _json_records(text: str) -> list[_Raw] | None:
    """ConvertTo-Json output (one or several documents, an object or an array of objects, PS 5's
    ``{"value": [...], "Count": n}`` wrapper too). None when the paste holds no JSON."""
    start = _JSON_START.search(text)
    if start is None or not re.match(r"\s*[\[{]\s*(?:\"|\]|\}|$|\{)", text[start.end() - 1 :]):
        return None
    decoder = json.JSONDecoder()
    records: list[_Raw] = []
    position = start.end() - 1
    while True:
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            line = text.count("\n", 0, exc.pos) + 1
            raise _Unreadable(
                "bad_json", line, _shown(_line_at(text, exc.pos)), detail=exc.msg
            ) from None
        except RecursionError:
            raise _Unreadable("bad_json", 0, "", detail="nested too deeply") from None
        for obj in _objects(document):
            records.append(_json_record(obj, text, position, end))
        following = _JSON_START.search(text, end)
        if following is None:
            return records
        position = following.end() - 1


def _objects(document: object) -> Iterator[dict[str, Any]]:
    if isinstance(document, list):
        for item in document:
            yield from _objects(item)
    elif isinstance(document, dict):
        wrapped = document.get("value")
        if isinstance(wrapped, list) and set(document) <= {"value", "Count"}:
            yield from _objects(wrapped)
        else:
            yield cast(dict[str, Any], document)


def _json_record(obj: dict[str, Any], text: str, start: int, end: int) -> _Raw:
    raw = _Raw()
    for name, value in obj.items():
        found = text.find(f'"{name}"', start, end)
        where = found if found >= 0 else start
        number = text.count("\n", 0, where) + 1
        raw.values[str(name).lower()] = (str(name), value, number, _line_at(text, where))
    return raw


def _line_at(text: str, position: int) -> str:
    begin = text.rfind("\n", 0, position) + 1
    finish = text.find("\n", position)
    return text[begin : finish if finish >= 0 else len(text)]


# --- parsing: values -----------------------------------------------------------------------------


_DOMAIN = re.compile(r"(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
_DOMAIN_ITEM = re.compile(r"(?i)^@?\{?\s*(?:domain\s*=\s*)?([^\s{}=;,]+?)\s*\}?$")
_ELLIPSIS = ("...", "…")


def _word(value: str) -> str:
    """A value as one lower-case word: ``False.`` at the end of a sentence is ``false``."""
    return value.strip().rstrip(".,;").lower()


def _as_bool(value: object, data: ConfigData) -> bool | None:
    """True/False, or None when blank; raises ValueError for anything else."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = _word(value)
        if not word:
            return None
        if word in data.true:
            return True
        if word in data.false:
            return False
    raise ValueError("True or False")


def _domain_items(items: list[object]) -> DomainList:
    domains: list[str] = []
    complete = True
    for item in items:
        if isinstance(item, dict):
            lowered = {str(k).lower(): v for k, v in item.items()}
            item = lowered.get("domain", lowered.get("name"))
        if not isinstance(item, str):
            complete = False
            continue
        word = item.strip()
        if word.endswith(_ELLIPSIS):
            complete = False
            word = word.rstrip(".…").strip()
        if not word:
            continue
        match = _DOMAIN_ITEM.match(word)
        domain = match.group(1).lower().rstrip(".") if match else ""
        if _DOMAIN.fullmatch(domain):
            domains.append(domain)
        else:
            complete = False  # a type name or something unreadable in place of an entry
    return DomainList(tuple(dict.fromkeys(domains)), complete)


def _split_list(text: str) -> list[object]:
    inner = text.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    elif inner.startswith("{"):
        inner = inner[1:] + "..."  # cut off mid-list
    return [part for part in (p.strip() for p in inner.split(",")) if part]


def _as_domains(value: object) -> DomainList:
    if value is None:
        return DomainList()
    if isinstance(value, list):
        return _domain_items(value)
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        for key in ("alloweddomain", "blockeddomain", "domains", "value"):
            if key in lowered:
                return _as_domains(lowered[key])
        return _domain_items([value]) if value else DomainList()
    if isinstance(value, str):
        if value.strip() in ("", "{}"):
            return DomainList()
        return _domain_items(_split_list(value))
    raise ValueError("a list of domains")


_USER_ITEM = re.compile(
    r"(?i)^(?:sip:)?([\w.%+'-]{1,64}@[a-z0-9.-]{1,253}|\d{1,2}:[\w:.-]{1,200})$"
)


def _as_users(value: object) -> UserList:
    """BlockedUsers as Format-List (``{a@x.com, 8:orgid:…}``) or JSON (a list of strings)."""
    if value is None:
        return UserList()
    if isinstance(value, str):
        if value.strip() in ("", "{}"):
            return UserList()
        items: list[object] = _split_list(value)
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError("a list of addresses")
    users: list[str] = []
    complete = True
    for item in items:
        if not isinstance(item, str):
            complete = False
            continue
        word = item.strip().strip('"')
        if word.endswith(_ELLIPSIS):
            complete = False
            word = word.rstrip(".…").strip()
        match = _USER_ITEM.match(word)
        if match is None:
            complete = complete and not word
            continue
        found = match.group(1)
        users.append(found.lower() if "@" in found else found)
    return UserList(tuple(dict.fromkeys(users)), complete)


def _type_name(word: str) -> str:
    return word.strip().strip("{}").strip().rsplit(".", 1)[-1].lower()


def _as_allowed(value: object, data: ConfigData) -> AllowedDomains | None:
    """AllowedDomains: None when it cannot be told (raises ValueError for nonsense)."""
    if value is None:
        return AllowedDomains("list")
    if isinstance(value, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        if not lowered or lowered.keys() & data.all_known:
            return AllowedDomains("all_known")
        if "alloweddomain" in lowered:
            return AllowedDomains("list", _as_domains(lowered["alloweddomain"]))
        if "domain" in lowered:
            return AllowedDomains("list", _as_domains([value]))
        return None
    if isinstance(value, list):
        return AllowedDomains("list", _as_domains(value))
    if not isinstance(value, str):
        raise ValueError("AllowAllKnownDomains or a list of domains")
    word = value.strip()
    if not word:
        return AllowedDomains("list")
    name = _type_name(word)
    if name in data.all_known:
        return AllowedDomains("all_known")
    if name in data.allow_list_types:
        return AllowedDomains("list", DomainList((), complete=False))
    if word == "{}":
        return None  # an empty collection where an object belongs: cannot tell which
    inner = re.sub(r"(?i)^\{?\s*alloweddomain\s*=\s*", "", word)
    listed = _as_domains(inner if inner.startswith("{") else "{" + inner.strip("{}") + "}")
    if not listed.domains and listed.complete:
        return None
    if not listed.domains and not re.search(r"(?i)domain\s*=", word):
        return None
    return AllowedDomains("list", listed)


def _as_choice(value: object, meanings: dict[str, frozenset[str]]) -> str | None:
    """The meaning of an enumeration's value: its name as printed, or a number (ConvertTo-Json
    without -EnumsAsStrings) only when the data lists that number as a documented spelling."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        word = _word(value)
        if not word:
            return None
        for meaning, spellings in meanings.items():
            if word in spellings:
                return meaning
    if value is None:
        return None
    raise LookupError  # an undocumented number or a new value: cannot tell


def _unclear_variant(detail: str, policy: bool) -> str:
    """The wording for a value left out of the verdict: an enumeration's bare number says how to
    get its name; otherwise the command that prints the setting."""
    if re.fullmatch(r"-?\d{1,10}", detail.strip()):
        return "enum_number"
    return "policy" if policy else ""


_KIND_WORDS = {
    "bool": "True or False",
    "domains": "a list of domains",
    "allowed_domains": "AllowAllKnownDomains or a list of domains",
    "users": "a list of addresses",
}


def _interpret(
    raw: _Raw, fields: dict[str, _Field], data: ConfigData
) -> tuple[dict[str, object], list[tuple[str, str]], bool]:
    """Role -> interpreted value for the fields of one kind in ``raw``; the unclear values; and
    whether any field of this kind was there at all."""
    out: dict[str, object] = {}
    unclear: list[tuple[str, str]] = []
    present = False
    for key, (_, value, number, line) in raw.values.items():
        spec = fields.get(key)
        if spec is None:
            continue
        present = True
        try:
            if spec.type == "bool":
                result: object = _as_bool(value, data)
            elif spec.type == "domains":
                result = _as_domains(value)
            elif spec.type == "users":
                result = _as_users(value)
            elif spec.type == "allowed_domains":
                result = _as_allowed(value, data)
                if result is None:
                    unclear.append((spec.name, _value_text(value)))
            else:
                result = _as_choice(value, data.choices[spec.type])
        except LookupError:
            unclear.append((spec.name, _value_text(value)))
            continue
        except ValueError:
            raise _Unreadable(
                "bad_value",
                number,
                _shown(line),
                name=spec.name,
                value=_value_text(value),
                detail=_KIND_WORDS.get(spec.type, spec.type),
            ) from None
        if spec.role:
            out[spec.role] = result
    return out, unclear, present


def _value_text(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _shown(text)


def _identity(raw: _Raw) -> str:
    entry = raw.values.get("identity")
    return "" if entry is None or not isinstance(entry[1], str) else entry[1].strip()


def _build(
    records: list[_Raw], form: Literal["list", "json"], data: ConfigData
) -> TenantConfig | None:
    federation: list[FederationSettings] = []
    policies: list[AccessPolicy] = []
    extra: dict[str, None] = {}
    for raw in records:
        fed, unclear, is_fed = _interpret(raw, data.federation, data)
        pol, policy_unclear, is_policy = _interpret(raw, data.policy, data)
        if not (is_fed or is_policy):
            continue
        for key, entry in raw.values.items():
            if key not in data.all_names:
                extra[entry[0]] = None
        identity = _identity(raw)
        if is_fed:
            federation.append(
                FederationSettings(
                    identity=identity,
                    allow_federated_users=cast(bool | None, fed.get("federation")),
                    allowed_domains=cast(AllowedDomains | None, fed.get("allowed_domains")),
                    blocked_domains=cast(DomainList | None, fed.get("blocked_domains")),
                    block_all_subdomains=cast(bool | None, fed.get("block_all_subdomains")),
                    allow_public_users=cast(bool | None, fed.get("public_users")),
                    allow_teams_consumer=cast(bool | None, fed.get("consumer")),
                    allow_teams_consumer_inbound=cast(bool | None, fed.get("consumer_inbound")),
                    trial_tenants=cast(str | None, fed.get("trial_tenants")),
                    allowed_trial_domains=cast(DomainList | None, fed.get("allowed_trial_domains")),
                    customize_federation=cast(bool | None, fed.get("customize_federation")),
                    blocked_users=cast(UserList | None, fed.get("blocked_users")),
                    block_user_access=cast(bool | None, fed.get("block_user_access")),
                    unclear=tuple(unclear),
                )
            )
        if is_policy:
            policies.append(
                AccessPolicy(
                    identity=identity,
                    enable_federation_access=cast(bool | None, pol.get("federation")),
                    enable_public_cloud_access=cast(bool | None, pol.get("public_cloud")),
                    enable_teams_consumer_access=cast(bool | None, pol.get("consumer")),
                    enable_teams_consumer_inbound=cast(bool | None, pol.get("consumer_inbound")),
                    communication=cast(str | None, pol.get("communication")),
                    allowed_external=cast(DomainList | None, pol.get("allowed_external")),
                    blocked_external=cast(DomainList | None, pol.get("blocked_external")),
                    unclear=tuple(policy_unclear),
                )
            )
    if not federation and not policies:
        return None
    return TenantConfig(tuple(federation), tuple(policies), form, tuple(extra))


def parse_tenant_config(
    text: str, data: ConfigData | None = None
) -> TenantConfig | ConfigUnreadable:
    """Read pasted ``Get-CsTenantFederationConfiguration`` / ``Get-CsExternalAccessPolicy`` output
    (Format-List or ConvertTo-Json, several objects one after another). Never raises. ``data``:
    the property names and spellings (default: the shipped ``tenant_config.yaml``)."""
    data = data or load_config_data()
    try:
        if len(text) > MAX_CONFIG_CHARS:
            raise _Unreadable("too_long", value=str(len(text)))
        text = _plain(text)
        records = _json_records(text)
        form: Literal["list", "json"] = "json"
        if records is None:
            lines = text.split("\n")
            tables = _table_records(lines) if "--" in text else []
            records, form = tables + _format_list_records(lines), "list"
        config = _build(records, form, data)
        if config is None:
            raise _Unreadable("not_config", *_first_line(text))
        return config
    except _Unreadable as problem:
        values = {
            "line": str(problem.line),
            "text": problem.text,
            "name": "",
            "value": "",
            "detail": "",
        }
        values.update(problem.values)
        message = data.unreadable[problem.reason].format(**values)
        return ConfigUnreadable(problem.reason, message, problem.line, problem.text)
    except (RecursionError, MemoryError):  # pragma: no cover - pathological input
        message = data.unreadable["not_config"]
        return ConfigUnreadable("not_config", message)


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Slack sends links as <http://contoso.com|contoso.com> and escapes & < > as entities.
_SLACK_LINK = re.compile(r"<(?:https?://|mailto:|sip:)([^<>|\s]{0,500})(?:\|([^<>]{0,500}))?>")
# Teams sends a message as HTML: lines in <p> / <div>, breaks as <br>.
_HTML_BREAK = re.compile(r"(?i)<br\s*/?>|</(?:p|div|pre|li|tr)>")
_HTML_TAG = re.compile(r"(?i)</?[a-z][a-z0-9]{0,20}(?:\s[^<>]{0,500})?/?>")


_QUOTE = re.compile(r"(?m)^[ \t]*>[ \t]?")


def _plain(text: str) -> str:
    """The paste as the console printed it: line ends unified, invisible characters gone, chat
    markup (Slack links and entities, Teams HTML) undone."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text:
        text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
        if _HTML_BREAK.search(text):
            text = _HTML_TAG.sub("", _HTML_BREAK.sub("\n", text))
    if "&" in text:
        text = html.unescape(text)
    text = _INVISIBLE.sub("", text).replace("\u00a0", " ")
    lines = [line for line in text.split("\n") if line.strip()]
    if lines and sum(line.lstrip().startswith(">") for line in lines) * 2 > len(lines):
        text = _QUOTE.sub("", text)  # quoted as a whole (e-mail or chat "> " quoting)
    return text


def _first_line(text: str) -> tuple[int, str]:
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            return number, _shown(line)
    return 0, ""


# --- judging -------------------------------------------------------------------------------------


def _normalise_domain(domain: str | None) -> str | None:
    if not domain:
        return None
    domain = domain.strip().lower().rstrip(".")
    if "@" in domain:
        domain = domain.rsplit("@", 1)[1]
    return domain or None


def _covering(domain: str, listed: tuple[str, ...]) -> str | None:
    """The listed domain ``domain`` is a subdomain of (not equal to), if any."""
    for entry in listed:
        entry = entry.removeprefix("*.")
        if domain.endswith("." + entry):
            return entry
    return None


def _domains_of(listed: DomainList | None) -> tuple[str, ...]:
    return () if listed is None else listed.domains


def _names(domains: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(domains[:limit])
    return shown + (f" and {len(domains) - limit} more" if len(domains) > limit else "")


class _Judge:
    def __init__(
        self, texts: Texts, partner: str | None, contact: str | None, address: str | None = None
    ) -> None:
        self.texts, self.partner, self.contact = texts, partner, contact
        self.address = address  # the external contact's address, when the partner was one
        self.findings: list[Finding] = []

    def add(self, code: str, variant: str = "", severity: Any = None, **values: str) -> None:
        finding = self.texts.finding(code, variant, severity, **values)
        if finding not in self.findings:
            self.findings.append(finding)

    @property
    def org(self) -> bool:
        return self.contact != CONTACT_CONSUMER

    @property
    def consumer(self) -> bool:
        return self.contact != CONTACT_ORG

    def settings(self, fed: FederationSettings) -> None:
        for name, value in fed.unclear:
            self.add(
                "tenant_config_unclear", _unclear_variant(value, False), name=name, detail=value
            )
        if self.org:
            self.organisations(fed)
        if self.consumer:
            if fed.allow_teams_consumer is False:
                self.add("tenant_consumer_off")
            elif fed.allow_teams_consumer_inbound is False:
                self.add("tenant_consumer_inbound_off")
            if fed.allow_public_users is not None and self.contact == CONTACT_CONSUMER:
                self.add("tenant_public_users_deprecated", detail=str(fed.allow_public_users))

    def organisations(self, fed: FederationSettings) -> None:
        partner = self.partner
        if fed.allow_federated_users is False:
            self.add("tenant_federation_off")
        allowed = fed.allowed_domains
        if allowed is not None and allowed.mode == "list":
            self.allow_list(allowed.listed, partner)
        elif allowed is not None and partner and fed.blocked_domains is not None:
            blocked = fed.blocked_domains.domains
            if partner in blocked:
                self.add("tenant_partner_blocked", domain=partner)
            elif fed.block_all_subdomains and (parent := _covering(partner, blocked)):
                self.add("tenant_partner_blocked", "subdomain", domain=partner, other=parent)
            elif not fed.blocked_domains.complete:
                shown = _names(blocked) or "none"
                self.add("tenant_config_unclear", "blocked_hidden", domain=partner, names=shown)
        self.blocked_users(fed)
        if fed.trial_tenants == "blocked":
            trial_ok = fed.allowed_trial_domains
            if partner is None or trial_ok is None or partner not in trial_ok.domains:
                self.add("tenant_trial_tenants_blocked", domain=partner or "the other organisation")

    def blocked_users(self, fed: FederationSettings) -> None:
        """BlockedUsers applies while BlockExternalAccessUserAccess isn't False: the listed people
        can't reach your organisation, the rest of their organisation can."""
        listed = fed.blocked_users
        if listed is None or fed.block_user_access is False or not listed.users:
            return
        names = _names(listed.users)
        if self.address is not None:
            if self.address in listed.users:
                self.add("tenant_user_blocked", address=self.address)
            elif not listed.complete:
                self.add("tenant_blocked_users", "hidden", address=self.address, names=names)
            return
        on_list = [u for u in listed.users if self.partner and u.endswith("@" + self.partner)]
        if on_list:
            self.add("tenant_blocked_users", "partner", domain=self.partner or "", names=names)
        elif self.partner is None:
            self.add("tenant_blocked_users", names=names)

    def allow_list(self, listed: DomainList, partner: str | None) -> None:
        if not listed.domains and listed.complete:
            self.add("tenant_allow_list_empty")
        elif partner is None:
            if listed.complete:
                self.add("tenant_allow_list_only", names=_names(listed.domains))
            else:
                self.add("tenant_allow_list_hidden", domain="your partner", detail="")
        elif partner in listed.domains:
            self.add("tenant_allow_list_only", "partner_listed", domain=partner)
        elif not listed.complete:
            shown = f" (it shows {_names(listed.domains)})" if listed.domains else ""
            self.add("tenant_allow_list_hidden", domain=partner, detail=shown)
        elif parent := _covering(partner, listed.domains):
            self.add("tenant_partner_not_allowed", "parent_listed", domain=partner, other=parent)
        else:
            self.add("tenant_partner_not_allowed", domain=partner, names=_names(listed.domains))

    def policy(self, policy: AccessPolicy, customized: bool | None, built_in: bool) -> None:
        """A policy's settings. Global applies to everyone without another policy (an error); a
        built-in Tag: policy exists in every tenant whether or not anyone has it (information)."""
        variant = "global" if policy.is_global else ""
        severity: Any = "error" if policy.is_global else "info" if built_in else None
        name = policy.identity or "Global"
        for setting, value in policy.unclear:
            unclear = _unclear_variant(value, True)
            self.add("tenant_config_unclear", unclear, name=setting, detail=value)
        if self.org and policy.enable_federation_access is False:
            self.add("policy_federation_off", variant, severity, name=name)
        elif self.org and customized is not False:
            self.policy_domains(policy, name)
        if self.consumer:
            if policy.enable_teams_consumer_access is False:
                self.add("policy_consumer_off", variant, severity, name=name)
            elif policy.enable_teams_consumer_inbound is False:
                inbound = "global_inbound" if policy.is_global else "inbound"
                self.add(
                    "policy_consumer_off", inbound, "info" if built_in else "warning", name=name
                )
            if self.contact == CONTACT_CONSUMER and policy.enable_public_cloud_access is False:
                self.add("policy_public_cloud_off", name=name)

    def policy_domains(self, policy: AccessPolicy, name: str) -> None:
        """CommunicationWithExternalOrgs (applies when the tenant's CustomizeFederation is on)."""
        partner, mode = self.partner, policy.communication
        if mode == "block_all":
            self.add("policy_partner_blocked", "block_all", name=name)
        elif mode == "allow_specific" and policy.allowed_external is not None:
            listed = policy.allowed_external
            if partner is None:
                self.add(
                    "policy_partner_blocked",
                    "allow_list",
                    name=name,
                    names=_names(listed.domains) or "none",
                )
            elif partner not in listed.domains and listed.complete:
                self.add(
                    "policy_partner_blocked",
                    "not_allowed",
                    name=name,
                    domain=partner,
                    names=_names(listed.domains) or "none",
                )
        elif mode == "block_specific" and partner in _domains_of(policy.blocked_external):
            self.add("policy_partner_blocked", name=name, domain=partner or "")

    def conclusion(self, config: TenantConfig) -> None:
        """One "nothing here blocks it" line when the relevant settings were read and none does."""
        if any(f.severity in ("error", "warning") for f in self.findings):
            return
        partner = self.partner
        for fed in config.federation:
            allowed = fed.allowed_domains
            if self.org and fed.allow_federated_users and allowed is not None:
                listed = allowed.listed.domains
                if partner and (allowed.mode == "all_known" or partner in listed):
                    blocked_known = fed.blocked_domains is not None and fed.blocked_domains.complete
                    if blocked_known or allowed.mode == "list":
                        self.add("tenant_config_ok", domain=partner)
                elif not partner and allowed.mode == "all_known":
                    blocked = fed.blocked_domains.domains if fed.blocked_domains else ()
                    self.add("tenant_config_ok", "any_domain", names=_names(blocked) or "none")
            if self.consumer and fed.allow_teams_consumer:
                self.add("tenant_config_ok", "consumer")
        if config.policies and not any(
            f.code == "tenant_config_ok" or f.code.startswith("policy_") for f in self.findings
        ):
            self.add("tenant_config_ok", "policies")


_ORDER = {"error": 0, "warning": 1, "info": 2, "ok": 3}


def judge_tenant_config(
    config: TenantConfig, *, partner: str | None, contact: str | None
) -> tuple[Finding, ...]:
    """Findings for ``config`` against the partner's domain (``joe@x.com`` is fine too; None: any
    partner) and the contact type (``"external_org"``, ``"public_im"`` or None: both), most
    serious first. A setting the paste does not show is never judged."""
    address = partner.strip().lower().removeprefix("sip:") if partner and "@" in partner else None
    judge = _Judge(load_texts(), _normalise_domain(partner), contact, address)
    for fed in config.federation:
        judge.settings(fed)
    customized = next(
        (f.customize_federation for f in config.federation if f.customize_federation is not None),
        None,
    )
    built_in = load_config_data().built_in_policies
    for policy in config.policies:
        judge.policy(policy, customized, policy.identity.strip().lower() in built_in)
    judge.conclusion(config)
    return tuple(sorted(judge.findings, key=lambda f: _ORDER.get(f.severity, 9)))


def judge_tenant_config_text(
    text: str, *, partner: str | None, contact: str | None
) -> tuple[Finding, ...] | ConfigUnreadable:
    """Parse and judge in one step (for adapters that hold only the paste)."""
    config = parse_tenant_config(text)
    if isinstance(config, ConfigUnreadable):
        return config
    return judge_tenant_config(config, partner=partner, contact=contact)


__all__ = [
    "AccessPolicy",
    "AllowedDomains",
    "ConfigUnreadable",
    "DomainList",
    "FederationSettings",
    "TenantConfig",
    "UserList",
    "config_commands",
    "judge_tenant_config",
    "judge_tenant_config_text",
    "looks_like_tenant_config",
    "parse_tenant_config",
]

"""Load and validate the knowledge files (shipped YAML plus an organisation's overrides).

``load_knowledge()`` reads ``data/article.yaml``, ``data/signatures.yaml`` and
``data/messages.yaml``, then the organisation's override named by ``FEDBOT_KNOWLEDGE`` (a YAML
file, or a directory whose ``*.yaml`` files are applied in name order). Everything is validated
before a :class:`Knowledge` is returned; any problem raises :class:`KnowledgeError` whose message
starts with the file name and the key path, e.g. ``org.yaml: signatures[2].patterns[0]: ...``.

An override file may contain:

- ``escalation``: any of ``text``, ``contact``, ``ticket_url``, ``links`` (replace the shipped ones)
- ``signatures``: new signatures, or a complete replacement of a shipped one with the same ``id``
- ``home_domains``: the organisation's own SIP domains (replaces the list)
- ``messages``: dialog messages by key (merged over the shipped ones)
- ``causes`` / ``resolutions``: ``id`` plus text fields to replace (``title``, ``summary``,
  ``check_meaning`` / ``title``, ``intro``, ``steps``, ``notes``, ``links``, ``teams_today``)
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import yaml

from knowledge.model import (
    Cause,
    Cell,
    CheckKind,
    Escalation,
    Knowledge,
    Link,
    Option,
    Resolution,
    Signature,
)
from knowledge.triage import compile_phrase, normalise, recognise, signature_matches

DATA_DIR = Path(__file__).parent / "data"
SHIPPED_FILES = ("article.yaml", "signatures.yaml", "messages.yaml")
ENV_VAR = "FEDBOT_KNOWLEDGE"
CHECK_KINDS: tuple[CheckKind, ...] = ("none", "own_domain", "external_domain", "contact_format")
CHECK_STATUSES = ("ok", "problem", "dns_error")
MAX_FILE_BYTES = 2 * 1024 * 1024

_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_KEYWORD = re.compile(r"[a-z0-9_./:-]{2,40}")
_DOMAIN = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}"
)
_URL = re.compile(r"https?://[^\s]{1,2000}")

T = TypeVar("T")


class KnowledgeError(ValueError):
    """The knowledge files are invalid. The message names the file and the key path."""


@dataclass(frozen=True)
class _At:
    """Where a value sits: file name and key path, for error messages."""

    file: str
    path: str = ""

    def key(self, name: str) -> _At:
        return _At(self.file, f"{self.path}.{name}" if self.path else name)

    def index(self, i: int) -> _At:
        return _At(self.file, f"{self.path}[{i}]")

    def fail(self, problem: str) -> NoReturn:
        raise KnowledgeError(f"{self.file}: {self.path or '(top level)'}: {problem}")


# --- typed readers ---------------------------------------------------------------------------


def _mapping(
    value: object, at: _At, required: Iterable[str] = (), optional: Iterable[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        at.fail(f"expected a mapping, got {_kind(value)}")
    required, optional = tuple(required), tuple(optional)
    for key in value:
        if not isinstance(key, str):
            at.fail(f"keys must be strings, got {key!r}")
        if key not in required and key not in optional and key != "source":
            allowed = ", ".join(sorted({*required, *optional, "source"}))
            at.key(key).fail(f"unknown key (allowed: {allowed})")
    for key in required:
        if key not in value:
            at.key(key).fail("missing required key")
    if "source" in value:
        _source(value["source"], at.key("source"))
    return cast(dict[str, Any], value)


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


def _str(value: object, at: _At, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        at.fail(f"expected a string, got {_kind(value)}")
    if not empty and not value.strip():
        at.fail("must not be empty")
    return value.strip()


def _list(value: object, at: _At) -> list[Any]:
    if not isinstance(value, list):
        at.fail(f"expected a list, got {_kind(value)}")
    return value


def _strs(value: object, at: _At) -> tuple[str, ...]:
    return tuple(_str(v, at.index(i)) for i, v in enumerate(_list(value, at)))


def _id(value: object, at: _At) -> str:
    text = _str(value, at)
    if not _ID.fullmatch(text):
        at.fail(f"invalid id {text!r} (lower-case letters, digits and _; starting with a letter)")
    return text


def _source(value: object, at: _At) -> str:
    if isinstance(value, list):
        return "; ".join(_strs(value, at))
    return _str(value, at)


def _links(value: object, at: _At) -> tuple[Link, ...]:
    links = []
    for i, item in enumerate(_list(value, at)):
        here = at.index(i)
        raw = _mapping(item, here, required=("title", "url"))
        url = _str(raw["url"], here.key("url"))
        if not _URL.fullmatch(url):
            here.key("url").fail(f"not an http(s) URL: {url!r}")
        links.append(Link(title=_str(raw["title"], here.key("title")), url=url))
    return tuple(links)


def _domains(value: object, at: _At) -> tuple[str, ...]:
    domains = []
    for i, raw in enumerate(_list(value, at)):
        domain = _str(raw, at.index(i)).lower().rstrip(".")
        if not _DOMAIN.fullmatch(domain):
            at.index(i).fail(f"not a domain name: {domain!r}")
        domains.append(domain)
    return tuple(dict.fromkeys(domains))


def _unique_ids(items: list[tuple[str, _At]]) -> None:
    seen: dict[str, _At] = {}
    for ident, at in items:
        if ident in seen:
            at.key("id").fail(f"duplicate id {ident!r} (first at {seen[ident].path})")
        seen[ident] = at


# --- drafts: parsed values with their origin, merged before cross-checks ------------------------


@dataclass
class _SignatureDraft:
    signature: Signature
    at: _At
    order: int


@dataclass
class _Draft:
    symptoms: list[tuple[Option, _At]] = field(default_factory=list)
    contact_types: list[tuple[Option, _At]] = field(default_factory=list)
    scopes: list[tuple[Option, _At]] = field(default_factory=list)
    table: list[tuple[Cell, _At]] = field(default_factory=list)
    table_at: _At = _At("article.yaml", "table")
    causes: dict[str, tuple[Cause, _At]] = field(default_factory=dict)
    resolutions: dict[str, tuple[Resolution, _At]] = field(default_factory=dict)
    signatures: dict[str, _SignatureDraft] = field(default_factory=dict)
    escalation: Escalation = field(default_factory=lambda: Escalation(text=""))
    more_information: tuple[str, ...] = ()
    messages: dict[str, str] = field(default_factory=dict)
    home_domains: tuple[str, ...] = ()
    follow_up_causes: tuple[str, ...] = ()
    follow_up_at: _At = _At("article.yaml", "follow_up_causes")
    consumer_domains: tuple[str, ...] = ()
    ignored_domains: tuple[str, ...] = ()


def _options(value: object, at: _At) -> list[tuple[Option, _At]]:
    options = []
    for i, item in enumerate(_list(value, at)):
        here = at.index(i)
        raw = _mapping(item, here, required=("id", "label"), optional=("description", "short"))
        option = Option(
            id=_id(raw["id"], here.key("id")),
            label=_str(raw["label"], here.key("label")),
            description=_str(raw.get("description", ""), here.key("description"), empty=True),
            short=_str(raw.get("short", ""), here.key("short"), empty=True),
        )
        options.append((option, here))
    if not options:
        at.fail("must list at least one entry")
    _unique_ids([(o.id, a) for o, a in options])
    return options


def _check_meaning(value: object, at: _At) -> dict[str, str]:
    raw = _mapping(value, at, optional=CHECK_STATUSES)
    return {k: _str(v, at.key(k)) for k, v in raw.items() if k != "source"}


def _cause(item: object, at: _At) -> Cause:
    raw = _mapping(
        item,
        at,
        required=("id", "title", "summary", "resolution"),
        optional=(
            "check",
            "check_meaning",
            "contact_types",
            "symptoms",
            "cleared_by_check",
            "config_findings",
        ),
    )
    check = raw.get("check", "none")
    if check not in CHECK_KINDS:
        at.key("check").fail(f"unknown check {check!r} (one of {', '.join(CHECK_KINDS)})")
    meaning = _check_meaning(raw.get("check_meaning", {}), at.key("check_meaning"))
    if check == "none" and meaning:
        at.key("check_meaning").fail("given although check is none")
    if check != "none":
        for status in CHECK_STATUSES:
            if status not in meaning:
                at.key("check_meaning").key(status).fail(f"missing required key (check is {check})")
    return Cause(
        id=_id(raw["id"], at.key("id")),
        title=_str(raw["title"], at.key("title")),
        summary=_str(raw["summary"], at.key("summary")),
        resolution=_id(raw["resolution"], at.key("resolution")),
        check=cast(CheckKind, check),
        check_meaning=meaning,
        contact_types=tuple(
            _id(c, at.key("contact_types").index(i))
            for i, c in enumerate(_list(raw.get("contact_types", []), at.key("contact_types")))
        ),
        symptoms=tuple(
            _id(c, at.key("symptoms").index(i))
            for i, c in enumerate(_list(raw.get("symptoms", []), at.key("symptoms")))
        ),
        cleared_by_check=raw.get("cleared_by_check", False) is True,
        config_findings=tuple(
            _id(c, at.key("config_findings").index(i))
            for i, c in enumerate(_list(raw.get("config_findings", []), at.key("config_findings")))
        ),
    )


_RESOLUTION_TEXTS = ("title", "intro", "steps", "notes", "links", "teams_today")


def _resolution_fields(raw: Mapping[str, Any], at: _At) -> dict[str, Any]:
    readers: dict[str, Callable[[object, _At], Any]] = {
        "title": _str,
        "intro": _str,
        "steps": _strs,
        "notes": _strs,
        "links": _links,
        "teams_today": _strs,
    }
    return {k: readers[k](raw[k], at.key(k)) for k in _RESOLUTION_TEXTS if k in raw}


def _resolution(item: object, at: _At) -> Resolution:
    raw = _mapping(
        item,
        at,
        required=("id", "title", "intro", "steps"),
        optional=("notes", "links", "teams_today"),
    )
    fields = _resolution_fields(raw, at)
    if not fields["steps"]:
        at.key("steps").fail("must list at least one step")
    return Resolution(id=_id(raw["id"], at.key("id")), **fields)


def _by_id(items: list[tuple[T, _At]], ident: Callable[[T], str]) -> dict[str, tuple[T, _At]]:
    _unique_ids([(ident(x), a) for x, a in items])
    return {ident(x): (x, a) for x, a in items}


def _read_article(doc: object, draft: _Draft, file: str) -> None:
    top = _At(file)
    raw = _mapping(
        doc,
        top,
        required=(
            "symptoms",
            "contact_types",
            "scopes",
            "table",
            "causes",
            "resolutions",
            "more_information",
            "escalation",
        ),
        optional=("follow_up_causes", "consumer_domains", "home_domains"),
    )
    draft.symptoms = _options(raw["symptoms"], top.key("symptoms"))
    draft.contact_types = _options(raw["contact_types"], top.key("contact_types"))
    draft.scopes = _options(raw["scopes"], top.key("scopes"))
    draft.table_at = top.key("table")
    for i, item in enumerate(_list(raw["table"], draft.table_at)):
        here = draft.table_at.index(i)
        cell = _mapping(item, here, required=("contact_type", "scope", "causes"))
        causes = tuple(
            _id(c, here.key("causes").index(j))
            for j, c in enumerate(_list(cell["causes"], here.key("causes")))
        )
        if not causes:
            here.key("causes").fail("must list at least one cause")
        draft.table.append(
            (
                Cell(
                    _id(cell["contact_type"], here.key("contact_type")),
                    _id(cell["scope"], here.key("scope")),
                    causes,
                ),
                here,
            )
        )
    at = top.key("causes")
    draft.causes = _by_id(
        [(_cause(c, at.index(i)), at.index(i)) for i, c in enumerate(_list(raw["causes"], at))],
        lambda c: c.id,
    )
    at = top.key("resolutions")
    draft.resolutions = _by_id(
        [
            (_resolution(r, at.index(i)), at.index(i))
            for i, r in enumerate(_list(raw["resolutions"], at))
        ],
        lambda r: r.id,
    )
    draft.more_information = _strs(raw["more_information"], top.key("more_information"))
    draft.escalation = _escalation(raw["escalation"], top.key("escalation"), None)
    draft.follow_up_at = top.key("follow_up_causes")
    draft.follow_up_causes = tuple(
        _id(c, draft.follow_up_at.index(i))
        for i, c in enumerate(_list(raw.get("follow_up_causes", []), draft.follow_up_at))
    )
    draft.consumer_domains = _domains(raw.get("consumer_domains", []), top.key("consumer_domains"))
    draft.home_domains = _domains(raw.get("home_domains", []), top.key("home_domains"))


def _escalation(value: object, at: _At, base: Escalation | None) -> Escalation:
    keys = ("text", "contact", "ticket_url", "links")
    raw = _mapping(value, at, required=() if base else ("text",), optional=keys)
    result = base or Escalation(text="")
    if "text" in raw:
        result = replace(result, text=_str(raw["text"], at.key("text")))
    if "contact" in raw:
        result = replace(result, contact=_str(raw["contact"], at.key("contact"), empty=True))
    if "ticket_url" in raw:
        url = _str(raw["ticket_url"], at.key("ticket_url"), empty=True)
        if url and not _URL.fullmatch(url):
            at.key("ticket_url").fail(f"not an http(s) URL: {url!r}")
        result = replace(result, ticket_url=url)
    if "links" in raw:
        result = replace(result, links=_links(raw["links"], at.key("links")))
    return result


_SIGNATURE_REQUIRED = ("id", "title", "meaning", "symptom", "likely_causes", "examples")
_SIGNATURE_OPTIONAL = (
    "patterns",
    "phrases",
    "contact_type",
    "negatives",
    "priority",
    "keywords",
    "context",
    "context_window",
)
DEFAULT_CONTEXT_WINDOW = 300
MAX_CONTEXT_WINDOW = 2000


def _signature(item: object, at: _At) -> Signature:
    raw = _mapping(item, at, required=_SIGNATURE_REQUIRED, optional=_SIGNATURE_OPTIONAL)
    if "patterns" not in raw and "phrases" not in raw:
        at.key("patterns").fail("missing required key (or give phrases)")
    patterns = _patterns(raw.get("patterns", []), at.key("patterns"))
    phrases = _phrases(raw.get("phrases", []), at.key("phrases"))
    if not patterns and not phrases:
        at.key("patterns" if "patterns" in raw else "phrases").fail(
            "must list at least one pattern or phrase"
        )
    context = _patterns(raw.get("context", []), at.key("context"))
    window = raw.get("context_window", DEFAULT_CONTEXT_WINDOW if context else 0)
    if not isinstance(window, int) or isinstance(window, bool):
        at.key("context_window").fail(f"expected an integer, got {_kind(window)}")
    if not 0 <= window <= MAX_CONTEXT_WINDOW:
        at.key("context_window").fail(f"must be between 0 and {MAX_CONTEXT_WINDOW}")
    keywords = _strs(raw.get("keywords", []), at.key("keywords"))
    for i, word in enumerate(keywords):
        if not _KEYWORD.fullmatch(word):
            at.key("keywords").index(i).fail(
                f"keyword {word!r} must be lower case, 2-40 characters, no spaces or quotes"
            )
    priority = raw.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        at.key("priority").fail(f"expected an integer, got {_kind(priority)}")
    symptom = raw["symptom"]
    contact_type = raw.get("contact_type")
    examples = _strs(raw["examples"], at.key("examples"))
    if not examples:
        at.key("examples").fail("must list at least one example")
    return Signature(
        id=_id(raw["id"], at.key("id")),
        title=_str(raw["title"], at.key("title")),
        meaning=_str(raw["meaning"], at.key("meaning")),
        patterns=tuple(patterns),
        symptom=None if symptom is None else _id(symptom, at.key("symptom")),
        likely_causes=tuple(
            _id(c, at.key("likely_causes").index(i))
            for i, c in enumerate(_list(raw["likely_causes"], at.key("likely_causes")))
        ),
        contact_type=None if contact_type is None else _id(contact_type, at.key("contact_type")),
        examples=examples,
        negatives=_strs(raw.get("negatives", []), at.key("negatives")),
        source=_source(raw["source"], at.key("source")) if "source" in raw else "",
        priority=priority,
        keywords=keywords,
        context=context,
        context_window=window,
        phrases=phrases,
    )


def _patterns(value: object, at: _At) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for i, text in enumerate(_list(value, at)):
        source = _str(text, at.index(i))
        # The text is lower-cased: a lower-case pattern needs no IGNORECASE, which would cost
        # the regex engine its fast literal-prefix scan (upper case, including \S or \W, keeps it).
        flags = 0 if source == source.lower() else re.IGNORECASE
        try:
            patterns.append(re.compile(source, flags))
        except re.error as exc:
            at.index(i).fail(f"regex does not compile: {exc}")
    return tuple(patterns)


def _phrases(value: object, at: _At) -> tuple[re.Pattern[str], ...]:
    phrases = []
    for i, text in enumerate(_list(value, at)):
        phrase = _str(text, at.index(i))
        try:
            phrases.append(compile_phrase(phrase))
        except ValueError as exc:
            at.index(i).fail(str(exc))
    return tuple(phrases)


def _read_signatures(doc: object, draft: _Draft, file: str, *, shipped: bool) -> None:
    """``signatures`` (+ ``ignored_domains`` in the shipped file): add, or replace by id."""
    top = _At(file)
    raw = _mapping(doc, top, required=("signatures",), optional=("ignored_domains",))
    _add_signatures(raw["signatures"], top.key("signatures"), draft, replace_ok=not shipped)
    if "ignored_domains" in raw:
        draft.ignored_domains = _domains(raw["ignored_domains"], top.key("ignored_domains"))


def _add_signatures(value: object, at: _At, draft: _Draft, *, replace_ok: bool) -> None:
    seen: dict[str, _At] = {}
    for i, item in enumerate(_list(value, at)):
        here = at.index(i)
        signature = _signature(item, here)
        if signature.id in seen:
            here.key("id").fail(
                f"duplicate id {signature.id!r} (first at {seen[signature.id].path})"
            )
        seen[signature.id] = here
        existing = draft.signatures.get(signature.id)
        if existing is not None and not replace_ok:
            here.key("id").fail(f"duplicate id {signature.id!r} (first at {existing.at.path})")
        order = existing.order if existing else len(draft.signatures)
        draft.signatures[signature.id] = _SignatureDraft(signature, here, order)


def _read_messages(doc: object, draft: _Draft, at: _At) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        at.fail(f"expected a mapping of message key to text, got {_kind(doc)}")
    for key, text in doc.items():
        if not isinstance(key, str) or not key:
            at.fail(f"message keys must be non-empty strings, got {key!r}")
        if not isinstance(text, str):
            at.key(key).fail(f"expected a string, got {_kind(text)}")
        draft.messages[key] = text


_OVERRIDE_KEYS = ("escalation", "signatures", "home_domains", "messages", "causes", "resolutions")


def _apply_override(doc: object, draft: _Draft, file: str) -> None:
    top = _At(file)
    if doc is None:
        return
    raw = _mapping(doc, top, optional=_OVERRIDE_KEYS)
    if "escalation" in raw:
        draft.escalation = _escalation(raw["escalation"], top.key("escalation"), draft.escalation)
    if "signatures" in raw:
        _add_signatures(raw["signatures"], top.key("signatures"), draft, replace_ok=True)
    if "home_domains" in raw:
        draft.home_domains = _domains(raw["home_domains"], top.key("home_domains"))
    if "messages" in raw:
        _read_messages(raw["messages"], draft, top.key("messages"))
    at = top.key("causes")
    for i, item in enumerate(_list(raw.get("causes", []), at)):
        here = at.index(i)
        fields = _mapping(
            item, here, required=("id",), optional=("title", "summary", "check_meaning")
        )
        cause, _ = _known(draft.causes, fields["id"], here)
        changes: dict[str, Any] = {
            k: _str(fields[k], here.key(k)) for k in ("title", "summary") if k in fields
        }
        if "check_meaning" in fields:
            meaning = _check_meaning(fields["check_meaning"], here.key("check_meaning"))
            if cause.check == "none":
                here.key("check_meaning").fail(f"cause {cause.id!r} has no live check")
            changes["check_meaning"] = {**cause.check_meaning, **meaning}
        draft.causes[cause.id] = (replace(cause, **changes), here)
    at = top.key("resolutions")
    for i, item in enumerate(_list(raw.get("resolutions", []), at)):
        here = at.index(i)
        fields = _mapping(item, here, required=("id",), optional=_RESOLUTION_TEXTS)
        resolution, _ = _known(draft.resolutions, fields["id"], here)
        changes = _resolution_fields(fields, here)
        if "steps" in changes and not changes["steps"]:
            here.key("steps").fail("must list at least one step")
        draft.resolutions[resolution.id] = (replace(resolution, **changes), here)


def _known(table: dict[str, tuple[T, _At]], ident: object, at: _At) -> tuple[T, _At]:
    key = _id(ident, at.key("id"))
    if key not in table:
        at.key("id").fail(f"unknown id {key!r} (known: {', '.join(sorted(table))})")
    return table[key]


# --- cross-checks ---------------------------------------------------------------------------


def _check_references(draft: _Draft) -> None:
    symptoms = {o.id for o, _ in draft.symptoms}
    contact_types = {o.id for o, _ in draft.contact_types}
    scopes = {o.id for o, _ in draft.scopes}

    def need(ident: str, known: Iterable[str], at: _At, what: str) -> None:
        known = set(known)
        if ident not in known:
            at.fail(f"unknown {what} {ident!r} (known: {', '.join(sorted(known))})")

    cells: dict[tuple[str, str], _At] = {}
    for cell, at in draft.table:
        need(cell.contact_type, contact_types, at.key("contact_type"), "contact type")
        need(cell.scope, scopes, at.key("scope"), "scope")
        for j, cause_id in enumerate(cell.causes):
            need(cause_id, draft.causes, at.key("causes").index(j), "cause")
        key = (cell.contact_type, cell.scope)
        if key in cells:
            at.fail(f"duplicate cell {key[0]}/{key[1]} (first at {cells[key].path})")
        cells[key] = at
    for ct, _ in draft.contact_types:
        for scope, _ in draft.scopes:
            if (ct.id, scope.id) not in cells:
                draft.table_at.fail(f"missing cell {ct.id}/{scope.id}")
    for cause, at in draft.causes.values():
        need(cause.resolution, draft.resolutions, at.key("resolution"), "resolution")
        for j, contact_type in enumerate(cause.contact_types):
            need(contact_type, contact_types, at.key("contact_types").index(j), "contact type")
        for j, symptom in enumerate(cause.symptoms):
            need(symptom, symptoms, at.key("symptoms").index(j), "symptom")
    for i, cause_id in enumerate(draft.follow_up_causes):
        need(cause_id, draft.causes, draft.follow_up_at.index(i), "cause")
    for entry in draft.signatures.values():
        sig, at = entry.signature, entry.at
        if sig.symptom is not None:
            need(sig.symptom, symptoms, at.key("symptom"), "symptom")
        if sig.contact_type is not None:
            need(sig.contact_type, contact_types, at.key("contact_type"), "contact type")
        for j, cause_id in enumerate(sig.likely_causes):
            need(cause_id, draft.causes, at.key("likely_causes").index(j), "cause")


def _ordered_signatures(draft: _Draft) -> tuple[Signature, ...]:
    entries = sorted(draft.signatures.values(), key=lambda e: (-e.signature.priority, e.order))
    return tuple(e.signature for e in entries)


def _check_examples(draft: _Draft, ordered: tuple[Signature, ...]) -> None:
    """Every example is recognised as its own signature; no negative is recognised at all."""
    origin = {e.signature.id: e.at for e in draft.signatures.values()}
    for entry in draft.signatures.values():
        sig, at = entry.signature, entry.at
        for i, example in enumerate(sig.examples):
            here = at.key("examples").index(i)
            text = normalise(example)
            if sig.keywords and not any(k in text for k in sig.keywords):
                here.fail(f"contains none of the keywords {list(sig.keywords)}: {example!r}")
            if not signature_matches(sig, text):
                here.fail(f"no pattern or phrase matches this example: {example!r}")
            winner = recognise(example, ordered)
            if winner is None:
                here.fail(f"not recognised: no keyword occurs before normalisation: {example!r}")
            if winner.id != sig.id:
                problem = (
                    f"example is recognised as {winner.id!r} (priority {winner.priority}) "
                    f"instead of {sig.id!r}: {example!r}"
                )
                _blame(here, origin[winner.id], _matched_by(winner, example), problem)
        for i, negative in enumerate(sig.negatives):
            here = at.key("negatives").index(i)
            winner = recognise(negative, ordered)
            if winner is not None:
                _blame(
                    here,
                    origin[winner.id],
                    _matched_by(winner, negative),
                    f"near-miss is recognised as {winner.id!r}: {negative!r}",
                )


def _matched_by(signature: Signature, text: str) -> str:
    """Which key of ``signature`` recognised ``text``: ``patterns`` or ``phrases``."""
    plain = replace(signature, phrases=())
    return "patterns" if signature_matches(plain, normalise(text)) else "phrases"


def _blame(example_at: _At, culprit_at: _At, key: str, problem: str) -> NoReturn:
    """Report at the culprit signature's ``key`` when it comes from another file (an override)."""
    if culprit_at.file != example_at.file:
        culprit_at.key(key).fail(f"{problem} ({example_at.file}: {example_at.path})")
    example_at.fail(problem)


def _build(draft: _Draft) -> Knowledge:
    _check_references(draft)
    ordered = _ordered_signatures(draft)
    _check_examples(draft, ordered)
    return Knowledge(
        symptoms=tuple(o for o, _ in draft.symptoms),
        contact_types=tuple(o for o, _ in draft.contact_types),
        scopes=tuple(o for o, _ in draft.scopes),
        table=tuple(c for c, _ in draft.table),
        causes={k: c for k, (c, _) in draft.causes.items()},
        resolutions={k: r for k, (r, _) in draft.resolutions.items()},
        signatures=ordered,
        escalation=draft.escalation,
        more_information=draft.more_information,
        messages=dict(draft.messages),
        home_domains=draft.home_domains,
        follow_up_causes=draft.follow_up_causes,
        consumer_domains=draft.consumer_domains,
        ignored_domains=draft.ignored_domains,
    )


# --- files ----------------------------------------------------------------------------------


def _read_yaml(path: Path, name: str) -> object:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise KnowledgeError(f"{name}: (file): cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise KnowledgeError(f"{name}: (file): larger than {MAX_FILE_BYTES} bytes")
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{name}: (file): not UTF-8: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(f"{name}: {where}: invalid YAML: {problem}") from None


def _documents(data_dir: Path) -> tuple[object, ...]:
    return tuple(_read_yaml(data_dir / name, name) for name in SHIPPED_FILES)


@functools.cache
def _shipped_documents() -> tuple[object, ...]:
    return _documents(DATA_DIR)


def _base_draft(documents: tuple[object, ...]) -> _Draft:
    article, signatures, messages = documents
    draft = _Draft()
    _read_article(article, draft, "article.yaml")
    _read_signatures(signatures, draft, "signatures.yaml", shipped=True)
    _read_messages(messages, draft, _At("messages.yaml"))
    return draft


@functools.cache
def _shipped_knowledge() -> Knowledge:
    return _build(_base_draft(_shipped_documents()))


def override_files(override: str) -> list[Path]:
    """The YAML files an override path names (a file, or a directory's ``*.yaml`` by name)."""
    path = Path(override).expanduser()
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")], key=lambda p: p.name)
    if not path.is_file():
        raise KnowledgeError(f"{path.name or override}: (file): no such file or directory")
    return [path]


def load_knowledge(override: str | None = None) -> Knowledge:
    """The shipped knowledge plus the organisation's override (``override``, else the
    ``FEDBOT_KNOWLEDGE`` environment variable; empty means none), validated.

    The shipped files are parsed and validated once per process; an override is read afresh on
    every call. Raises :class:`KnowledgeError` naming the file and key of the first problem."""
    if override is None:
        override = os.environ.get(ENV_VAR, "")
    if not override.strip():
        return _shipped_knowledge()
    return _with_overrides(_base_draft(_shipped_documents()), override)


def load_knowledge_dir(data_dir: str | Path, override: str | None = None) -> Knowledge:
    """Like :func:`load_knowledge`, but the base files (``article.yaml``, ``signatures.yaml``,
    ``messages.yaml``) come from ``data_dir`` — for editing and testing the knowledge itself."""
    draft = _base_draft(_documents(Path(data_dir)))
    return _with_overrides(draft, override) if override else _build(draft)


def _with_overrides(draft: _Draft, override: str) -> Knowledge:
    for path in override_files(override):
        _apply_override(_read_yaml(path, path.name), draft, path.name)
    return _build(draft)

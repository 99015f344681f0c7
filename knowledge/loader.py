"""Load and validate the knowledge files (shipped YAML plus an organisation's overrides).

The one loader for every file in ``data/``: ``article.yaml``, ``signatures.yaml``,
``messages.yaml``, ``findings.yaml`` (wording of the DNS check) and ``clouds.yaml`` (the
Microsoft clouds' federation edges and DNS suffixes); then the organisation's override named by
``FEDBOT_KNOWLEDGE`` (a YAML file, or a directory whose ``*.yaml`` files are applied in name
order). Everything is validated before a :class:`Knowledge` is returned; any problem raises
:class:`KnowledgeError` whose message starts with the file name and the key path, e.g.
``org.yaml: signatures[2].patterns[0]: ...``. The files' shapes are pydantic models
(:mod:`knowledge.schema`, unknown keys refused; every signature has a non-empty ``source``, every
regex compiles, every phrase is well formed); after validation they become plain frozen
dataclasses, so triage's hot path never touches pydantic.

An override file may contain:

- ``escalation``: any of ``text``, ``contact``, ``ticket_url``, ``links`` (replace the shipped ones)
- ``signatures``: new signatures, or a complete replacement of a shipped one with the same ``id``
- ``home_domains``: the organisation's own SIP domains (replaces the list)
- ``messages``: dialog messages by key (merged over the shipped ones)
- ``causes`` / ``resolutions``: ``id`` plus text fields to replace (``title``, ``summary``,
  ``check_meaning`` / ``title``, ``intro``, ``steps``, ``notes``, ``links``, ``teams_today``)
- ``findings`` (``<code>: {message, variants}``), ``clouds`` (``<cloud>: name``),
  ``invalid_domain`` (``<reason>: text``): rewordings of the DNS check's texts

One rule for every reworded template (messages and check texts): its key must exist in the
shipped files, and it may only use the ``{placeholders}`` of the shipped text it replaces.
"""

from __future__ import annotations

import functools
import os
import re
import string
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from knowledge.diagnostics import code_signatures
from knowledge.lexicon import Lexicon
from knowledge.model import (
    Cause,
    CauseHint,
    Cell,
    CheckTexts,
    CloudFacts,
    Described,
    Escalation,
    FindingText,
    Knowledge,
    Link,
    Option,
    Resolution,
    Signature,
    StatedContactType,
    StatedScope,
    StatedSymptom,
)
from knowledge.schema import (
    CauseChange,
    CauseEntry,
    CellEntry,
    CheckWording,
    CloudsFile,
    DescribedFile,
    DiagnosticsFile,
    EscalationEntry,
    FindingsFile,
    LinkEntry,
    OptionEntry,
    ResolutionChange,
    ResolutionEntry,
    SignatureEntry,
    SignaturesFile,
    pattern_flags,
)
from knowledge.triage import (
    compile_phrase,
    normalise,
    reason_key,
    recognise,
    signature_matches,
)

DATA_DIR = Path(__file__).parent / "data"
SHIPPED_FILES = (
    "article.yaml",
    "signatures.yaml",
    "messages.yaml",
    "diagnostics.yaml",
    "findings.yaml",
    "clouds.yaml",
)
ENV_VAR = "FEDBOT_KNOWLEDGE"
CHECK_STATUSES = ("ok", "problem", "dns_error")
MAX_FILE_BYTES = 2 * 1024 * 1024

_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_LABEL = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DOMAIN = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}"
)

T = TypeVar("T")
V = TypeVar("V")


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


def _domains(value: object, at: _At) -> tuple[str, ...]:
    domains = []
    for i, raw in enumerate(_list(value, at)):
        domain = _str(raw, at.index(i)).lower().rstrip(".")
        if not _DOMAIN.fullmatch(domain):
            at.index(i).fail(f"not a domain name: {domain!r}")
        domains.append(domain)
    return tuple(dict.fromkeys(domains))


def _labels(value: object, at: _At) -> tuple[str, ...]:
    """Single DNS labels (top-level names such as ``example``), lower-cased."""
    labels = []
    for i, raw in enumerate(_list(value, at)):
        label = _str(raw, at.index(i)).lower().strip(".")
        if not _LABEL.fullmatch(label):
            at.index(i).fail(f"not a top-level name: {label!r}")
        labels.append(label)
    return tuple(dict.fromkeys(labels))


def _unique_ids(items: list[tuple[str, _At]]) -> None:
    seen: dict[str, _At] = {}
    for ident, at in items:
        if ident in seen:
            at.key("id").fail(f"duplicate id {ident!r} (first at {seen[ident].path})")
        seen[ident] = at


_LINKS = TypeAdapter(list[LinkEntry])
_ESCALATION = TypeAdapter(EscalationEntry)
_FINDINGS_FILE = TypeAdapter(FindingsFile)
_CLOUDS_FILE = TypeAdapter(CloudsFile)
_CHECK_WORDING = TypeAdapter(CheckWording)
_OPTIONS = TypeAdapter(list[OptionEntry])
_CELLS = TypeAdapter(list[CellEntry])
_CAUSES = TypeAdapter(list[CauseEntry])
_RESOLUTIONS = TypeAdapter(list[ResolutionEntry])
_CAUSE_CHANGES = TypeAdapter(list[CauseChange])
_RESOLUTION_CHANGES = TypeAdapter(list[ResolutionChange])
_SIGNATURES = TypeAdapter(list[SignatureEntry])
_SIGNATURES_FILE = TypeAdapter(SignaturesFile)
_DESCRIBED_FILE = TypeAdapter(DescribedFile)
DESCRIBED_FILE = "described.yaml"
_DIAGNOSTICS_FILE = TypeAdapter(DiagnosticsFile)


def _validated(schema: TypeAdapter[V], value: object, at: _At) -> V:
    """``value`` validated by a pydantic ``schema``; the first error names the file and key path."""
    try:
        return schema.validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        here = at
        for part in error["loc"]:
            if part == "[key]":
                detail = str(error["msg"]).removeprefix("Input should be ")
                here.fail(f"unknown key (allowed: {detail})")
            here = here.index(part) if isinstance(part, int) else here.key(str(part))
        here.fail(_problem(error))


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing required key"
    if kind in ("string_type", "dict_type", "model_type"):
        expected = "a string" if kind == "string_type" else "a mapping"
        return f"expected {expected}, got {_kind(error['input'])}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "literal_error":
        what = next((p for p in reversed(error["loc"]) if isinstance(p, str)), "value")
        choices = str(error["msg"]).removeprefix("Input should be ")
        return f"unknown {what} {error['input']!r} (one of {choices})"
    if kind == "too_short":
        return "must list at least one entry"
    if kind == "int_type":
        return f"expected an integer, got {_kind(error['input'])}"
    if kind == "bool_type":
        return f"expected true or false, got {_kind(error['input'])}"
    if kind == "list_type":
        return f"expected a list, got {_kind(error['input'])}"
    return str(error["msg"])


def _flat(text: str) -> str:
    return " ".join(text.split())


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
    personal_mail_domains: tuple[str, ...] = ()
    tenant_initial_parents: tuple[str, ...] = ()
    domain_words: tuple[str, ...] = ()
    example_domains: tuple[str, ...] = ()
    reserved_tlds: tuple[str, ...] = ()
    internal_tlds: tuple[str, ...] = ()
    ignored_domains: tuple[str, ...] = ()
    check_texts: CheckTexts = field(default_factory=CheckTexts)
    clouds: CloudFacts = field(default_factory=CloudFacts)
    stated_symptoms: tuple[StatedSymptom, ...] = ()
    stated_contact_types: tuple[StatedContactType, ...] = ()
    stated_scopes: tuple[StatedScope, ...] = ()
    cause_hints: tuple[CauseHint, ...] = ()
    described: Described | None = None
    described_at: _At = _At(DESCRIBED_FILE)


def _read_described(doc: object, draft: _Draft, file: str) -> None:
    """``described.yaml``: each lexicon's words (all languages) as one regex from a word start."""
    top = _At(file)
    parsed = _validated(_DESCRIBED_FILE, doc, top)

    def lexicon(name: str) -> Lexicon | None:
        entry = parsed.lexicons.get(name)  # type: ignore[call-overload]
        return None if entry is None else Lexicon(entry.words)

    product, external, failure, silence = (
        lexicon(n) for n in ("product", "external", "failure", "silence")
    )
    assert product and external and failure and silence  # the schema requires them
    draft.described = Described(
        product,
        external,
        failure,
        silence,
        lexicon("presence"),
        lexicon("meeting"),
        dict(parsed.signatures),
        lexicon("not_live"),
        lexicon("asked"),
        lexicon("elsewhere"),
        lexicon("ours"),
    )
    draft.described_at = top.key("signatures")


def _options(value: object, at: _At) -> list[tuple[Option, _At]]:
    entries = _validated(_OPTIONS, value, at)
    options = [
        (Option(e.id, e.label, e.description, e.short), at.index(i)) for i, e in enumerate(entries)
    ]
    if not options:
        at.fail("must list at least one entry")
    _unique_ids([(o.id, a) for o, a in options])
    return options


def _cause(raw: CauseEntry, at: _At) -> Cause:
    if raw.check == "none" and raw.check_meaning:
        at.key("check_meaning").fail("given although check is none")
    if raw.check != "none":
        for status in CHECK_STATUSES:
            if status not in raw.check_meaning:
                at.key("check_meaning").key(status).fail(
                    f"missing required key (check is {raw.check})"
                )
    return Cause(
        id=raw.id,
        title=raw.title,
        summary=raw.summary,
        resolution=raw.resolution,
        check=raw.check,
        check_meaning={str(k): v for k, v in raw.check_meaning.items()},
        contact_types=tuple(raw.contact_types),
        symptoms=tuple(raw.symptoms),
        cleared_by_check=raw.cleared_by_check,
        config_findings=tuple(raw.config_findings),
        stands_for=tuple(raw.stands_for),
    )


def _links_of(entries: list[LinkEntry]) -> tuple[Link, ...]:
    return tuple(Link(x.title, x.url) for x in entries)


def _resolution(raw: ResolutionEntry) -> Resolution:
    return Resolution(
        id=raw.id,
        title=raw.title,
        intro=raw.intro,
        steps=tuple(raw.steps),
        notes=tuple(raw.notes),
        links=_links_of(raw.links),
        teams_today=tuple(raw.teams_today),
    )


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
        optional=(
            *("follow_up_causes", "consumer_domains", "personal_mail_domains", "home_domains"),
            "reserved_tlds",
            "internal_tlds",
            "tenant_initial_parents",
            "domain_words",
            "example_domains",
        ),
    )
    draft.symptoms = _options(raw["symptoms"], top.key("symptoms"))
    draft.contact_types = _options(raw["contact_types"], top.key("contact_types"))
    draft.scopes = _options(raw["scopes"], top.key("scopes"))
    draft.table_at = top.key("table")
    cells = _validated(_CELLS, raw["table"], draft.table_at)
    draft.table = [
        (Cell(c.contact_type, c.scope, tuple(c.causes)), draft.table_at.index(i))
        for i, c in enumerate(cells)
    ]
    at = top.key("causes")
    causes: list[CauseEntry] = _validated(_CAUSES, raw["causes"], at)
    draft.causes = _by_id(
        [(_cause(c, at.index(i)), at.index(i)) for i, c in enumerate(causes)],
        lambda c: c.id,
    )
    at = top.key("resolutions")
    resolutions: list[ResolutionEntry] = _validated(_RESOLUTIONS, raw["resolutions"], at)
    draft.resolutions = _by_id(
        [(_resolution(r), at.index(i)) for i, r in enumerate(resolutions)],
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
    draft.personal_mail_domains = _domains(
        raw.get("personal_mail_domains", []), top.key("personal_mail_domains")
    )
    draft.home_domains = _domains(raw.get("home_domains", []), top.key("home_domains"))
    draft.tenant_initial_parents = _domains(
        raw.get("tenant_initial_parents", []), top.key("tenant_initial_parents")
    )
    draft.domain_words = _labels(raw.get("domain_words", []), top.key("domain_words"))
    draft.example_domains = _domains(raw.get("example_domains", []), top.key("example_domains"))
    draft.reserved_tlds = _labels(raw.get("reserved_tlds", []), top.key("reserved_tlds"))
    draft.internal_tlds = _labels(raw.get("internal_tlds", []), top.key("internal_tlds"))


def _escalation(value: object, at: _At, base: Escalation | None) -> Escalation:
    raw = _validated(_ESCALATION, value, at)
    if base is None and raw.text is None:
        at.key("text").fail("missing required key")
    old = base or Escalation(text="")
    return Escalation(
        text=old.text if raw.text is None else raw.text,
        contact=old.contact if raw.contact is None else raw.contact,
        ticket_url=old.ticket_url if raw.ticket_url is None else raw.ticket_url,
        links=old.links if raw.links is None else tuple(Link(x.title, x.url) for x in raw.links),
    )


DEFAULT_CONTEXT_WINDOW = 300


def _signature(raw: SignatureEntry, at: _At) -> Signature:
    """A validated signature entry as the frozen dataclass triage runs on (regexes compiled)."""
    structural = bool(raw.diagnostic_codes or raw.diagnostic_reasons)
    given = raw.model_fields_set
    if "patterns" not in given and "phrases" not in given and not structural:
        at.key("patterns").fail("missing required key (or give phrases)")
    if not raw.patterns and not raw.phrases and not structural:
        at.key("patterns" if "patterns" in given else "phrases").fail(
            "must list at least one pattern or phrase"
        )
    context = _patterns(raw.context)
    window = raw.context_window
    if window is None:
        window = DEFAULT_CONTEXT_WINDOW if context else 0
    return Signature(
        id=raw.id,
        title=raw.title,
        meaning=raw.meaning,
        patterns=_patterns(raw.patterns),
        symptom=raw.symptom,
        likely_causes=tuple(raw.likely_causes),
        contact_type=raw.contact_type,
        examples=tuple(raw.examples),
        negatives=tuple(raw.negatives),
        source=raw.source,
        priority=raw.priority,
        keywords=tuple(raw.keywords),
        context=context,
        context_window=window,
        phrases=_compiled_phrases(raw.phrases),
        diagnostic_codes=tuple(raw.diagnostic_codes),
        diagnostic_reasons=tuple(reason_key(r) for r in raw.diagnostic_reasons),
        unknown_codes=raw.unknown_codes,
        quote=raw.quote,
        exclude=_patterns(raw.exclude),
        scoped=raw.scoped,
        keeps_lead=raw.keeps_lead,
    )


def _patterns(sources: list[str]) -> tuple[re.Pattern[str], ...]:
    """Validated regex texts, compiled (see :func:`knowledge.schema.pattern_flags`)."""
    return _one_scan(tuple(re.compile(source, pattern_flags(source)) for source in sources))


def _one_scan(patterns: tuple[re.Pattern[str], ...]) -> tuple[re.Pattern[str], ...]:
    """Patterns that share flags as one alternation. Every caller asks whether any of them is
    found, and one scan of a 40 KB paste costs about what each separate pattern's scan did
    (five times faster for an entry of a dozen patterns). Only patterns that start at a word
    boundary are joined: one that starts with an anchor, a lookaround or any character makes
    the engine try every branch at every position (slower than separate scans). A pattern with
    a back-reference or an inline flag keeps its own scan too: joined, its group numbers or
    flags would change."""
    alone = tuple(
        p
        for p in patterns
        if not p.pattern.startswith(_JOINABLE_START) or _STANDS_ALONE.search(p.pattern)
    )
    by_flags: dict[int, list[str]] = {}
    for pattern in patterns:
        if pattern not in alone:
            by_flags.setdefault(pattern.flags, []).append(pattern.pattern)
    joined = tuple(
        re.compile("|".join(f"(?:{source})" for source in sources), flags)
        if len(sources) > 1
        else re.compile(sources[0], flags)
        for flags, sources in by_flags.items()
    )
    return joined + alone


_STANDS_ALONE = re.compile(r"\\[1-9]|\(\?P=|\(\?[aiLmsux]+\)")
_JOINABLE_START = "\\b"


def _read_code_table(doc: object, draft: _Draft, file: str) -> None:
    """The ms-diagnostics code table (knowledge/diagnostics.py) as shipped signatures."""
    top = _At(file)
    table = _validated(_DIAGNOSTICS_FILE, doc, top)
    at = top.key("codes")
    entries = _validated(_SIGNATURES, code_signatures(table.codes, table.exclude), at)
    _add_signatures(entries, at, draft, replace_ok=False)


def _read_signatures(doc: object, draft: _Draft, file: str) -> None:
    """``signatures.yaml``: the shipped signatures, ``ignored_domains`` and ``stated_symptoms``."""
    top = _At(file)
    parsed = _validated(_SIGNATURES_FILE, doc, top)
    _add_signatures(parsed.signatures, top.key("signatures"), draft, replace_ok=False)
    draft.ignored_domains = _domains(parsed.ignored_domains, top.key("ignored_domains"))
    draft.stated_symptoms = tuple(
        StatedSymptom(s.symptom, _compiled_phrases(s.phrases), _patterns(s.patterns))
        for s in parsed.stated_symptoms
    )
    draft.stated_contact_types = tuple(
        StatedContactType(s.contact_type, _compiled_phrases(s.phrases), _patterns(s.patterns))
        for s in parsed.stated_contact_types
    )
    draft.stated_scopes = tuple(
        StatedScope(s.scope, _compiled_phrases(s.phrases), _patterns(s.patterns), tuple(s.keywords))
        for s in parsed.stated_scopes
    )
    draft.cause_hints = tuple(
        CauseHint(
            h.cause,
            h.effect,
            _compiled_phrases(h.phrases),
            _patterns(h.patterns),
            h.contact_type,
            tuple(h.keywords),
            _patterns(h.unless),
        )
        for h in parsed.cause_hints
    )


def _compiled_phrases(phrases: list[str]) -> tuple[re.Pattern[str], ...]:
    return _one_scan(tuple(compile_phrase(p) for p in phrases))


def _add_signatures(
    entries: list[SignatureEntry], at: _At, draft: _Draft, *, replace_ok: bool
) -> None:
    seen: dict[str, _At] = {}
    for i, entry in enumerate(entries):
        here = at.index(i)
        signature = _signature(entry, here)
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


def template_fields(template: str) -> frozenset[str]:
    """The ``{name}`` fields of a template already validated by :func:`placeholders`."""
    return frozenset(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)


def placeholders(template: str, at: _At) -> frozenset[str]:
    """The ``{name}`` placeholders of a message template (``{{`` is a literal brace)."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        at.fail(f"bad placeholder syntax ({exc})")
    for name in fields:
        if not _ID.fullmatch(name):
            at.fail(f"bad placeholder {{{name}}} (a plain name like {{domain}})")
    return frozenset(fields)


def _check_override_text(default: str | None, text: str, at: _At, what: str) -> None:
    """One rule for every overridable template: the key must exist in the shipped data, and
    the override may only use placeholders the shipped text has (the code fills exactly those)."""
    if default is None:
        at.fail(f"unknown {what} (an override can only reword a shipped one)")
    unfilled = placeholders(text, at) - placeholders(default, at)
    if unfilled:
        allowed = ", ".join(f"{{{p}}}" for p in sorted(placeholders(default, at))) or "none"
        names = ", ".join(f"{{{p}}}" for p in sorted(unfilled))
        at.fail(f"placeholder {names} is not filled in by fedbot (allowed here: {allowed})")


def _read_messages(doc: object, draft: _Draft, at: _At, *, override: bool = False) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        at.fail(f"expected a mapping of message key to text, got {_kind(doc)}")
    for key, text in doc.items():
        if not isinstance(key, str) or not key:
            at.fail(f"message keys must be non-empty strings, got {key!r}")
        if not isinstance(text, str):
            at.key(key).fail(f"expected a string, got {_kind(text)}")
        if override:
            _check_override_text(draft.messages.get(key), text, at.key(key), "message key")
        else:
            placeholders(text, at.key(key))
        draft.messages[key] = text


def parse_check_texts(doc: object, file: str = "findings.yaml") -> CheckTexts:
    """The wording of the federation check from a ``findings.yaml`` document, validated
    (placeholder syntax included; which codes and placeholders exist is federation's to check)."""
    parsed = _validated(_FINDINGS_FILE, doc, _At(file))
    at = _At(file)

    def texts(table: Mapping[str, str], where: _At) -> dict[str, str]:
        for key, text in table.items():
            placeholders(text, where.key(key))
        return {k: _flat(v) for k, v in table.items()}

    return CheckTexts(
        findings={
            code: FindingText(
                entry.severity,
                texts({"message": entry.message}, at.key("findings").key(code))["message"],
                texts(entry.variants, at.key("findings").key(code).key("variants")),
            )
            for code, entry in parsed.findings.items()
        },
        clouds=texts(parsed.clouds, at.key("clouds")),
        invalid_domain=texts(parsed.invalid_domain, at.key("invalid_domain")),
    )


def parse_cloud_facts(doc: object, file: str = "clouds.yaml") -> CloudFacts:
    """The Microsoft clouds from a ``clouds.yaml`` document, validated: host names are domain
    names and no suffix belongs to two clouds."""
    parsed = _validated(_CLOUDS_FILE, doc, _At(file))
    owner: dict[str, str] = {}
    for cloud, entry in parsed.clouds.items():
        for i, suffix in enumerate(entry.suffixes):
            if owner.setdefault(suffix, cloud) != cloud:
                _At(file, f"clouds.{cloud}.suffixes[{i}]").fail(
                    f"suffix {suffix!r} already belongs to cloud {owner[suffix]!r}"
                )
    return CloudFacts(
        federation_port=parsed.federation_port,
        edges={cloud: entry.federation_edge for cloud, entry in parsed.clouds.items()},
        microsoft_365=frozenset(c for c, entry in parsed.clouds.items() if entry.microsoft_365),
        # Longest suffix first, so the most specific one wins (gov.skypeforbusiness.us before
        # skypeforbusiness.us).
        suffixes=tuple(sorted(owner.items(), key=lambda item: -item[0].count("."))),
    )


@functools.cache
def load_cloud_facts() -> CloudFacts:
    """The shipped ``clouds.yaml`` alone (for the federation check's module constants)."""
    return parse_cloud_facts(shipped_document("clouds.yaml"))


def shipped_document(name: str) -> object:
    """One shipped data file (``knowledge/data/<name>``) read the one way every knowledge file is
    read: size-capped, UTF-8, safe YAML with no key written twice."""
    return _read_yaml(DATA_DIR / name, name)


def _reworded(
    shipped: Mapping[str, str], changes: Mapping[str, str], at: _At, what: str
) -> dict[str, str]:
    for key, text in changes.items():
        _check_override_text(shipped.get(key), text, at.key(key), what)
    return {**shipped, **{k: _flat(v) for k, v in changes.items()}}


def _override_check_texts(raw: Mapping[str, Any], draft: _Draft, top: _At) -> None:
    """``findings`` / ``clouds`` / ``invalid_domain`` of an override: reword shipped texts."""
    keys = [k for k in ("findings", "clouds", "invalid_domain") if k in raw]
    if not keys:
        return
    wording = _validated(_CHECK_WORDING, {k: raw[k] for k in keys}, top)
    old = draft.check_texts
    findings = dict(old.findings)
    for code, change in wording.findings.items():
        here = top.key("findings").key(code)
        if code not in findings:
            here.fail("unknown finding code (an override can only reword a shipped one)")
        text = findings[code]
        message = {"message": text.message}
        if change.message is not None:
            message = _reworded(message, {"message": change.message}, here, "key")
        variants = _reworded(text.variants, change.variants, here.key("variants"), "variant")
        findings[code] = FindingText(text.severity, message["message"], variants)
    draft.check_texts = CheckTexts(
        findings=findings,
        clouds=_reworded(old.clouds, wording.clouds, top.key("clouds"), "cloud"),
        invalid_domain=_reworded(
            old.invalid_domain, wording.invalid_domain, top.key("invalid_domain"), "reason code"
        ),
    )


_OVERRIDE_KEYS = (
    "escalation",
    "signatures",
    "home_domains",
    "messages",
    "causes",
    "resolutions",
    "findings",
    "clouds",
    "invalid_domain",
)


def _apply_override(doc: object, draft: _Draft, file: str) -> None:
    top = _At(file)
    if doc is None:
        return
    raw = _mapping(doc, top, optional=_OVERRIDE_KEYS)
    if "escalation" in raw:
        draft.escalation = _escalation(raw["escalation"], top.key("escalation"), draft.escalation)
    if "signatures" in raw:
        at = top.key("signatures")
        _add_signatures(_validated(_SIGNATURES, raw["signatures"], at), at, draft, replace_ok=True)
    if "home_domains" in raw:
        draft.home_domains = _domains(raw["home_domains"], top.key("home_domains"))
    if "messages" in raw:
        _read_messages(raw["messages"], draft, top.key("messages"), override=True)
    _override_check_texts(raw, draft, top)
    at = top.key("causes")
    cause_changes: list[CauseChange] = _validated(_CAUSE_CHANGES, raw.get("causes", []), at)
    for i, change in enumerate(cause_changes):
        here = at.index(i)
        cause, _ = _known(draft.causes, change.id, here)
        meaning = change.check_meaning or {}
        if change.check_meaning is not None and cause.check == "none":
            here.key("check_meaning").fail(f"cause {cause.id!r} has no live check")
        cause = replace(
            cause,
            title=change.title or cause.title,
            summary=change.summary or cause.summary,
            check_meaning=cause.check_meaning | {str(k): v for k, v in meaning.items()},
        )
        draft.causes[cause.id] = (cause, here)
    at = top.key("resolutions")
    edits: list[ResolutionChange] = _validated(_RESOLUTION_CHANGES, raw.get("resolutions", []), at)
    for i, edit in enumerate(edits):
        here = at.index(i)
        old, _ = _known(draft.resolutions, edit.id, here)
        new = replace(
            old,
            title=edit.title or old.title,
            intro=edit.intro or old.intro,
            steps=old.steps if edit.steps is None else tuple(edit.steps),
            notes=old.notes if edit.notes is None else tuple(edit.notes),
            links=old.links if edit.links is None else _links_of(edit.links),
            teams_today=old.teams_today if edit.teams_today is None else tuple(edit.teams_today),
        )
        draft.resolutions[new.id] = (new, here)


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
        for j, other in enumerate(cause.stands_for):
            need(other, draft.causes, at.key("stands_for").index(j), "cause")
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
    for i, entry_stated in enumerate(draft.stated_symptoms):
        where = _At("signatures.yaml").key("stated_symptoms").index(i).key("symptom")
        need(entry_stated.symptom, symptoms, where, "symptom")
    for i, stated_type in enumerate(draft.stated_contact_types):
        where = _At("signatures.yaml").key("stated_contact_types").index(i).key("contact_type")
        need(stated_type.contact_type, contact_types, where, "contact type")
    for i, stated_scope in enumerate(draft.stated_scopes):
        where = _At("signatures.yaml").key("stated_scopes").index(i).key("scope")
        need(stated_scope.scope, scopes, where, "scope")
    for i, hint in enumerate(draft.cause_hints):
        where = _At("signatures.yaml").key("cause_hints").index(i)
        need(hint.cause, draft.causes, where.key("cause"), "cause")
        if hint.contact_type is not None:
            need(hint.contact_type, contact_types, where.key("contact_type"), "contact type")
    if draft.described is not None:
        for symptom, signature_id in draft.described.signatures.items():
            need(symptom, symptoms, draft.described_at.key(symptom), "symptom")
            need(signature_id, draft.signatures, draft.described_at.key(symptom), "signature")


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
        personal_mail_domains=draft.personal_mail_domains,
        tenant_initial_parents=draft.tenant_initial_parents,
        domain_words=draft.domain_words,
        example_domains=draft.example_domains,
        reserved_tlds=draft.reserved_tlds,
        internal_tlds=draft.internal_tlds,
        ignored_domains=draft.ignored_domains,
        check_texts=draft.check_texts,
        clouds=draft.clouds,
        stated_symptoms=draft.stated_symptoms,
        stated_contact_types=draft.stated_contact_types,
        stated_scopes=draft.stated_scopes,
        cause_hints=draft.cause_hints,
        described=draft.described,
    )


# --- files ----------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key written twice in one mapping: YAML would keep the
    last silently, and the first one's words or patterns would be lost without a word."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, Hashable):
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def _read_yaml(path: Path, name: str) -> object:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise KnowledgeError(f"{name}: (file): cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise KnowledgeError(f"{name}: (file): larger than {MAX_FILE_BYTES} bytes")
    try:
        return yaml.load(data.decode("utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{name}: (file): not UTF-8: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(f"{name}: {where}: invalid YAML: {problem}") from None


def _documents(data_dir: Path) -> tuple[object, ...]:
    described = data_dir / DESCRIBED_FILE
    optional = _read_yaml(described, DESCRIBED_FILE) if described.is_file() else None
    return (*(_read_yaml(data_dir / name, name) for name in SHIPPED_FILES), optional)


@functools.cache
def _shipped_documents() -> tuple[object, ...]:
    return _documents(DATA_DIR)


def _base_draft(documents: tuple[object, ...]) -> _Draft:
    article, signatures, messages, codes, findings, clouds, described = documents
    draft = _Draft()
    if described is not None:
        _read_described(described, draft, DESCRIBED_FILE)
    _read_article(article, draft, "article.yaml")
    _read_signatures(signatures, draft, "signatures.yaml")
    _read_code_table(codes, draft, "diagnostics.yaml")
    _read_messages(messages, draft, _At("messages.yaml"))
    draft.check_texts = parse_check_texts(findings, "findings.yaml")
    draft.clouds = parse_cloud_facts(clouds, "clouds.yaml")
    for cloud in draft.clouds.edges:
        if cloud not in draft.check_texts.clouds:
            _At("clouds.yaml", f"clouds.{cloud}").fail(
                "cloud has no display name (findings.yaml: clouds)"
            )
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

"""The scope-then-resolve conversation as a pure state machine.

``step(kb, state, event)`` returns the next state, the replies to show and the effects to run
(a DNS check, a home-domain look-up); the caller feeds effect results back as events. No I/O and
no clock: time comes in each event.

The flow mirrors the article: symptom → contact type → how many contacts (each skipped when a
pasted error or an earlier answer settled it) → the table cell's causes, most likely first, each as
a resolution card with the live check that backs it → "Did this fix it?" → the next cause
(the cell's, the pasted error's, then the follow-ups) → an escalation summary.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from dialogs import cards, tenant_facts
from dialogs.answers import find_in_words, is_command, match_option, mentions, smalltalk
from dialogs.contact_format import (
    ContactFormat,
    contact_format,
    parse_address,
)
from dialogs.events import (
    CheckCompleted,
    Effect,
    Event,
    HomeDomainFound,
    LookupHomeDomain,
    Restart,
    RunCheck,
    Transition,
    UserText,
)
from dialogs.replies import ChoicePayload, LiveCheck, Message, Question, Reply
from dialogs.state import Awaiting, DialogState, QuestionId
from federation.domains import parse_domain
from federation.model import CheckReport, InvalidDomain
from federation.texts import reason_in
from knowledge.model import Cause, Knowledge, Option
from knowledge.triage import Triage, stated_scope, stated_symptom, triage
from knowledge.triage import normalise as normalise_text

DEFAULT_TTL = 24 * 3600.0
# How much of a message is read for stated facts (triage reads whole pastes; answers are short).
MAX_SETTLE_CHARS = 8192
SCOPING: tuple[QuestionId, ...] = ("symptom", "contact_type", "scope")
DNS_KINDS = ("own_domain", "external_domain")
# The cause (stable id) a failed check of each kind diagnoses: a broken own federation SRV record
# explains "all contacts fail" better than disabled external access, whatever the table lists first.
PROBLEM_DIAGNOSES = {
    "own_domain": "federation_srv",
    "external_domain": "domain_permissions",
    "contact_format": "contact_format",
}
# Facts that decide which cause leads (ids from the article; absent ids are simply not used).
CONSUMER = "public_im"
CONSUMER_SKYPE = "consumer_skype"
NOT_SUPPORTED = "not_supported"
CHECK_ADDRESS = "check_address"
DOMAIN_NOT_FOUND = "domain_not_found"


def step(
    kb: Knowledge, state: DialogState, event: Event, *, ttl: float = DEFAULT_TTL
) -> Transition:
    """One step of the conversation. Never raises for anything a user can send."""
    state = _sanitise(kb, state)
    now = event.now
    if isinstance(event, Restart):
        return _restart(kb, state, now)
    if isinstance(event, CheckCompleted):
        return _on_check(kb, state, event.report, now)
    if isinstance(event, HomeDomainFound):
        return _on_home_domain(kb, state, event.domain, now)

    notice: tuple[Reply, ...] = ()
    if expired(state, now, ttl):
        state, notice = state.fresh(), (Message(kb.message("expired")),)
    elif state.phase == "done":
        state = state.fresh()
    if isinstance(event, UserText):
        result = _on_text(kb, state, event.text, now)
    else:
        result = _on_choice(kb, state, event.payload, now)
    return replace(result, replies=notice + result.replies)


def pending_question(
    kb: Knowledge, state: DialogState, now: float, *, ttl: float = DEFAULT_TTL
) -> Question | None:
    """The question a button press would answer at ``now``, as the dialog asked it (same builder,
    same revision); ``None`` when nothing is pending or the conversation ended or expired.

    Lets an adapter close the card that was answered from the stored state alone."""
    state = _sanitise(kb, state)
    if state.phase != "active" or state.pending is None or expired(state, now, ttl):
        return None
    return cards.question(kb, state, state.pending)


def expired(state: DialogState, now: float, ttl: float) -> bool:
    """An active conversation left idle longer than ``ttl``: its next step starts afresh."""
    return state.phase == "active" and now - state.updated_at > ttl


# --- events -----------------------------------------------------------------------------------


def _restart(kb: Knowledge, state: DialogState, now: float) -> Transition:
    fresh = replace(state.fresh(), phase="active")
    return _advance(kb, fresh, now, (Message(kb.message("restarted")),))


def _cancel(kb: Knowledge, state: DialogState, now: float) -> Transition:
    done = replace(state.fresh(), phase="done", updated_at=now)
    return Transition(done, (Message(kb.message("cancelled")),))


def _on_text(kb: Knowledge, state: DialogState, text: str, now: float) -> Transition:
    if is_command(kb, text, "restart"):
        return _restart(kb, state, now)
    if is_command(kb, text, "cancel"):
        return _cancel(kb, state, now)
    if state.phase == "new":
        return _open(kb, state, text, now)
    pending = state.pending
    if pending is None:
        return _advance(kb, state, now)
    aside = smalltalk(kb, text)
    if aside is not None and match_option(kb, pending, text, cards.options(kb, pending)) is None:
        # "thanks", "hi" in the middle of a question: a short reply, the question stays open
        asked = cards.question(kb, state, pending).text
        reply = Message(kb.message(f"smalltalk.{aside}", question=asked))
        return Transition(replace(state, updated_at=now), (reply,))
    if pending == "tenant_config" or tenant_facts.looks_like(text):
        return _on_config(kb, state, text, now)
    if pending in cards.DOMAIN_QUESTIONS:
        return _on_domain_answer(kb, state, pending, text, now)
    options = cards.options(kb, pending)
    value = match_option(kb, pending, text, options)
    if value is not None:
        return _answer(kb, state, pending, value, now)
    found = triage(text, kb)
    if found.recognized:
        return _advance(kb, _apply_triage(kb, state, found), now, _recognised(kb, found))
    value = find_in_words(kb, f"phrases.{pending}", text, [v for v, _ in options])
    if value is not None:  # a natural answer: "no, that didn't fix it", "just one person"
        heard = _settle_words(kb, _apply_triage(kb, state, found), text)
        return _answer(kb, heard, pending, value, now)
    learned = _settle_words(kb, _apply_triage(kb, state, found), text)
    if learned == state:
        return _reask(kb, state, now, Message(kb.message("invalid.choice")))
    if pending not in SCOPING or getattr(learned, pending) is not None:
        return _advance(kb, learned, now)
    # something else was said ("just one person" while asked who the contact is): keep it
    noted = Message(kb.message("heard", said=cards.scope_said(kb, learned)))
    return _reask(kb, learned, now, noted)


def _open(kb: Knowledge, state: DialogState, text: str, now: float) -> Transition:
    """The first message of a conversation: a pasted error settles what it can."""
    state = replace(state, phase="active")
    if tenant_facts.looks_like(text):
        return _on_config(kb, state, text, now)
    found = triage(text, kb)
    state = _apply_triage(kb, state, found)
    if found.recognized:
        return _advance(kb, _settle_words(kb, state, text), now, _recognised(kb, found))
    symptom = match_option(kb, "symptom", text, cards.options(kb, "symptom"), numbers=False)
    state = _settle_words(kb, replace(state, symptom=symptom), text)
    said = cards.scope_said(kb, state)  # what the first message settled, in the answers' words
    opening = kb.message("intro.heard", said=said) if said else kb.message("intro")
    return _advance(kb, state, now, (Message(opening),))


def _on_config(kb: Knowledge, state: DialogState, text: str, now: float) -> Transition:
    """A pasted tenant configuration (asked for or not) becomes facts: its findings."""
    pending = state.pending
    if pending == "tenant_config" and (
        match_option(kb, pending, text, cards.options(kb, pending)) == "skip"
        or (
            not tenant_facts.looks_like(text)
            and find_in_words(kb, f"phrases.{pending}", text, ["skip"]) == "skip"
        )
    ):  # "skip", or declined in free words ("no, I'm not an admin")
        return _answer(kb, state, pending, "skip", now)
    partner = _partner(state)
    found = tenant_facts.read(text, partner=partner, contact=state.contact_type)
    if isinstance(found, str):
        why = Message(kb.message("config.unreadable", reason=found))
        if pending is not None:
            return _reask(kb, state, now, why)
        return _advance(kb, state, now, (why,))
    state = replace(
        state,
        config=found,
        config_text=tenant_facts.kept(text),
        config_partner=partner,
        config_contact=state.contact_type,
    )
    return _advance(kb, state, now, (Message(kb.message("config.read")),))


def _partner(state: DialogState) -> str | None:
    """Whom a pasted configuration is judged against: the contact's address when one at the
    contact's domain is known (per-user blocks name people), else the domain."""
    domain = state.external_domain
    for address in state.addresses:
        if domain is None or address.lower().endswith("@" + domain.lower()):
            return address
    return domain


def _rejudged(state: DialogState) -> DialogState:
    """The pasted configuration judged again when the partner or the contact type it was judged
    against has changed since (learned later in the conversation): the findings follow the facts."""
    if state.config_text is None:
        return state
    partner, contact = _partner(state), state.contact_type
    if (partner, contact) == (state.config_partner, state.config_contact):
        return state
    found = tenant_facts.read(state.config_text, partner=partner, contact=contact)
    if isinstance(found, str):  # it was read once; the same text reads the same way
        return state
    return replace(state, config=found, config_partner=partner, config_contact=contact)


def _on_choice(kb: Knowledge, state: DialogState, payload: ChoicePayload, now: float) -> Transition:
    if payload.question == cards.START:
        return _start(kb, state, payload, now)
    pending = state.pending
    if state.phase != "active" or pending is None:
        fresh = replace(state.fresh(), phase="active")
        return _advance(kb, fresh, now, (Message(kb.message("stale")),))
    if payload.question != pending or payload.revision != state.revision:
        return _reask(kb, state, now, Message(kb.message("stale")))
    if payload.value not in {value for value, _ in cards.options(kb, pending)}:
        return _reask(kb, state, now, Message(kb.message("invalid.choice")))
    return _answer(kb, state, pending, payload.value, now)


def _start(kb: Knowledge, state: DialogState, payload: ChoicePayload, now: float) -> Transition:
    """The button under an auto-reply or fedcheck card: a new conversation, pre-filled."""
    fresh = replace(state.fresh(), phase="active")
    signature = kb.signature(payload.value)
    if signature is not None:
        fresh = replace(
            fresh,
            signature=signature.id,
            symptom=signature.symptom,
            contact_type=signature.contact_type,
        )
    fresh = _note_contact(kb, fresh, payload.arg)
    if signature is not None:
        opening = Message(
            kb.message("triage.recognised", title=signature.title, meaning=signature.meaning)
        )
    else:
        opening = Message(kb.message("intro"))
    return _advance(kb, fresh, now, (opening,))


def _on_check(
    kb: Knowledge, state: DialogState, report: CheckReport | tuple[InvalidDomain, ...], now: float
) -> Transition:
    if state.awaiting != "check":
        return Transition(state)
    kind = _check_kind(kb, state)
    domain = state.home_domain if kind == "own_domain" else state.external_domain
    domains = state.checking or (domain or "",)
    state = replace(state, awaiting=None, checking=())
    if isinstance(report, CheckReport):
        return _advance(kb, state.with_check(domains, report), now)
    reason = reason_in(kb.check_texts, report[0]) if report else kb.message("invalid.address")
    if domains == (state.home_domain,) and domains != (state.external_domain,):
        state = replace(state, home_domain=None, home_looked_up=True)
    else:
        state = replace(state, external_domain=None)
    return _advance(kb, state, now, (Message(kb.message("invalid.domain", reason=reason)),))


def _on_home_domain(
    kb: Knowledge, state: DialogState, domain: str | None, now: float
) -> Transition:
    if state.awaiting != "home":
        return Transition(state)
    parsed = parse_domain(domain) if domain else None
    home = parsed if isinstance(parsed, str) else None
    return _advance(kb, replace(state, awaiting=None, home_looked_up=True, home_domain=home), now)


def _on_domain_answer(
    kb: Knowledge, state: DialogState, pending: QuestionId, text: str, now: float
) -> Transition:
    if match_option(kb, pending, text, cards.options(kb, pending)) == "skip":
        return _answer(kb, state, pending, "skip", now)
    if pending == "contact_address":
        parsed = parse_address(text, kb)
        if isinstance(parsed, tuple):
            local, domain = parsed
            state = replace(state, addresses=(f"{local}@{domain}", *state.addresses))
            return _advance(kb, state, now)
        invalid: InvalidDomain = parsed
    else:
        domain_or_invalid = parse_domain(text)
        if isinstance(domain_or_invalid, str):
            if pending == "home_domain":
                state = replace(state, home_domain=domain_or_invalid)
            else:
                state = _note_contact(kb, replace(state, external_domain=None), text)
            return _advance(kb, state, now)
        invalid = domain_or_invalid
    found = triage(text, kb)
    if found.recognized:
        return _advance(kb, _apply_triage(kb, state, found), now, _recognised(kb, found))
    return _reask(
        kb,
        state,
        now,
        Message(kb.message("invalid.domain", reason=reason_in(kb.check_texts, invalid))),
    )


def _answer(
    kb: Knowledge, state: DialogState, pending: QuestionId, value: str, now: float
) -> Transition:
    state = replace(state, pending=None)
    if pending == "symptom":
        return _advance(kb, replace(state, symptom=value), now)
    if pending == "contact_type":
        return _advance(kb, replace(state, contact_type=value), now)
    if pending == "scope":
        return _advance(kb, replace(state, scope=value), now)
    if value == "skip":
        kind = cards.DOMAIN_QUESTIONS.get(pending, pending)
        return _advance(kb, replace(state, skipped=(*state.skipped, kind)), now)
    if value == "yes":
        done = replace(state, phase="done", updated_at=now)
        return Transition(done, (Message(kb.message("closing.fixed")),))
    if not state.queue:
        return _escalate(kb, state, now)
    return _advance(kb, state, now, (Message(kb.message("next_cause")),))


# --- deciding what comes next -------------------------------------------------------------------


def _advance(
    kb: Knowledge, state: DialogState, now: float, replies: tuple[Reply, ...] = ()
) -> Transition:
    """Ask the first unsettled question, run the check the current cause needs, or show it."""
    state = _rejudged(replace(state, phase="active", pending=None, updated_at=now))
    for qid in SCOPING:
        if getattr(state, qid) is None and _needs(kb, state.symptom, qid):
            return _ask(kb, state, qid, replies)
    if state.queue is None:
        state = _build_queue(kb, state)
    if not state.queue:
        return _escalate(kb, state, now, replies)
    external = state.external_domain
    if (
        not state.tried
        and external is not None
        and "external_domain" not in state.skipped
        and state.find_check((external,)) is None
        and not kb.is_consumer_domain(external)
    ):  # the contact's domain is a fact worth knowing before the first card
        return _run_check(state, (external,), replies)
    state = _order_by_facts(kb, state)
    cause = kb.causes[(state.queue or ("",))[0]]
    kind = _check_kind(kb, state)
    if kind in DNS_KINDS and kind not in state.skipped:
        domain = state.home_domain if kind == "own_domain" else state.external_domain
        if domain is None:
            if kind == "own_domain" and not state.home_looked_up:
                return _effect(state, "home", LookupHomeDomain(), replies)
            return _ask(
                kb, state, "home_domain" if kind == "own_domain" else "external_domain", replies
            )
        if state.find_check((domain,)) is None:
            return _run_check(state, (domain,), replies)
    if kind == "contact_format" and kind not in state.skipped and not state.addresses:
        return _ask(kb, state, "contact_address", replies)
    result = _check_result(kb, state, kind)
    if not state.tried and result is not None and result.status == "problem":
        state = _order_by_facts(kb, _promote(kb, state, kind))
        cause = kb.causes[(state.queue or (cause.id,))[0]]
    diagnosed = result is not None and result.status == "problem"
    diagnosed = diagnosed and PROBLEM_DIAGNOSES.get(kind or "") == cause.id
    if cause.config_findings and (state.config is not None or not diagnosed):
        # after the free evidence (DNS) and unless it already explains the cause: the configuration
        config = _config_step(kb, state, cause, now, replies)
        if config is not None:
            return config
    queue = state.queue or ()
    state = replace(state, queue=queue[1:], tried=(*state.tried, cause.id))
    if (
        cause.cleared_by_check
        and cause.check == kind
        and isinstance(result, CheckReport)
        and result.status == "ok"
    ):  # the live check rules this cause out: one line instead of a card
        checked = ", ".join(r.domain for r in result.results)
        line = Message(kb.message("check.cleared", cause=cause.title, domain=checked))
        return _advance(kb, state, now, (*replies, line))
    check = _live_check(kb, cause, kind, result)
    card = cards.resolution_card(kb, cause, check, state)
    return _ask(kb, state, "fixed", (*replies, card))


def _symptom_causes(kb: Knowledge, symptom: str | None) -> tuple[str, ...]:
    """The causes of a symptom that has its own (meeting join), in file order; else none."""
    return tuple(c.id for c in kb.causes.values() if symptom is not None and symptom in c.symptoms)


def _needs(kb: Knowledge, symptom: str | None, qid: str) -> bool:
    """Whether scoping question ``qid`` decides anything: always for the table's causes; for a
    symptom with its own causes (meeting join) how many contacts never does, and the contact type
    only when one of those causes is limited to a contact type."""
    own = _symptom_causes(kb, symptom)
    if not own or qid == "symptom":
        return True
    return qid == "contact_type" and any(kb.causes[c].contact_types for c in own)


def _config_step(
    kb: Knowledge, state: DialogState, cause: Cause, now: float, replies: tuple[Reply, ...]
) -> Transition | None:
    """A configuration cause: ask for the configuration once; a clean one rules the cause out
    (one line), findings that confirm it become the card's evidence. ``None``: no such fact."""
    if state.config is None:
        if "tenant_config" in state.skipped:
            return None
        return _ask(kb, state, "tenant_config", replies)
    queue = state.queue or ()
    done = replace(state, queue=queue[1:], tried=(*state.tried, cause.id))
    if tenant_facts.rules_out(state.config, cause.config_findings):
        line = Message(kb.message("check.cleared.config", cause=cause.title))
        return _advance(kb, done, now, (*replies, line))
    confirmed = tenant_facts.confirming(state.config, cause.config_findings)
    if not confirmed:
        return None
    check = LiveCheck(
        title=kb.message("check.title.tenant_config"),
        meaning=confirmed[0].message,
        facts=tuple((f.severity, f.message) for f in confirmed[1:]),
    )
    card = cards.resolution_card(kb, cause, check, done)
    return _ask(kb, done, "fixed", (*replies, card))


def _build_queue(kb: Knowledge, state: DialogState) -> DialogState:
    own = _symptom_causes(kb, state.symptom)
    if own:
        queue = tuple(
            c for c in own if c not in state.tried and kb.causes[c].applies_to(state.contact_type)
        )
        return replace(state, queue=queue, cell_check=None)
    try:
        cell = kb.cell(state.contact_type or "", state.scope or "")
    except KeyError:
        return replace(state, queue=())
    signature = kb.signature(state.signature)
    # A scoped signature's causes are only the symptom's guesses: the cell replaces them.
    guesses = signature is not None and signature.scoped
    candidates = (
        *cell.causes,
        *(signature.likely_causes if signature and not guesses else ()),
        *kb.follow_up_causes,
    )
    queue = tuple(
        c
        for c in dict.fromkeys(candidates)
        if c in kb.causes
        and c not in state.tried
        and not kb.causes[c].symptoms
        and (c in cell.causes or kb.causes[c].applies_to(state.contact_type))
    )
    cell_check = next(
        (
            kb.causes[c].check
            for c in cell.causes
            if c in kb.causes and kb.causes[c].check != "none"
        ),
        None,
    )
    return replace(state, queue=queue, cell_check=cell_check)


def _order_by_facts(kb: Knowledge, state: DialogState) -> DialogState:
    """Let facts decide what leads: a contact domain that doesn't exist → check the address;
    a consumer Skype contact → not supported (nothing else can help)."""
    queue = state.queue or ()
    lead: str | None = None
    external = state.external_domain
    report = state.find_check((external,)) if external else None
    if report is not None and any(
        f.code == DOMAIN_NOT_FOUND for r in report.results for f in r.findings
    ):
        lead = CHECK_ADDRESS
    elif CONSUMER_SKYPE in state.facts and state.contact_type == CONSUMER:
        lead = NOT_SUPPORTED
    elif state.config:
        own = _symptom_causes(kb, state.symptom)
        lead = next(
            (
                c.id
                for c in kb.causes.values()
                if c.id not in state.tried
                and c.applies_to(state.contact_type)
                and (c.id in own if own else not c.symptoms)
                and tenant_facts.confirming(state.config, c.config_findings)
            ),
            None,
        )
    if lead is None or lead not in kb.causes or lead in state.tried or queue[:1] == (lead,):
        return state
    return replace(state, queue=(lead, *(c for c in queue if c != lead)))


def _check_kind(kb: Knowledge, state: DialogState) -> str | None:
    """The live check behind the cause about to be shown; the first card of a cell gets the
    cell's check even when its own cause has none (so the result can reorder the causes)."""
    if not state.queue:
        return None
    own = kb.causes[state.queue[0]].check
    if own != "none":
        return own
    return state.cell_check if not state.tried else None


def _check_result(
    kb: Knowledge, state: DialogState, kind: str | None
) -> CheckReport | ContactFormat | None:
    """The result of the check ``kind`` in this conversation, when it was run (not skipped)."""
    if kind is None or kind in state.skipped:
        return None
    if kind == "contact_format":
        parsed = parse_address(state.addresses[0], kb) if state.addresses else None
        return contact_format(*parsed, kb) if isinstance(parsed, tuple) else None
    domain = state.home_domain if kind == "own_domain" else state.external_domain
    return state.find_check((domain,)) if domain else None


def _live_check(
    kb: Knowledge, cause: Cause, kind: str | None, result: CheckReport | ContactFormat | None
) -> LiveCheck | None:
    if kind is None or result is None:
        return None
    if isinstance(result, ContactFormat):
        return cards.format_live_check(kb, _backing(cause, kind), result)
    return cards.dns_live_check(kb, kind, _backing(cause, kind), result)


def _backing(cause: Cause, kind: str) -> Cause | None:
    """The cause whose ``check_meaning`` explains this check's result (when it speaks to it)."""
    return cause if cause.check == kind or cause.check_meaning else None


def _promote(kb: Knowledge, state: DialogState, kind: str | None) -> DialogState:
    """The check contradicts the first cause: put the cause its failure diagnoses first."""
    queue = state.queue or ()
    diagnosed = PROBLEM_DIAGNOSES.get(kind or "")
    if diagnosed is None or diagnosed not in queue:
        return state
    return replace(state, queue=(diagnosed, *(c for c in queue if c != diagnosed)))


def _escalate(
    kb: Knowledge, state: DialogState, now: float, replies: tuple[Reply, ...] = ()
) -> Transition:
    done = replace(state, phase="done", pending=None, updated_at=now)
    return Transition(done, (*replies, cards.escalation_card(kb, done)))


def _sanitise(kb: Knowledge, state: DialogState) -> DialogState:
    """Forget stored answers this knowledge does not know (e.g. stored before an upgrade)."""

    def known(value: str | None, ids: set[str]) -> str | None:
        return value if value in ids else None

    clean = replace(
        state,
        symptom=known(state.symptom, {o.id for o in kb.symptoms}),
        contact_type=known(state.contact_type, {o.id for o in kb.contact_types}),
        scope=known(state.scope, {o.id for o in kb.scopes}),
        queue=None if state.queue is None else tuple(c for c in state.queue if c in kb.causes),
        tried=tuple(c for c in state.tried if c in kb.causes),
    )
    settled = [
        getattr(clean, qid) for qid in SCOPING if qid == "symptom" or _needs(kb, clean.symptom, qid)
    ]
    if clean.queue is not None and None in settled:
        clean = replace(clean, queue=None, tried=())
    return clean


# --- small helpers --------------------------------------------------------------------------------


def _ask(
    kb: Knowledge, state: DialogState, qid: QuestionId, replies: tuple[Reply, ...]
) -> Transition:
    asked = replace(state, pending=qid, revision=state.revision + 1)
    return Transition(asked, (*replies, cards.question(kb, asked, qid)))


def _reask(kb: Knowledge, state: DialogState, now: float, why: Message) -> Transition:
    state = replace(state, updated_at=now)
    pending = cast(QuestionId, state.pending)
    return Transition(state, (why, cards.question(kb, state, pending)))


def _run_check(
    state: DialogState, domains: tuple[str, ...], replies: tuple[Reply, ...]
) -> Transition:
    return _effect(replace(state, checking=domains), "check", RunCheck(domains), replies)


def _effect(
    state: DialogState, awaiting: Awaiting, effect: Effect, replies: tuple[Reply, ...]
) -> Transition:
    return Transition(replace(state, awaiting=awaiting), replies, (effect,))


def _recognised(kb: Knowledge, found: Triage) -> tuple[Reply, ...]:
    signature = found.signature
    if signature is None:
        return ()
    return (
        Message(kb.message("triage.recognised", title=signature.title, meaning=signature.meaning)),
    )


def _apply_triage(kb: Knowledge, state: DialogState, found: Triage) -> DialogState:
    """Settle what a pasted error says (never overriding an answer already given)."""
    state = replace(
        state,
        signature=found.signature.id if found.signature else state.signature,
        symptom=state.symptom or found.symptom,
        # a contact type only guessed from the kind of domain is asked, not assumed
        contact_type=state.contact_type
        or (None if found.contact_type_guessed else found.contact_type),
        # the scope the paste states ("only joe", "everyone at fabrikam.com") isn't asked again
        scope=state.scope or found.scope,
    )
    for address in found.addresses:
        state = _note_contact(kb, state, address)
    if state.external_domain is None and found.domains:
        state = replace(state, external_domain=found.domains[0])
    return state


def _settle_words(kb: Knowledge, state: DialogState, text: str) -> DialogState:
    """What free words say about questions not answered yet ("just one person", "my messages to
    …"), and facts no question asks (a consumer Skype contact). Never overrides an answer."""

    def heard(qid: str, opts: tuple[Option, ...]) -> str | None:
        return find_in_words(kb, f"phrases.{qid}", text, [o.id for o in opts])

    # The short answers' phrases first, then the richer statements triage reads in pastes ("only
    # the one guy at fabrikam.com", "alle externen Kontakte"): one reading of the user's words.
    words = normalise_text(text[:MAX_SETTLE_CHARS])
    state = replace(
        state,
        symptom=state.symptom
        or heard("symptom", kb.symptoms)
        or stated_symptom(words, kb.stated_symptoms),
        contact_type=state.contact_type or heard("contact_type", kb.contact_types),
        scope=state.scope or heard("scope", kb.scopes) or stated_scope(words, kb.stated_scopes),
    )
    if CONSUMER_SKYPE not in state.facts and mentions(kb, f"phrases.fact.{CONSUMER_SKYPE}", text):
        state = replace(state, facts=(*state.facts, CONSUMER_SKYPE))
        if state.contact_type is None and any(o.id == CONSUMER for o in kb.contact_types):
            state = replace(state, contact_type=CONSUMER)
    return state


def _note_contact(kb: Knowledge, state: DialogState, text: str) -> DialogState:
    """Remember a contact's address (and its domain as the external one) or a bare domain."""
    if not text:
        return state
    parsed = parse_address(text, kb)
    if isinstance(parsed, tuple):
        address = f"{parsed[0]}@{parsed[1]}"
        if address not in state.addresses:
            state = replace(state, addresses=(*state.addresses, address))
        return replace(state, external_domain=state.external_domain or parsed[1])
    domain = parse_domain(text)
    if isinstance(domain, str):
        return replace(state, external_domain=state.external_domain or domain)
    return state

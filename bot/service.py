"""The one entry point every front end (CLI, Teams, Slack) drives.

Adapters convert a platform payload into a :class:`Turn`, call :class:`FedBot`, and render the
neutral replies it returns. FedBot owns conversation state, runs the dialog's effects (DNS checks,
home-domain look-ups) and feeds their results back into the dialog.

CONTRACT (implemented by the core; adapters rely on exactly this):

    bot = await FedBot.create(settings)          # loads knowledge, opens state store, resolver
    await bot.converse(turn) -> list[Reply]      # free text or a button press in a conversation;
                                                 # also handles typed commands "help", "restart",
                                                 # "cancel", "fedcheck <a> [<b>]"
    await bot.fedcheck(args, user_email=None) -> list[Reply]
                                                 # the /fedcheck command: "" (home domain or usage),
                                                 # "help", "<a>", "<a> <b>"; CheckCard or Message
    await bot.auto_reply(text) -> TriageCard | None
                                                 # channel message: a card only for a recognised
                                                 # federation error (with live check), else None
    await bot.pending_question(conversation) -> Question | None
                                                 # the question a button press would answer now
                                                 # (from stored state: to close answered cards)
    bot.welcome() -> list[Reply]; bot.help() -> list[Reply]
    await bot.ready() -> bool                    # knowledge loaded and state store reachable
    await bot.close()
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from bot import logs, metrics
from bot.config import Settings
from bot.state import StateConflict, StateStore, open_store
from dialogs import cards
from dialogs.answers import is_command
from dialogs.events import (
    CheckCompleted,
    Effect,
    Event,
    HomeDomainFound,
    LookupHomeDomain,
    UserChoice,
    UserText,
)
from dialogs.machine import pending_question, step
from dialogs.replies import ChoicePayload, Message, Question, Reply, TriageCard
from dialogs.state import DialogState
from federation.checker import FederationChecker
from federation.domains import parse_domain
from federation.model import CheckReport
from knowledge.loader import load_knowledge
from knowledge.model import Knowledge
from knowledge.triage import triage

log = logging.getLogger(__name__)

# A 40 KB paste is triaged whole; anything beyond this is cut (triage looks at the start).
MAX_TEXT_CHARS = 64 * 1024
MAX_FEDCHECK_CHARS = 1024
MAX_ATTEMPTS = 4  # optimistic-write retries when another process wrote the same conversation
MAX_EVENTS_PER_TURN = 16  # effects fed back per turn (a bound, never reached by the dialog)
PURGE_EVERY = 3600.0
_FEDCHECK = re.compile(r"^\s*/?fedcheck(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Turn:
    """One user action in one conversation, platform-neutral.

    ``conversation`` is a platform-qualified key (``teams:<conversation id>``,
    ``slack:<team>:<channel>:<thread ts>``); exactly one of ``text`` / ``payload`` is set.
    ``user_email`` is the asker's profile address when the platform gives it (home domain hint).
    """

    conversation: str
    user: str
    text: str | None = None
    payload: ChoicePayload | None = None
    user_email: str | None = None


class FedBot:
    """See the module docstring for the contract."""

    def __init__(
        self,
        settings: Settings,
        knowledge: Knowledge,
        checker: FederationChecker,
        store: StateStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.checker = checker
        self.store = store
        self._clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._last_purge = 0.0

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        knowledge: Knowledge | None = None,
        checker: FederationChecker | None = None,
        store: StateStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> FedBot:
        """Load knowledge, open the state store and the resolver (each unless given)."""
        kb = knowledge if knowledge is not None else load_knowledge(settings.knowledge_path)
        bot = cls(
            settings,
            kb,
            checker
            if checker is not None
            else FederationChecker(settings.dns_servers, settings.dns_timeout),
            store if store is not None else open_store(settings.state_url, clock),
            clock,
        )
        await bot._purge(clock())
        return bot

    # --- the conversation ------------------------------------------------------------------------

    async def converse(self, turn: Turn) -> list[Reply]:
        """Free text or a button press in a conversation; never raises for what a user sends."""
        logs.bind_conversation(turn.conversation)
        if turn.payload is not None:
            event: Event = UserChoice(turn.payload, self._clock())
        elif turn.text is not None and turn.text.strip():
            text = turn.text[:MAX_TEXT_CHARS]
            if is_command(self.knowledge, text, "help"):
                return self.help()
            fedcheck = _FEDCHECK.match(text[:MAX_FEDCHECK_CHARS])
            if fedcheck is not None:
                return await self.fedcheck(fedcheck.group(1) or "", turn.user_email)
            event = UserText(text, self._clock())
        else:
            return self.welcome()
        async with self._lock(turn.conversation):
            return await self._converse_locked(turn, event)

    def _lock(self, conversation: str) -> asyncio.Lock:
        lock = self._locks.get(conversation)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation] = lock
        return lock

    async def _converse_locked(self, turn: Turn, event: Event) -> list[Reply]:
        await self._purge(event.now)
        for _ in range(MAX_ATTEMPTS):
            stored = await self.store.get(turn.conversation)
            state = DialogState.from_dict(stored.data) if stored else DialogState()
            before = state.phase
            state, replies = await self._run(state, event, turn)
            try:
                await self.store.put(
                    turn.conversation, state.to_dict(), stored.version if stored else 0
                )
            except StateConflict:
                log.info("state conflict in %s, re-applying the turn", turn.conversation)
                continue
            metrics.conversation_step(before, state, replies)
            return replies
        log.error("gave up writing state of %s after %d conflicts", turn.conversation, MAX_ATTEMPTS)
        return [Message(self.knowledge.message("error.apology"))]

    async def _run(
        self, state: DialogState, event: Event, turn: Turn
    ) -> tuple[DialogState, list[Reply]]:
        """Step the dialog, performing each effect and feeding its result back."""
        replies: list[Reply] = []
        events = [event]
        for _ in range(MAX_EVENTS_PER_TURN):
            if not events:
                break
            transition = step(
                self.knowledge, state, events.pop(0), ttl=self.settings.conversation_ttl
            )
            state = transition.state
            replies.extend(transition.replies)
            for effect in transition.effects:
                events.append(await self._perform(effect, turn))
        return state, replies

    async def _perform(self, effect: Effect, turn: Turn) -> Event:
        if isinstance(effect, LookupHomeDomain):
            return HomeDomainFound(self.home_domain(turn.user_email), self._clock())
        report = await metrics.timed_check(self.checker.check(*effect.domains))
        return CheckCompleted(report, self._clock())

    async def pending_question(self, conversation: str) -> Question | None:
        """The question a button press in ``conversation`` would answer now, rebuilt from the
        stored state (so an adapter can close the answered card after a restart or on another
        replica); ``None`` when none is pending."""
        stored = await self.store.get(conversation)
        if stored is None:
            return None
        state = DialogState.from_dict(stored.data)
        return pending_question(
            self.knowledge, state, self._clock(), ttl=self.settings.conversation_ttl
        )

    def home_domain(self, user_email: str | None = None) -> str | None:
        """The asker's SIP domain: configured, in the org's knowledge, or their e-mail's."""
        for candidate in (*self.settings.home_domains, *self.knowledge.home_domains, user_email):
            if candidate:
                domain = parse_domain(candidate)
                if isinstance(domain, str):
                    return domain
        return None

    async def _purge(self, now: float) -> None:
        """Drop long-idle conversations; kept for twice the TTL so a returning user is told that
        the conversation expired instead of silently starting over."""
        if now - self._last_purge >= PURGE_EVERY:
            self._last_purge = now
            await self.store.purge_expired(now, 2 * self.settings.conversation_ttl)

    # --- commands and auto-replies ---------------------------------------------------------------

    async def fedcheck(self, args: str, user_email: str | None = None) -> list[Reply]:
        """``fedcheck``: "" (the asker's home domain, else usage), "help", one or two domains."""
        kb = self.knowledge
        usage = Message(kb.message("fedcheck.usage"))
        words = args[:MAX_FEDCHECK_CHARS].replace(",", " ").split()
        if words and is_command(kb, words[0], "help"):
            return [usage]
        if not words:
            home = self.home_domain(user_email)
            if home is None:
                return [usage]
            words = [home]
        if len(words) > 2:
            return [Message(kb.message("fedcheck.too_many", count=str(len(words)))), usage]
        result = await metrics.timed_check(self.checker.check_inputs(*words))
        if not isinstance(result, CheckReport):
            return [
                Message(kb.message("fedcheck.invalid", input=bad.input[:100], reason=bad.reason))
                for bad in result
            ]
        return [cards.check_card(kb, result)]

    async def auto_reply(self, text: str) -> TriageCard | None:
        """A compact card for a recognised pasted federation error (with a live check of the
        external domain in it); ``None`` for everything else."""
        found = triage(text[:MAX_TEXT_CHARS], self.knowledge)
        if not found.recognized or found.signature is None:
            return None
        own = {*self.settings.home_domains, *self.knowledge.home_domains}
        domain = next((d for d in found.domains if d not in own), None)
        report = await metrics.timed_check(self.checker.check(domain)) if domain else None
        address = next((a for a in found.addresses if a.rpartition("@")[2] not in own), None)
        return cards.triage_card(self.knowledge, found.signature, report, address or domain or "")

    def welcome(self) -> list[Reply]:
        return [Message(self.knowledge.message("welcome"))]

    def help(self) -> list[Reply]:
        return [Message(self.knowledge.message("help"))]

    async def ready(self) -> bool:
        """Knowledge loaded and the state store reachable."""
        return bool(self.knowledge.table) and await self.store.ping()

    async def close(self) -> None:
        await self.store.close()
        await self.checker.close()

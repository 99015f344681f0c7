"""The one entry point every front end (CLI, Teams, Slack) drives.

Adapters convert a platform payload into a :class:`Turn`, call :class:`FedBot`, and render the
neutral replies it returns. FedBot owns conversation state, runs the dialog's effects (DNS checks,
home-domain look-ups) and feeds their results back into the dialog.

CONTRACT (implemented by the core; adapters rely on exactly this):

    bot = await FedBot.create(settings)          # loads knowledge, opens state store, resolver
    await bot.handle(turn) -> list[Reply]        # THE entry point: every conversation rule is here
                                                 # (see TurnKind); [] means "stay silent"
    await bot.undelivered(turn)                  # the adapter could not post handle()'s replies:
                                                 # forget the once-per-thread claim it made
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
    bot.work                                     # acknowledged work: recorded before the ack,
                                                 # resumed after a crash (bot.work.WorkQueue)
    await bot.close()
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from bot import logs, metrics
from bot.config import Settings
from bot.store import CLAIM_TTL, StateConflict, StateStore, open_store
from bot.work import WorkQueue
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
from dialogs.tenant_facts import with_pasted_config
from federation.checker import FederationChecker
from federation.domains import parse_domain
from federation.model import CheckReport
from federation.texts import reason_in, texts_of
from knowledge.loader import load_knowledge
from knowledge.model import Knowledge
from knowledge.triage import Triage, triage

log = logging.getLogger(__name__)

# A 40 KB paste is triaged whole; anything beyond this is cut (triage looks at the start).
MAX_TEXT_CHARS = 64 * 1024
MAX_FEDCHECK_CHARS = 1024
MAX_ATTEMPTS = 4  # optimistic-write retries when another process wrote the same conversation
MAX_EVENTS_PER_TURN = 16  # effects fed back per turn (a bound, never reached by the dialog)
PURGE_EVERY = 3600.0
_FEDCHECK = re.compile(r"^\s*/?fedcheck(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)
COMMANDS = ("help", "fedcheck", "restart", "cancel")


class TurnKind(Enum):
    """Where a turn was said; the service's rules depend on nothing else about the platform."""

    DIRECT = "direct"  # a personal chat / DM with the bot: the conversation
    MENTION = "mention"  # the bot @mentioned in a channel thread: takes the thread
    CHANNEL = "channel"  # any other channel message: an auto-reply for a recognised error, once
    COMMAND = "command"  # the platform's slash command (Slack ``/fedcheck``): text = its arguments
    BUTTON = "button"  # a press of one of our buttons: payload set
    JOINED = "joined"  # the bot was added to a conversation: a welcome


EmailLookup = Callable[[], Awaitable[str | None]]
# Shown while a slow DNS check runs (Teams: typing; Slack: a message the answer replaces; terminal:
# a line). Called at most once per check, only when it has not finished within PROGRESS_AFTER.
Progress = Callable[[Message], Awaitable[None]]
PROGRESS_AFTER = 0.3  # seconds: cached and fast checks show nothing extra
T = TypeVar("T")


@dataclass(frozen=True)
class Turn:
    """One user action in one conversation, platform-neutral.

    ``conversation`` is a platform-qualified key of the conversation *or channel thread*
    (``teams:<conversation id>``, ``slack:<team>:<channel>:<thread ts>``). ``user_email`` is the
    asker's profile address when the payload carries it; ``email_lookup`` fetches it from the
    platform, called only when the service needs it (no home domain configured).
    ``from_bot``: sent by a bot (ourselves included); such turns are never answered.
    ``work``: the key of the acknowledged work this turn is (see :mod:`bot.work`), so a turn
    resumed after a crash recognises the claims its first run took. ``starts_thread``: a
    channel post that is not a reply (its thread is itself, so no conversation can run in it).
    """

    conversation: str
    user: str
    text: str | None = None
    payload: ChoicePayload | None = None
    user_email: str | None = None
    kind: TurnKind = TurnKind.DIRECT
    from_bot: bool = False
    email_lookup: EmailLookup | None = field(default=None, compare=False, repr=False)
    progress: Progress | None = field(default=None, compare=False, repr=False)
    work: str | None = None
    starts_thread: bool = False  # a channel post starting its own thread: no conversation in it


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
        # acknowledged work of every platform: recorded before the ack, resumed after a crash
        self.work = WorkQueue(store, settings.work_lease)
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
            else FederationChecker(settings.dns_servers, settings.dns_timeout, texts=texts_of(kb)),
            store
            if store is not None
            else open_store(settings.state_url, clock, retention=2 * settings.conversation_ttl),
            clock,
        )
        await bot.store.open()
        await bot._purge(clock())
        return bot

    # --- the rules: one entry point for every front end -------------------------------------------

    async def handle(self, turn: Turn) -> list[Reply]:
        """The replies to one turn (``[]``: stay silent). Every conversation rule lives here:
        bots are not answered; a mention takes its thread; a channel message gets at most one
        auto-reply per thread, none in a thread taken by a conversation; commands are recognised
        by :func:`command_of`; the home domain comes from :meth:`home_domain`."""
        if turn.from_bot:
            return []
        if turn.kind is TurnKind.JOINED:
            return self.welcome()
        if turn.kind is TurnKind.COMMAND:
            args = (turn.text or "")[:MAX_FEDCHECK_CHARS]
            if is_command(self.knowledge, args, "help"):
                return self.help()
            email = await self._email_for(turn, needed=not args.strip())
            return await self.fedcheck(args, email, progress=turn.progress)
        if turn.kind is TurnKind.CHANNEL:
            return await self._channel_message(turn)
        if turn.kind is TurnKind.MENTION:
            await self.store.claim(thread_claim(turn.conversation), self._claim_ttl)
        return await self.converse(turn)

    async def undelivered(self, turn: Turn) -> None:
        """The replies :meth:`handle` gave for a channel message could not be posted: forget that
        the thread got its auto-reply (when this turn's work took it), so a later paste may try
        again."""
        if turn.kind is not TurnKind.CHANNEL:
            return
        key = thread_claim(turn.conversation)
        if turn.work is None or await self.store.claimed(key) == _owner(turn):
            await self.store.release(key)

    async def _channel_message(self, turn: Turn) -> list[Reply]:
        text = (turn.text or "")[:MAX_TEXT_CHARS]
        found = self._triaged(text) if text.strip() else None
        if found is None or not found.recognized:
            return []  # chatter: silence (and nothing claimed)
        if not turn.starts_thread and await self.store.get(turn.conversation) is not None:
            return []  # a conversation runs in this thread (also after a restart)
        key = thread_claim(turn.conversation)
        owner = _owner(turn)  # never taken over: its lease lasts as long as the claim
        taken = await self.store.claim(key, self._claim_ttl, owner, self._claim_ttl)
        # not taken: the thread has its auto-reply or a conversation, unless the claim is this
        # turn's own, taken before a crash (the turn is resumed)
        if not taken and (owner is None or await self.store.claimed(key) != owner):
            return []
        try:
            card = await self._triage_card(found, turn.progress)
        except BaseException:
            await self.store.release(key)
            raise
        if card is None:
            await self.store.release(key)
            return []
        metrics.auto_reply(turn.conversation.partition(":")[0])
        return [card]

    @property
    def _claim_ttl(self) -> float:
        return max(CLAIM_TTL, 2 * self.settings.conversation_ttl)

    async def _email_for(self, turn: Turn, *, needed: bool = True) -> str | None:
        """The asker's address, fetched from the platform only when no home domain is known."""
        if turn.user_email or not needed or turn.email_lookup is None:
            return turn.user_email
        if self.home_domain() is not None:
            return None
        try:
            return await turn.email_lookup()
        except Exception:
            log.info("no profile e-mail for %s", turn.user, exc_info=True)
            return None

    # --- the conversation ------------------------------------------------------------------------

    async def converse(self, turn: Turn) -> list[Reply]:
        """Free text or a button press in a conversation; never raises for what a user sends."""
        logs.bind_conversation(turn.conversation)
        if turn.payload is not None:
            event: Event = UserChoice(turn.payload, self._clock())
        elif turn.text is not None and turn.text.strip():
            text = turn.text[:MAX_TEXT_CHARS]
            command = command_of(self.knowledge, text)
            if command == "help":
                return self.help()
            fedcheck = _FEDCHECK.match(text[:MAX_FEDCHECK_CHARS]) if command == "fedcheck" else None
            if fedcheck is not None:
                args = fedcheck.group(1) or ""
                email = await self._email_for(turn, needed=not args)
                return await self.fedcheck(args, email, progress=turn.progress)
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
            before = state
            state, replies = await self._run(state, event, turn)
            try:
                await self.store.put(
                    turn.conversation, state.to_dict(), stored.version if stored else 0
                )
            except StateConflict:
                log.info("state conflict in %s, re-applying the turn", turn.conversation)
                continue
            metrics.conversation_step(
                before, state, replies, event.now, self.settings.conversation_ttl
            )
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
            return HomeDomainFound(self.home_domain(await self._email_for(turn)), self._clock())
        check = metrics.timed_check(self.checker.check(*effect.domains))
        report = await self._showing_progress(check, effect.domains, turn.progress)
        return CheckCompleted(report, self._clock())

    async def _showing_progress(
        self, work: Awaitable[T], domains: Sequence[str], progress: Progress | None
    ) -> T:
        """``work``'s result; when it takes longer than PROGRESS_AFTER, ``progress`` is told
        which domains are being checked (a failing progress display never fails the turn)."""
        if progress is None or not domains:
            return await work
        shown: list[asyncio.Task[None]] = []

        def show() -> None:
            text = self.knowledge.message("check.progress", domains=" + ".join(domains))
            shown.append(asyncio.ensure_future(progress(Message(text))))

        # a timer, not a task per check: cached checks (most) cost one timer handle
        timer = asyncio.get_running_loop().call_later(PROGRESS_AFTER, show)
        try:
            return await work
        finally:
            timer.cancel()
            for task in shown:  # let the progress display land before the answer replaces it
                try:
                    await task
                except Exception as error:  # the display is a courtesy: say so, briefly
                    log.warning("could not show check progress: %s", error)

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
        """The asker's SIP domain, in this order for every platform: configured
        (``FEDBOT_HOME_DOMAINS``), in the organisation's knowledge, or their profile e-mail's."""
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

    async def fedcheck(
        self, args: str, user_email: str | None = None, progress: Progress | None = None
    ) -> list[Reply]:
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
        shown = [w.rpartition("@")[2] for w in words]
        result = await self._showing_progress(
            metrics.timed_check(self.checker.check_inputs(*words)), shown, progress
        )
        if not isinstance(result, CheckReport):
            return [
                Message(
                    kb.message(
                        "fedcheck.invalid",
                        input=bad.input[:100],
                        reason=reason_in(kb.check_texts, bad),
                    )
                )
                for bad in result
            ]
        return [cards.check_card(kb, result)]

    async def auto_reply(self, text: str) -> TriageCard | None:
        """A compact card for a recognised pasted federation error (with a live check of the
        external domain in it); ``None`` for everything else."""
        return await self._triage_card(self._triaged(text[:MAX_TEXT_CHARS]))

    def _triaged(self, text: str) -> Triage:
        """The paste recognised, its causes following any tenant configuration pasted with it."""
        return with_pasted_config(self.knowledge, triage(text, self.knowledge), text)

    async def _triage_card(
        self, found: Triage, progress: Progress | None = None
    ) -> TriageCard | None:
        if not found.recognized or found.signature is None:
            return None
        own = {*self.settings.home_domains, *self.knowledge.home_domains}
        domain = next((d for d in found.peer_domains if d not in own), None)
        report = (
            await self._showing_progress(
                metrics.timed_check(self.checker.check(domain)), [domain], progress
            )
            if domain
            else None
        )
        address = next((a for a in found.addresses if a.rpartition("@")[2] not in own), None)
        return cards.triage_card(self.knowledge, found.signature, report, address or domain or "")

    def lost_reply(self, asked: str, limit: int = 80) -> str:
        """What a user is told when the answer to ``asked`` could not be sent (their words quoted
        on one line, cut at ``limit`` characters)."""
        quoted = " ".join(asked.split())
        if len(quoted) > limit:
            quoted = quoted[: limit - 1].rstrip() + "…"
        return self.knowledge.message("error.lost_reply", asked=quoted)

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


def _owner(turn: Turn) -> dict[str, str] | None:
    """What a claim taken by ``turn`` carries: the work it belongs to."""
    return {"owner": turn.work} if turn.work else None


def thread_claim(conversation: str) -> str:
    """The claim a thread's first auto-reply or first @mention takes."""
    return "thread:" + conversation


def command_of(kb: Knowledge, text: str) -> str | None:
    """Which of :data:`COMMANDS` ``text`` is (a typed ``help``, ``/fedcheck x``, ``restart``…),
    else None; the one place commands are recognised (the dialog acts on restart/cancel)."""
    if _FEDCHECK.match(text[:MAX_FEDCHECK_CHARS]):
        return "fedcheck"
    return next((name for name in COMMANDS if is_command(kb, text, name)), None)

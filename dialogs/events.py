"""What drives the dialog (events), what it asks the world to do (effects), and one step's result.

Time comes in with every event (``now``, seconds since the epoch): the dialog never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.replies import ChoicePayload, Reply
from dialogs.state import DialogState
from federation.model import CheckReport, InvalidDomain


@dataclass(frozen=True)
class UserText:
    """Free text typed (or pasted) by the user."""

    text: str
    now: float


@dataclass(frozen=True)
class UserChoice:
    """A button pressed: the payload the button carried, unchanged."""

    payload: ChoicePayload
    now: float


@dataclass(frozen=True)
class CheckCompleted:
    """The result of a :class:`RunCheck` effect (invalid inputs come back as a tuple)."""

    report: CheckReport | tuple[InvalidDomain, ...]
    now: float


@dataclass(frozen=True)
class HomeDomainFound:
    """The result of a :class:`LookupHomeDomain` effect; ``None`` when nothing knows it."""

    domain: str | None
    now: float


@dataclass(frozen=True)
class Restart:
    """Start over (a typed command or a platform action)."""

    now: float


Event = UserText | UserChoice | CheckCompleted | HomeDomainFound | Restart


@dataclass(frozen=True)
class RunCheck:
    """Check these domains' federation DNS records; answer with :class:`CheckCompleted`."""

    domains: tuple[str, ...]


@dataclass(frozen=True)
class LookupHomeDomain:
    """Find the asker's own SIP domain; answer with :class:`HomeDomainFound`."""


Effect = RunCheck | LookupHomeDomain


@dataclass(frozen=True)
class Transition:
    """One step's outcome: the new state, what to show, and what to do next."""

    state: DialogState
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()

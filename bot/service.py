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
    bot.welcome() -> list[Reply]; bot.help() -> list[Reply]
    await bot.ready() -> bool                    # knowledge loaded and state store reachable
    await bot.close()
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.replies import ChoicePayload


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
    """See the module docstring for the contract. (Implemented by the core work.)"""

    async def ready(self) -> bool:
        raise NotImplementedError

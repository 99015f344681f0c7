"""Answered cards are closed from the stored dialog state: after a restart on the same SQLite file
(a new FedBot and a new application), pressing a button of a card sent before the restart updates
that card without buttons and the conversation goes on; stale and expired presses leave it alone."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.service import FedBot
from tests.dnsserver import DnsTestServer
from tests.teams_harness import FakeConnector, RunningApp, Sent, activity, run_app

CONVERSATION = "a:restart-1"


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Deployment:
    """A fedbot process: its FedBot and application, restartable on the same state file."""

    settings: Settings
    connector: FakeConnector
    clock: Clock = field(default_factory=Clock)
    bot: FedBot | None = None
    app: RunningApp | None = None

    async def start(self) -> None:
        self.bot = await FedBot.create(self.settings, clock=self.clock)
        self.app = await run_app(self.bot, self.settings)

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
        if self.bot is not None:
            await self.bot.close()
        self.app = self.bot = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def send(self, **kwargs: Any) -> list[Sent]:
        assert self.app is not None
        before = len(self.connector.sent)
        status, body = await self.app.post(
            activity(self.connector.url, conversation=CONVERSATION, **kwargs)
        )
        assert status in (200, 201), body
        return self.connector.sent[before:]


@pytest.fixture
async def deployment(dns_server: DnsTestServer, tmp_path: Path) -> AsyncIterator[Deployment]:
    settings = Settings(
        dns_servers=(dns_server.address,),
        state_url=f"sqlite:///{tmp_path / 'state.db'}",
        dns_timeout=2.0,
    )
    connector = await FakeConnector().start()
    running = Deployment(settings, connector)
    await running.start()
    yield running
    await running.stop()
    await connector.stop()


def _card_with_buttons(sent: list[Sent]) -> Sent:
    return next(s for s in reversed(sent) if s.method == "POST" and s.buttons())


def _button(card: Sent, value: str) -> tuple[str, dict[str, Any]]:
    return next((title, data) for title, data in card.buttons() if data["v"] == value)


async def test_a_card_answered_after_a_restart_is_updated_without_buttons(
    deployment: Deployment,
) -> None:
    card = _card_with_buttons(await deployment.send(text="hi"))
    title, data = _button(card, "im_not_delivered")
    assert data["q"] == "symptom"

    await deployment.restart()  # a new FedBot and application on the same SQLite file
    sent = await deployment.send(value=data, reply_to_id=card.id)

    updates = [s for s in sent if s.method == "PUT"]
    assert len(updates) == 1, [s.method for s in sent]
    (update,) = updates
    assert update.activity_id == card.id
    assert update.buttons() == []
    # the answer as chosen (a short numbered button title stands for its full wording)
    assert title.split(". ", 1)[-1].rstrip("…") in update.text
    # The update comes first, then the conversation goes on with the next question.
    assert sent[0] is update
    following = _card_with_buttons(sent)
    assert following.method == "POST"
    assert {d["q"] for _t, d in following.buttons()} == {"contact_type"}


async def test_an_older_card_after_a_restart_keeps_its_card_and_gets_a_stale_answer(
    deployment: Deployment,
) -> None:
    first = _card_with_buttons(await deployment.send(text="hi"))
    _title, answered = _button(first, "im_not_delivered")
    await deployment.send(value=answered, reply_to_id=first.id)
    await deployment.restart()

    _title, other = _button(first, "presence_unknown")
    sent = await deployment.send(value=other, reply_to_id=first.id)

    assert not [s for s in sent if s.method == "PUT"]
    assert deployment.bot is not None
    stale = deployment.bot.knowledge.message("stale")
    assert stale.split(".")[0] in "\n".join(s.text for s in sent)
    # The question still pending is asked again; answering it closes that card.
    again = _card_with_buttons(sent)
    _title, data = next((t, d) for t, d in again.buttons() if d["q"] == "contact_type")
    updated = [
        s for s in await deployment.send(value=data, reply_to_id=again.id) if s.method == "PUT"
    ]
    assert [u.activity_id for u in updated] == [again.id]


async def test_a_press_in_an_expired_conversation_leaves_the_card_alone(
    deployment: Deployment,
) -> None:
    card = _card_with_buttons(await deployment.send(text="hi"))
    _title, data = _button(card, "im_not_delivered")
    await deployment.restart()
    deployment.clock.now += deployment.settings.conversation_ttl + 60

    sent = await deployment.send(value=data, reply_to_id=card.id)

    assert not [s for s in sent if s.method == "PUT"], "the dialog did not accept this answer"
    assert deployment.bot is not None
    expired = deployment.bot.knowledge.message("expired")
    assert expired.split(".")[0] in "\n".join(s.text for s in sent)


async def test_startup_objects_are_kept_out_of_the_collector_while_serving(
    deployment: Deployment,
) -> None:
    # Full collections under load would otherwise walk every module and knowledge object.
    assert gc.get_freeze_count() > 10_000
    await deployment.stop()
    assert gc.get_freeze_count() == 0
    await deployment.start()

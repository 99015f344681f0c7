"""The fast paths give exactly what msrest gives: request bodies of every kind of activity the
bot (or botbuilder on its behalf) sends, incoming activities, and the cheap copies."""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

import pytest
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    Entity,
    HeroCard,
    Mention,
    RoleTypes,
    SuggestedActions,
)
from botbuilder.schema.teams import TeamsChannelData, TenantInfo
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.exceptions import DeserializationError
from msrest.serialization import Deserializer, Model, Serializer

from adapters.teams.activity_serializer import (
    FastBody,
    FastRead,
    JsonObject,
    OutgoingActivity,
    install,
    read_activity,
)
from tests.teams_harness import activity as inbound_activity

URL = "http://127.0.0.1:9/"
CARD = JsonObject(
    {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Zürich ✅ <b>", "wrap": True}],
        "actions": [{"type": "Action.Submit", "title": "Yes", "data": {"fedbot": 1, "q": "x"}}],
    }
)


def _serializer() -> Serializer:
    client = ConnectorClient(MicrosoftAppCredentials("", ""), base_url=URL)
    serializer: Serializer = client._serialize
    install(serializer)
    return serializer


def _msrest(serializer: Serializer, activity: Any) -> Any:
    """msrest's own body() on a deep copy (it rebuilds models in place), same configuration."""
    return Serializer.body(serializer, copy.deepcopy(activity), "Activity")


INBOUND = [
    inbound_activity(URL, text="hello"),
    inbound_activity(URL, value={"fedbot": 1, "q": "symptom", "v": "x", "r": 2}, reply_to_id="a-1"),
    inbound_activity(
        URL,
        text="fedcheck contoso.example",
        mention=True,
        conversation="19:support@thread.tacv2;messageid=1001",
        conversation_type="channel",
    ),
    inbound_activity(URL, type="conversationUpdate", members_added=["28:fedbot-bot", "29:x"]),
    inbound_activity(URL, text="hi", role="bot", channel_id="emulator"),
]


def _replies(incoming: dict[str, Any]) -> list[Any]:
    """What gets sent in reply to ``incoming``: ours, addressed as TurnContext addresses them,
    and activities botbuilder's own helpers build."""
    reference = TurnContext.get_conversation_reference(read_activity(incoming))
    ours = OutgoingActivity(
        type=ActivityTypes.message,
        summary="Did this fix it?",
        attachments=[
            Attachment(content_type="application/vnd.microsoft.card.adaptive", content=CARD)
        ],
    )
    ours.input_hint = "acceptingInput"
    update = OutgoingActivity(
        type="message", attachments=[Attachment(content_type="x", content=CARD)]
    )
    update.id = "act-7"
    built = [
        MessageFactory.text("Echo: hi"),
        MessageFactory.suggested_actions(
            [CardAction(type="imBack", title="Yes", value="yes")], "?"
        ),
        MessageFactory.attachment(Attachment(content_type="hero", content=HeroCard(title="t"))),
        Activity(type=ActivityTypes.typing),
        Activity(
            type="message",
            text="x",
            timestamp=datetime.datetime(2026, 11, 27, 10, 0, 0, tzinfo=datetime.UTC),
            entities=[
                Mention(mentioned=ChannelAccount(id="29:u", name="U"), text="<at>U</at>"),
                Entity(type="clientInfo"),
            ],
            channel_data=TeamsChannelData(tenant=TenantInfo(id="t-1")),
            value={"nested": [1, 2.5, None, {"a": "b"}], "when": "now"},
            suggested_actions=SuggestedActions(to=["29:u"], actions=[]),
        ),
        Activity(type="message", channel_data={"notification": {"alert": True}}),
        # An enum in a str slot, and a dict where a model belongs (msrest builds the model).
        Activity(
            type=ActivityTypes.message, from_property=ChannelAccount(id="b", role=RoleTypes.bot)
        ),
        Activity(type="message", conversation={"id": "c-1", "isGroup": True, "extra": 1}),
        Activity(
            type="message",
            conversation=ConversationAccount(id="c", is_group=True, tenant_id="t"),
            recipient=ChannelAccount(id="r", aad_object_id="aad"),
        ),
    ]
    return [TurnContext.apply_conversation_reference(a, reference) for a in (ours, update, *built)]


CASES = [(i, r) for i, incoming in enumerate(INBOUND) for r in _replies(incoming)]


@pytest.mark.parametrize(("case", "reply"), CASES)
def test_request_bodies_equal_msrest(case: int, reply: Any) -> None:
    serializer = _serializer()
    expected = _msrest(serializer, reply)
    got = serializer.body(reply, "Activity")
    assert got == expected
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_the_fast_path_is_taken_for_our_replies() -> None:
    serializer = _serializer()
    assert isinstance(serializer.body, FastBody)
    reply = _replies(INBOUND[0])[0]
    body = serializer.body.model(reply)  # raises instead of falling back
    assert body["attachments"][0]["content"] is CARD  # the card is sent as built
    assert body["type"] == "message" and body["replyToId"] == INBOUND[0]["id"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


def _same(a: Any, b: Any) -> bool:
    """Deep equality of model trees: same classes, same attributes (additional ones included)."""
    if isinstance(a, Model) or isinstance(b, Model):
        return type(a) is type(b) and _same(vars(a), vars(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _msrest_read(data: Any) -> Any:
    return Activity().deserialize(copy.deepcopy(data))


UNUSUAL = [
    {"text": 5, "locale": True},  # msrest turns numbers into text
    {"from": {"id": "u", "role": "user", "unknownField": [1]}, "membersAdded": []},
    {"timestamp": "2026-11-27T10:00:00.1234567+01:00", "localTimestamp": "2026-11-27T10:00:00Z"},
    {"entities": [{"type": "mention", "mentioned": {"id": "x"}}, None], "channelData": [1, "a"]},
    {"conversation": {"id": "c", "isGroup": "true"}},  # msrest's bool parsing
    {"value": {"deep": {"er": [None, 1.5]}}, "attachments": [{"contentType": "t", "content": "x"}]},
    {"textHighlights": [{"text": "a", "occurrence": 2}], "importance": "high"},
]
BROKEN = [
    {"from": "not an object"},
    {"membersAdded": {"id": "x"}},
    {"entities": "mention"},
    {"timestamp": "yesterday"},
]


@pytest.mark.parametrize("incoming", [*INBOUND, *({**INBOUND[0], **u} for u in UNUSUAL)])
def test_incoming_activities_read_as_msrest_reads_them(incoming: dict[str, Any]) -> None:
    fast = read_activity(copy.deepcopy(incoming))
    assert type(fast) is Activity
    assert _same(fast, _msrest_read(incoming))


@pytest.mark.parametrize("incoming", INBOUND)
def test_the_fast_path_is_taken_for_what_teams_sends(incoming: dict[str, Any]) -> None:
    reader = FastRead(Deserializer(Activity._infer_class_models()))
    fast = reader.model(Activity, incoming)  # raises instead of falling back
    assert _same(fast, _msrest_read(incoming))


@pytest.mark.parametrize("broken", BROKEN)
def test_incoming_activities_msrest_refuses_are_refused(broken: dict[str, Any]) -> None:
    incoming = {**INBOUND[0], **broken}
    with pytest.raises(DeserializationError):
        _msrest_read(incoming)
    with pytest.raises(DeserializationError):
        read_activity(incoming)


def test_incoming_activity_keeps_unknown_fields_and_mention_details() -> None:
    incoming = inbound_activity(URL, text="x", mention=True, conversation_type="channel")
    incoming["somethingNew"] = {"k": 1}
    fast = read_activity(incoming)
    assert fast.additional_properties == {"somethingNew": {"k": 1}}
    (mention,) = fast.entities
    assert mention.additional_properties["mentioned"]["id"] == "28:fedbot-bot"


KEYS = ["text", "from", "conversation", "entities", "membersAdded", "timestamp", "value", "id"]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), json_values, max_size=6))
def test_any_incoming_json_reads_as_msrest_reads_it(fields: dict[str, Any]) -> None:
    incoming = {**INBOUND[2], **fields}
    try:
        expected = _msrest_read(incoming)
    except DeserializationError:
        with pytest.raises(DeserializationError):
            read_activity(copy.deepcopy(incoming))
        return
    assert _same(read_activity(copy.deepcopy(incoming)), expected)


def test_copies_of_outgoing_activities_are_cheap_and_independent() -> None:
    ours = OutgoingActivity(type="message", attachments=[Attachment(content=CARD)])
    clone = copy.deepcopy(ours)
    assert clone is not ours and isinstance(clone, OutgoingActivity)
    clone.id = "changed"
    clone.conversation = ConversationAccount(id="c")
    assert ours.id is None and ours.conversation is None
    assert clone.attachments[0].content is CARD
    assert copy.deepcopy(CARD) is CARD and copy.copy(CARD) is CARD


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(),
    name=st.text(),
    value=json_values,
    channel_data=json_values,
    locale=st.none() | st.text(max_size=8),
)
def test_any_text_and_json_values_equal_msrest(
    text: str, name: str, value: Any, channel_data: Any, locale: str | None
) -> None:
    serializer = _serializer()
    reply = OutgoingActivity(
        type="message",
        text=text,
        locale=locale,
        value=value,
        channel_data=channel_data,
        from_property=ChannelAccount(id="28:b", name=name),
        attachments=[Attachment(content_type="t", content=CARD, name=name)],
    )
    assert serializer.body(reply, "Activity") == _msrest(serializer, reply)

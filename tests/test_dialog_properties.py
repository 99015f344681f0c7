"""Property tests: whatever a user types or whatever a button carries, in whatever state the
conversation is, the dialog answers and never raises; stored state of any shape loads."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.events import CheckCompleted, HomeDomainFound, UserChoice, UserText
from dialogs.machine import step
from dialogs.replies import ChoicePayload
from dialogs.state import DialogState
from federation.model import CheckReport, CheckResult
from knowledge.loader import load_knowledge

KB = load_knowledge("")
OK = CheckReport((CheckResult("contoso.example", "contoso.example", "ok", "commercial"),))

# Reachable states: a scripted prefix of answers taken from the knowledge's own options.
SCRIPT = ["hi", "1", "1", "3", "no", "no", "no", "no", "no"]


def state_after(n: int, home: str | None) -> DialogState:
    state = DialogState()
    for i, text in enumerate(SCRIPT[:n]):
        t = step(KB, state, UserText(text, 100.0 + i))
        state = t.state
        while t.effects:
            event = (
                HomeDomainFound(home, 100.0 + i)
                if state.awaiting == "home"
                else CheckCompleted(OK, 100.0 + i)
            )
            t = step(KB, state, event)
            state = t.state
    return state


STATES = st.builds(
    state_after, st.integers(0, len(SCRIPT)), st.sampled_from([None, "contoso.example", "!!"])
)
WORDS = st.sampled_from(
    ["restart", "cancel", "skip", "yes", "no", "2", "all", "joe@x.example", "x" * 300]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STATES, st.one_of(st.text(max_size=300), WORDS))
def test_any_text_in_any_state_gets_replies(state: DialogState, text: str) -> None:
    t = step(KB, state, UserText(text, 200.0))
    assert t.replies or t.effects
    assert DialogState.from_dict(json.loads(json.dumps(t.state.to_dict()))) == t.state


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    STATES,
    st.sampled_from(["symptom", "contact_type", "scope", "fixed", "home_domain", "start", "x", ""]),
    st.text(max_size=40),
    st.integers(0, 20),
    st.text(max_size=60),
)
def test_any_button_in_any_state_gets_replies(
    state: DialogState, question: str, value: str, revision: int, arg: str
) -> None:
    t = step(KB, state, UserChoice(ChoicePayload(question, value, revision, arg), 200.0))
    assert t.replies or t.effects


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=20,
)


RELAXED = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCOPED = state_after(4, "contoso.example").to_dict()


@RELAXED
@given(JSON)
def test_any_stored_data_loads_as_a_state(data: Any) -> None:
    assert isinstance(DialogState.from_dict(data), DialogState)


@RELAXED
@given(st.dictionaries(st.sampled_from(list(DialogState().to_dict())), JSON, max_size=8))
def test_partially_garbled_state_loads(changes: dict[str, Any]) -> None:
    data = json.loads(json.dumps(SCOPED))
    data.update(changes)
    state = DialogState.from_dict(data)
    t = step(KB, state, UserText("no", 200.0))
    assert t.replies or t.effects


@RELAXED
@given(
    st.sampled_from(["zzz", "federation_srv", ""]),
    st.sampled_from(["symptom", "scope", "fixed", "home_domain", "contact_address"]),
    st.sampled_from([None, "zzz", "all"]),
)
def test_stored_ids_this_knowledge_does_not_know_are_forgotten(
    cause: str, pending: str, scope: str | None
) -> None:
    data = json.loads(json.dumps(SCOPED))
    data.update(queue=[cause], tried=[cause], pending=pending, scope=scope)
    state = DialogState.from_dict(data)
    for text in ("no", "yes", "1", "skip", "joe@contoso.example"):
        t = step(KB, state, UserText(text, 200.0))
        assert t.replies or t.effects

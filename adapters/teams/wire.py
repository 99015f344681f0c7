"""Bot Framework activities to and from JSON without msrest's per-call overhead.

msrest is kept as the reference and the fallback; these are only cheaper routes to the same bytes:

- :class:`JsonObject`: an Adaptive Card we built. msrest sends it as is instead of walking every
  string in it, and ``TurnContext``'s deep copy of outgoing activities shares it.
- :class:`OutgoingActivity`: an activity we built for one send. ``TurnContext.send_activities``
  deep-copies every activity before addressing it; ours are never reused, so a shallow copy
  (which botbuilder then only assigns fields on) is enough.
- :class:`FastBody`: a request body from a model tree the way msrest's ``Serializer.body`` makes
  it (same keys, same value conversions), from a per-class plan computed once. msrest's own
  ``body`` first re-deserializes the whole tree and then serializes it with generic per-attribute
  dispatch: that was the largest cost of a reply. Anything the plan does not cover (a dict where a
  model belongs, flattened keys, an enum, a conversion error) goes to msrest unchanged.
- :func:`read_activity`: the incoming activity through one reusable msrest ``Deserializer``
  (``Model.deserialize`` rebuilds the dependency map on every call).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer

_CONVERT = {"bool": bool, "int": int, "float": float}

_Plan = tuple[tuple[str, str, str], ...]


class JsonObject(dict[str, Any]):
    """A JSON object we built (an Adaptive Card), never mutated after rendering."""

    def __deepcopy__(self, memo: dict[int, Any]) -> JsonObject:
        return self

    def __copy__(self) -> JsonObject:
        return self


class OutgoingActivity(Activity):  # type: ignore[misc]
    """An activity built for one send: deep copies are shallow (see the module docstring)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> OutgoingActivity:
        return copy.copy(self)


class _Unsupported(Exception):
    """The fast path does not cover this value: let msrest do it."""


@cache
def _plan(cls: Any) -> _Plan:
    """``(attribute, JSON key, msrest type)`` for each attribute msrest's ``_serialize`` writes."""
    validation: dict[str, dict[str, Any]] = getattr(cls, "_validation", None) or {}
    plan = []
    for attr, desc in cls._attribute_map.items():
        if validation.get(attr, {}).get("readonly"):
            continue  # msrest leaves read-only attributes out of request bodies
        key = desc["key"]
        if not key or "." in key:
            raise _Unsupported(f"{cls.__name__}.{attr}: additional or flattened properties")
        plan.append((attr, key, desc["type"]))
    return tuple(plan)


class FastBody:
    """A drop-in for ``serializer.body`` (installed per connector client)."""

    def __init__(self, serializer: Serializer) -> None:
        self._convert: dict[str, Any] = serializer.serialize_type
        self._msrest_body: Callable[..., Any] = serializer.body
        self._models = frozenset(
            name
            for name, cls in serializer.dependencies.items()
            if isinstance(cls, type) and issubclass(cls, Model)
        )

    def __call__(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if isinstance(data, Model) and not kwargs:
            try:
                return self.model(data)
            except (_Unsupported, ValueError, TypeError, AttributeError):
                pass
        return self._msrest_body(data, data_type, **kwargs)

    def model(self, data: Any) -> dict[str, Any]:
        """msrest's JSON for a model (its own class's attribute map, ``None`` left out)."""
        out: dict[str, Any] = {}
        for attr, key, kind in _plan(data.__class__):
            value = getattr(data, attr)
            if value is not None:
                out[key] = self._value(value, kind)
        return out

    def _value(self, value: Any, kind: str) -> Any:
        if kind == "str":
            return _text(value)
        convert = _CONVERT.get(kind)
        if convert is not None:
            return convert(value)
        if kind in self._models:
            if not isinstance(value, Model):
                raise _Unsupported(kind)  # msrest would first build the model from it
            return self.model(value)
        if len(kind) > 2 and kind[0] == "[" and kind[-1] == "]":
            if isinstance(value, str):
                raise _Unsupported(kind)
            item = kind[1:-1]
            return [None if v is None else self._value(v, item) for v in value]
        if len(kind) > 2 and kind[0] == "{" and kind[-1] == "}":
            item = kind[1:-1]
            return {_text(k): None if v is None else self._value(v, item) for k, v in value.items()}
        msrest = self._convert.get(kind)  # dates, "object", ...: msrest's own
        if msrest is not None:
            return msrest(value)
        raise _Unsupported(kind)


def _text(value: Any) -> str:
    """msrest's ``serialize_unicode``: an enum's value, else ``str()``."""
    if type(value) is str:
        return value
    try:
        text: str = value.value
        return text
    except AttributeError:
        return str(value)


def install(serializer: Serializer) -> None:
    """Give a connector client's serializer the fast paths (once per cached client)."""
    walk: Any = serializer.serialize_type["object"]

    def serialize_object(data: Any, **kwargs: Any) -> Any:
        return data if isinstance(data, JsonObject) else walk(data, **kwargs)

    serializer.serialize_type = {**serializer.serialize_type, "object": serialize_object}
    # Outgoing activities are built by botbuilder and us, not typed in by users: msrest's
    # client-side validation walks every one of them again for nothing.
    serializer.client_side_validation = False
    serializer.body = FastBody(serializer)  # type: ignore[method-assign]


_ACTIVITIES = Deserializer(Activity._infer_class_models())  # type: ignore[no-untyped-call]


def read_activity(data: dict[str, Any]) -> Activity:
    """``Activity().deserialize(data)`` with the deserializer built once."""
    activity: Activity = _ACTIVITIES("Activity", data)
    return activity

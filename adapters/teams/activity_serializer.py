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
- :func:`read_activity` (:class:`FastRead`): the incoming activity from the same plans, msrest
  reading whatever needs its coercions or its errors (``Model.deserialize`` also rebuilt the
  dependency map on every call).

Each earns its place (``bench/bench_teams.py --without fast_body`` / ``--without fast_read``, same
run, 2 rounds): CPU per fedbot turn 1.50x (FastBody) and 1.14x (FastRead) of what it is with them.
Held by tests/test_teams_activity_serializer.py (same bytes / models as msrest, fast path taken)
and tests/test_teams.py (the connector clients get :func:`install`; without the ``object`` hook
msrest sends a :class:`JsonObject` card as its ``str()`` and every button is lost).
"""

from __future__ import annotations

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
        clone: OutgoingActivity = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone


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


class FastRead:
    """A model from parsed JSON the way msrest's ``Deserializer`` makes it (same constructor
    arguments, unknown keys kept in ``additional_properties``), from the same per-class plan.
    Only values already of the declared JSON type are taken; anything msrest would coerce,
    classify or refuse (a number where text belongs, a string where an object belongs,
    polymorphic or read-only models) is read by msrest itself, errors included."""

    def __init__(self, deserializer: Deserializer) -> None:
        self._msrest = deserializer
        self._dependencies: dict[str, Any] = deserializer.dependencies
        self._convert: dict[str, Any] = deserializer.deserialize_type

    def __call__(self, target: str, data: Any) -> Any:
        try:
            return self.model(self._dependencies[target], data)
        except (_Unsupported, ValueError, TypeError, AttributeError, KeyError):
            return self._msrest(target, data)

    def model(self, cls: Any, data: Any) -> Any:
        if type(data) is not dict:
            raise _Unsupported(cls)
        plan, keys = _read_plan(cls)
        arguments = {}
        for attr, key, kind in plan:
            value = data.get(key)
            arguments[attr] = None if value is None else self._value(value, kind)
        model = cls(**arguments)
        extra = data.keys() - keys
        if extra:
            model.additional_properties = {key: data[key] for key in extra}
        return model

    def _value(self, value: Any, kind: str) -> Any:
        if value is None:
            return None
        expected = _JSON_TYPES.get(kind)
        if expected is not None:
            if type(value) is not expected:
                raise _Unsupported(kind)
            return value
        cls = self._dependencies.get(kind)
        if cls is not None and issubclass(cls, Model):
            return self.model(cls, value)
        if len(kind) > 2 and kind[0] == "[" and kind[-1] == "]":
            if type(value) is not list:
                raise _Unsupported(kind)
            item = kind[1:-1]
            return [self._value(v, item) for v in value]
        if len(kind) > 2 and kind[0] == "{" and kind[-1] == "}":
            if type(value) is not dict:
                raise _Unsupported(kind)
            item = kind[1:-1]
            return {k: self._value(v, item) for k, v in value.items()}
        if kind in self._convert:  # dates, "object", ...: msrest's own
            return self._msrest.deserialize_data(value, kind)  # type: ignore[no-untyped-call]
        raise _Unsupported(kind)


_JSON_TYPES: dict[str, type] = {"str": str, "bool": bool, "int": int, "float": float}


@cache
def _read_plan(cls: Any) -> tuple[_Plan, frozenset[str]]:
    """The plan and the JSON keys the model knows (the rest are additional properties)."""
    if cls.__dict__.get("_subtype_map") or "additional_properties" in cls._attribute_map:
        raise _Unsupported(f"{cls.__name__}: polymorphic or declared additional properties")
    validation: dict[str, dict[str, Any]] = getattr(cls, "_validation", None) or {}
    if any(rule.get("readonly") or rule.get("constant") for rule in validation.values()):
        raise _Unsupported(f"{cls.__name__}: read-only or constant attributes")
    plan = _plan(cls)
    return plan, frozenset(key for _attr, key, _kind in plan)


_ACTIVITIES = FastRead(Deserializer(Activity._infer_class_models()))  # type: ignore[no-untyped-call]


def read_activity(data: dict[str, Any]) -> Activity:
    """What ``Activity().deserialize(data)`` gives, mostly without msrest's per-call work."""
    activity: Activity = _ACTIVITIES("Activity", data)
    return activity

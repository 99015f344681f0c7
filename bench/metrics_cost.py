"""What metrics cost per request, measured on the hooks themselves (shared by bench_teams and
bench_slack ``--without metrics``).

A whole turn costs about a millisecond of server CPU and, on a shared machine, varies by ±15 %
from one block of requests to the next; metrics cost a few microseconds, far below what timing
whole turns can resolve. So the hooks a request passes through are timed directly, in process,
best of several repeats (the timeit method: other work only ever slows a repeat): the request
middleware around a handler (minus the bare handler), and the per-turn hooks (conversation
step, DNS check outcome, auto-reply). Divided by the server CPU per request measured in the
same run this gives the cost as a ratio with / without metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot import metrics, server
from dialogs.state import DialogState

REPEATS = 7
CALLS = 20_000


async def _best(call: Callable[[], Awaitable[object] | None]) -> float:
    """Seconds per call, best of :data:`REPEATS` runs of :data:`CALLS` calls."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        for _ in range(CALLS):
            pending = call()
            if pending is not None:
                await pending
        best = min(best, (time.perf_counter() - started) / CALLS)
    return best


async def hook_seconds(path: str) -> float:
    """Seconds of CPU the metrics add to one request to ``path`` (and its turn)."""

    async def handler(_request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_post(path, handler)
    request = make_mocked_request("POST", path, app=app)
    request._match_info = await app.router.resolve(request)  # as aiohttp's server sets it
    state = DialogState()

    def hooks() -> None:
        metrics.conversation_step(state, state, [], 0.0, 60.0)
        metrics.check_done("ok", 0.01)
        metrics.auto_reply("teams")

    metrics.ENABLED = True
    bare = await _best(lambda: handler(request))
    wrapped = await _best(lambda: server.count_requests(request, handler))
    per_turn = await _best(hooks)
    return wrapped - bare + per_turn


def report(cost: float, server_ms_per_request: float) -> str:
    """The cost ``cost`` (seconds per request) as a ratio with / without metrics."""
    ratio = 1 + cost * 1000 / server_ms_per_request
    return (
        f"metrics cost: {cost * 1e6:.1f} µs per request (hooks timed in process, best of "
        f"{REPEATS}×{CALLS}) against {server_ms_per_request:.2f} ms server CPU per request "
        f"(median of this run): {ratio:.4f}x with / without"
    )

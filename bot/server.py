"""The one aiohttp application: health endpoints plus whatever the platform adapters mount.

Each adapter package exposes ``mount(app, bot, settings) -> str``: it adds its routes (or none,
when its credentials are missing) and returns a line for the startup log saying what it enabled
and, when off, why.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import signal
from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Handler

from bot import logs, metrics
from bot.config import Settings
from bot.service import FedBot

log = logging.getLogger(__name__)

BOT_KEY: web.AppKey[FedBot] = web.AppKey("fedbot", FedBot)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ready = await request.app[BOT_KEY].ready()
    return web.json_response({"ready": ready}, status=200 if ready else 503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    response = web.Response(body=metrics.render())
    response.content_type = metrics.CONTENT_TYPE.split(";")[0]
    return response


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Requests by endpoint (the route template, never the raw path) and status."""
    route = request.match_info.route.resource
    endpoint = route.canonical if route is not None else "unmatched"
    logs.new_request_id(request.headers.get("X-Request-Id"))
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        metrics.request_done(endpoint, exc.status)
        raise
    except BaseException:
        metrics.request_done(endpoint, 500)
        raise
    metrics.request_done(endpoint, response.status)
    return response


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


async def freeze_startup_objects(_app: web.Application) -> None:
    """Keep what startup built (modules, knowledge, botbuilder, bolt) out of the cyclic collector.

    Every turn leaves cyclic garbage behind (botbuilder's ``TurnContext._emit`` closure refers to
    itself and holds the context, its activities and cards), so under load full collections run
    every few seconds; each one walked the ~80,000 startup objects: 25-45 ms pauses for every
    turn in flight, most of the p99. Frozen objects are still freed by reference counting."""
    gc.collect()
    gc.freeze()


async def unfreeze(_app: web.Application) -> None:
    gc.unfreeze()


def build_app(
    bot: FedBot, settings: Settings, *, teams: bool = True
) -> tuple[web.Application, list[str]]:
    """The application and the startup log lines naming what each adapter enabled.

    ``teams=False`` leaves the Bot Framework endpoint out (see :func:`bind_host`)."""
    from adapters import slack
    from adapters import teams as teams_adapter

    middlewares = [count_requests] if metrics.ENABLED else []
    app = web.Application(client_max_size=256 * 1024, middlewares=middlewares)
    app[BOT_KEY] = bot
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    teams_line = (
        teams_adapter.mount(app, bot, settings)
        if teams
        else "teams: off on this public interface: no MicrosoftAppId, so Bot Framework "
        "authentication would be off (set MicrosoftAppId, or listen on 127.0.0.1 for local tests)"
    )
    lines = [teams_line, slack.mount(app, bot, settings)]

    async def resume_work(_app: web.Application) -> None:
        bot.work.start_resuming()  # the adapters have said how to run each kind of work

    async def finish_work(_app: web.Application) -> None:
        await bot.work.close(settings.shutdown_timeout)

    app.on_startup.append(resume_work)
    app.on_shutdown.append(finish_work)
    # Last, so the adapters' own startup work is frozen too.
    app.on_startup.append(freeze_startup_objects)
    app.on_cleanup.append(unfreeze)
    return app, lines


def bind_host(requested: str, settings: Settings) -> tuple[str, bool, str | None]:
    """Where to listen, whether to serve the Bot Framework endpoint, and why the request was
    changed (None when it was not).

    Without a Microsoft app id the Bot Framework endpoint accepts unauthenticated requests, so it
    is never served on a public interface: when Slack over HTTP (signed requests) is configured the
    server listens where asked without Teams; otherwise it stays on 127.0.0.1."""
    if settings.app_id or requested in LOOPBACK_HOSTS:
        return requested, True, None
    if settings.slack_bot_token and settings.slack_signing_secret and not settings.slack_app_token:
        return (
            requested,
            False,
            (
                f"listening on {requested} for Slack only: no MicrosoftAppId, so the "
                "unauthenticated Bot Framework endpoint is not served on a public interface"
            ),
        )
    return (
        "127.0.0.1",
        True,
        (
            f"listening on 127.0.0.1 only, not {requested}: no MicrosoftAppId, so Bot Framework "
            "authentication is off"
        ),
    )


def startup_lines(
    settings: Settings,
    adapter_lines: list[str],
    host: str,
    port: int,
    resolvers: Sequence[object] = (),
) -> list[str]:
    """What the operator needs to see at start: endpoints, what is enabled, state, resolvers."""
    base = f"http://{host}:{port}"
    named = ", ".join(map(str, resolvers)) or "none found: every check will fail"
    origin = "FEDBOT_DNS_SERVERS" if settings.dns_servers else "the system's /etc/resolv.conf"
    return [
        f"fedbot listening on {base}",
        f"GET {base}/healthz (liveness), GET {base}/readyz (knowledge and state store), "
        f"GET {base}/metrics (Prometheus)",
        *adapter_lines,
        f"state store: {settings.state_url}",
        f"DNS resolvers: {named} (from {origin}; time-out {settings.dns_timeout:g}s)",
        f"knowledge: {settings.knowledge_path or 'shipped'}",
    ]


async def serve(
    bot: FedBot,
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 3978,
    stop: asyncio.Event | None = None,
    shutdown_timeout: float = 30.0,
) -> None:
    """Run until SIGTERM / SIGINT (or ``stop``), then stop accepting, let in-flight turns finish
    (up to ``shutdown_timeout``) and close the bot."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    settings = dataclasses.replace(settings, shutdown_timeout=shutdown_timeout)
    host, with_teams, override = bind_host(host, settings)
    app, adapter_lines = build_app(bot, settings, teams=with_teams)
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port
    if runner.addresses:
        bound = runner.addresses[0][1]
    for line in startup_lines(settings, adapter_lines, host, bound, bot.checker.servers):
        log.info("%s", line)
    if override:
        log.warning("%s", override)

    try:
        await stop.wait()
        log.info("shutting down: finishing in-flight requests (up to %gs)", shutdown_timeout)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await runner.cleanup()
        await bot.close()
        log.info("fedbot stopped")

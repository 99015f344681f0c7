"""The baseline for bench_slack.py: a stock slack-bolt ``AsyncApp`` echo bot with default
settings — ``say()`` for every channel message, ``ack()`` + ``respond()`` for the slash command —
served the way bolt's own aiohttp server does. Only the Web API base URL points at the loopback
fake Slack."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.say.async_say import AsyncSay
from slack_sdk.web.async_client import AsyncWebClient


def echo_app(token: str, signing_secret: str, api_url: str) -> web.Application:
    app = AsyncApp(
        name="echo",
        signing_secret=signing_secret,
        client=AsyncWebClient(token=token, base_url=api_url),
    )

    @app.message()
    async def echo(message: dict[str, str], say: AsyncSay) -> None:
        await say(text=message.get("text", ""), thread_ts=message.get("ts"))

    @app.command("/fedcheck")
    async def command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, str]) -> None:
        await ack()
        await respond(text=command.get("text", ""))

    return app.server(port=0, path="/slack/events", host="127.0.0.1").web_app

"""The ``fedbot`` command line: each subcommand lives in its own module and registers itself."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Sequence

# Each module exposes ``register(subparsers)`` which adds its parser with ``set_defaults(run=...)``;
# ``run(args) -> int`` returns the exit code.
SUBCOMMAND_MODULES = (
    "bot.cli.check",
    "bot.cli.triage",
    "bot.cli.chat",
    "bot.cli.serve",
    "bot.cli.teams_package",
)


def version() -> str:
    """The installed distribution's version (what an operator reports)."""
    try:
        return importlib.metadata.version("fedbot")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fedbot",
        description="Troubleshoot external-contact federation (Teams / Skype for Business).",
    )
    parser.add_argument("--version", action="version", version=f"fedbot {version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`fedbot check ... | head`): not an error worth a traceback.
        # Point stdout at devnull so the interpreter's final flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(main())

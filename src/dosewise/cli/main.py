"""`dosewise` entry point: builds the parser from the command modules and maps every refusal in one place.

Exit codes: 0 success; 2 invalid input (bad unit, unknown drug, unreadable file); 3 refused (a limit, an
unmakeable dose); 4 knowledge-base error. With --json, a refusal prints {"error": {...}} on stdout too.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from dosewise import __version__
from dosewise.domain.errors import DosewiseError, InvalidInput, KnowledgeError, UnmakeableDose

__all__ = ["COMMANDS", "build_parser", "main"]

# Each name is a module in dosewise.cli.commands exposing register(subparsers, parents); the command a
# person types is the module's name ("import_" is typed "import").
COMMANDS: tuple[str, ...] = (
    "plan",
    "check",
    "interactions",
    "drugs",
    "guide",
    "missed",
    "triage",
    "pump",
    "simulate",
    "export",
    "import_",
    "report",
    "serve",
    "demo",
    "admin",
)

EXIT_INVALID = 2
EXIT_REFUSED = 3
EXIT_KNOWLEDGE = 4


def _modules_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The command modules to load: only the one named, when ``argv`` names one; else all of them.

    A run imports only its own command (and what that imports): the other commands' modules and their
    parsers cost more start-up time than most commands take to run. Without a known command name (no
    arguments, ``--help``, ``--version``, a typo) every command is registered, so help and errors list all.
    """
    if argv is None:
        return COMMANDS
    word = next((arg for arg in argv if not arg.startswith("-")), "")
    module = "import_" if word == "import" else word
    return (module,) if module in COMMANDS and word != "import_" else COMMANDS


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv`` (only the command it names: see ``_modules_for``); all commands for None."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the documented JSON contract")
    common.add_argument("--kb-version", default=None, help="knowledge-base version (default: current.toml)")
    parser = argparse.ArgumentParser(
        prog="dosewise",
        description="Plan, check and track medicines that must be raised slowly and never stopped abruptly.",
    )
    parser.add_argument("--version", action="version", version=f"dosewise {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in _modules_for(argv):
        module = importlib.import_module(f"dosewise.cli.commands.{name}")
        module.register(subparsers, [common])
    return parser


def _exit_code(error: DosewiseError) -> int:
    if isinstance(error, KnowledgeError):
        return EXIT_KNOWLEDGE
    if isinstance(error, InvalidInput):
        return EXIT_INVALID
    return EXIT_REFUSED


def _report(error: DosewiseError, json_mode: bool) -> None:
    if json_mode:
        payload: dict[str, object] = {
            "error": {"code": error.code, "message": error.message, "hint": error.hint}
        }
        if isinstance(error, UnmakeableDose):
            payload["error"] = {**payload["error"], "alternatives": list(error.alternatives)}  # type: ignore[dict-item]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    sys.stderr.write(f"dosewise: {error.message}\n")
    if error.hint:
        sys.stderr.write(f"  hint: {error.hint}\n")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(arguments)
    args = parser.parse_args(arguments)
    try:
        result = args.handler(args)
    except DosewiseError as error:
        _report(error, getattr(args, "json", False))
        return _exit_code(error)
    except BrokenPipeError:  # pragma: no cover - e.g. piping into `head`
        return 0
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

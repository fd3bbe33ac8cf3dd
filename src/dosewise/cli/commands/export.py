"""`dosewise export FORMAT ...`: a plan (and patient) written in another system's format.

Each format is a module ``dosewise.cli.commands.export_<name>`` exposing ``register(subparsers, parents)``,
so formats are added side by side without touching each other.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

__all__ = ["EXPORTS", "register"]

EXPORTS: tuple[str, ...] = ("ical",)


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("export", help="write a plan in another format (ical)")
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    formats.required = True
    for name in EXPORTS:
        importlib.import_module(f"dosewise.cli.commands.export_{name}").register(formats, parents)

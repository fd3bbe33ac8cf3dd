"""Rendering shared by every command: JSON on --json (stable contracts), plain text otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dosewise.domain.errors import InvalidInput

__all__ = ["emit", "read_document", "write_text"]


def emit(json_mode: bool, payload: Mapping[str, Any], text: str) -> None:
    """Print the JSON payload or the human text, never both."""
    if json_mode:
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")


def write_text(text: str) -> None:
    sys.stdout.write(text.rstrip("\n") + "\n")


def read_document(path: str) -> dict[str, Any]:
    """Read a JSON or TOML file (by extension; JSON is tried first for other names); '-' is stdin."""
    if path == "-":
        raw = sys.stdin.read()
        name = "<stdin>"
    else:
        file = Path(path)
        if not file.is_file():
            raise InvalidInput(f"file not found: {path}")
        raw = file.read_text(encoding="utf-8")
        name = file.name
    if name.endswith(".toml"):
        import tomllib

        try:
            return tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{path}: not valid TOML ({exc})") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        if name.endswith(".json"):
            raise InvalidInput(f"{path}: not valid JSON ({exc})") from exc
        import tomllib

        try:
            return tomllib.loads(raw)
        except tomllib.TOMLDecodeError:
            raise InvalidInput(f"{path}: neither JSON nor TOML") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected an object at the top level")
    return data

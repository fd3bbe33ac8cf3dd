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
    """Read a JSON or TOML file (by extension; JSON is tried first for other names); '-' is stdin.

    The bytes are checked by formats.reading.decode_document: a malformed file is refused with
    a one-line reason (exit 2), never a traceback.
    """
    from dosewise.formats.reading import MAX_FILE_BYTES, decode_document

    if path == "-":
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        name = "<stdin>"
    else:
        file = Path(path)
        if not file.is_file():
            raise InvalidInput(f"file not found: {path}")
        try:
            with file.open("rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)  # never read a huge file whole
        except OSError as exc:
            raise InvalidInput(f"{path}: cannot be read ({exc.strerror})") from exc
        name = file.name
    return decode_document(raw, name)

"""Settings, declared as data and read once at start-up by ``load_settings`` (never at import time)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "Settings", "default_data_dir", "load_settings"]


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


# Every setting is documented in docs/configuration.md; a test fails when one is missing there.
SETTINGS: tuple[Setting, ...] = (
    Setting("DOSEWISE_KB_VERSION", "", "Knowledge-base version to load (default: the newest released)."),
    Setting(
        "DOSEWISE_DATA_DIR",
        "",
        "Where the SQLite database and other user data live (default: the user data directory).",
    ),
    Setting(
        "DOSEWISE_DATABASE_URL",
        "",
        "SQLAlchemy URL; empty means SQLite in the data directory. Use postgresql+psycopg://... for PostgreSQL.",
    ),
    Setting(
        "DOSEWISE_SECRET_KEY",
        "",
        "Key that signs session cookies; generated and stored in the data directory when empty.",
    ),
    Setting("DOSEWISE_HOST", "127.0.0.1", "Address `dosewise serve` binds to."),
    Setting("DOSEWISE_PORT", "8000", "Port `dosewise serve` listens on."),
    Setting(
        "DOSEWISE_EMERGENCY_NUMBER",
        "112",
        "The emergency telephone number the web app's call buttons dial (112, 911, 999, 000...).",
    ),
)


@dataclass(frozen=True)
class Settings:
    kb_version: str
    data_dir: Path
    database_url: str
    secret_key: str
    host: str
    port: int
    emergency_number: str = "112"


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """XDG data home on Linux (``~/.local/share/dosewise``)."""
    base = environ.get("XDG_DATA_HOME") or str(
        Path(environ.get("HOME", str(Path.home()))) / ".local" / "share"
    )
    return Path(base) / "dosewise"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values = {s.env: env.get(s.env, s.default) for s in SETTINGS}
    data_dir = Path(values["DOSEWISE_DATA_DIR"]) if values["DOSEWISE_DATA_DIR"] else default_data_dir(env)
    port_text = values["DOSEWISE_PORT"]
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"DOSEWISE_PORT must be a port number, not '{port_text}'")
    emergency = values["DOSEWISE_EMERGENCY_NUMBER"].strip()
    if not re.fullmatch(r"\+?[0-9]{2,15}", emergency):
        raise ValueError(f"DOSEWISE_EMERGENCY_NUMBER must be a telephone number (digits), not '{emergency}'")
    return Settings(
        kb_version=values["DOSEWISE_KB_VERSION"],
        data_dir=data_dir,
        database_url=values["DOSEWISE_DATABASE_URL"],
        secret_key=values["DOSEWISE_SECRET_KEY"],
        host=values["DOSEWISE_HOST"],
        port=int(port_text),
        emergency_number=emergency,
    )

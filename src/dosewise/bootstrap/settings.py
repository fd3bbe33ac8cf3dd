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
    Setting(
        "DOSEWISE_KB_VERSION",
        "",
        "Knowledge-base version to load (default: the one knowledge/data/current.toml names).",
    ),
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
        "DOSEWISE_MAX_BODY_BYTES", "1048576", "Largest request body accepted (bytes); larger ones get 413."
    ),
    Setting(
        "DOSEWISE_MAX_IN_FLIGHT",
        "64",
        "Requests one worker process holds at once; beyond that it answers 503 with Retry-After at once.",
    ),
    Setting(
        "DOSEWISE_HSTS_SECONDS",
        "31536000",
        "Strict-Transport-Security max-age sent on responses served over https (0: no HSTS header).",
    ),
    Setting("DOSEWISE_TLS_CERTFILE", "", "PEM certificate for `dosewise serve` to speak https itself."),
    Setting("DOSEWISE_TLS_KEYFILE", "", "PEM private key that goes with DOSEWISE_TLS_CERTFILE."),
    Setting(
        "DOSEWISE_EMERGENCY_NUMBER",
        "112",
        "The emergency telephone number the web app's call buttons dial (112, 911, 999, 000...).",
    ),
    Setting(
        "DOSEWISE_TRUSTED_PROXIES",
        "",
        "Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are believed "
        "(default: none, so no header can change who a client is).",
    ),
    Setting(
        "DOSEWISE_PUBLIC_URL",
        "",
        "The address people reach dosewise at, for links in e-mails and `dosewise admin reset-link` "
        "(default: http://HOST:PORT).",
    ),
    Setting("DOSEWISE_REGISTRATIONS_PER_HOUR", "20", "New accounts one client may create per hour."),
    Setting(
        "DOSEWISE_SMTP_HOST", "", "SMTP server for invitation and password-reset e-mails (empty: no e-mail)."
    ),
    Setting("DOSEWISE_SMTP_PORT", "587", "SMTP port."),
    Setting("DOSEWISE_SMTP_USER", "", "SMTP user name (empty: no login)."),
    Setting("DOSEWISE_SMTP_PASSWORD", "", "SMTP password."),
    Setting("DOSEWISE_SMTP_FROM", "dosewise@localhost", "Sender address of dosewise's e-mails."),
    Setting("DOSEWISE_SMTP_STARTTLS", "true", "Use STARTTLS (true/false); set false only for a local relay."),
    Setting(
        "DOSEWISE_REMINDERS",
        "true",
        "Run the reminder scheduler in `dosewise serve` (true/false): dose reminders and care-team alerts.",
    ),
    Setting(
        "DOSEWISE_REMINDER_TICK_SECONDS",
        "30",
        "How often the scheduler looks for due reminders (seconds); a reminder goes out at most this late.",
    ),
    Setting(
        "DOSEWISE_VAPID_KEY_FILE",
        "",
        "PEM file of the Web Push (VAPID) private key; made on first start when missing "
        "(default: vapid_private.pem in the data directory).",
    ),
    Setting(
        "DOSEWISE_VAPID_SUBJECT",
        "",
        "Contact the push services may use (mailto: or https:); Apple refuses one that is not real "
        "(default: mailto: and DOSEWISE_SMTP_FROM).",
    ),
    Setting(
        "DOSEWISE_PUSH_INSECURE_ENDPOINTS",
        "false",
        "Accept http:// push endpoints (true only for a local test push service; browsers use https).",
    ),
    Setting(
        "DOSEWISE_CDS_CLIENTS",
        "",
        "JSON file of the CDS Hooks clients (EHRs) trusted to call /cds-services: each issuer with its JWK "
        "Set (empty: every CDS Hooks call is refused with 401).",
    ),
    Setting(
        "DOSEWISE_CDS_TOKEN_MAX_SECONDS",
        "300",
        "Longest lifetime (exp - iat) accepted for a CDS client's JWT; its jti is remembered that long.",
    ),
    Setting(
        "DOSEWISE_CDS_CLOCK_SKEW_SECONDS",
        "60",
        "Clock difference allowed between a CDS client and dosewise when checking exp and iat.",
    ),
)

# Limits read as whole numbers: (variable, smallest allowed value).
_LIMITS = (
    ("DOSEWISE_MAX_BODY_BYTES", 1024),
    ("DOSEWISE_MAX_IN_FLIGHT", 1),
    ("DOSEWISE_HSTS_SECONDS", 0),
    ("DOSEWISE_CDS_TOKEN_MAX_SECONDS", 1),
    ("DOSEWISE_CDS_CLOCK_SKEW_SECONDS", 0),
    ("DOSEWISE_REMINDER_TICK_SECONDS", 1),
)


@dataclass(frozen=True)
class Settings:
    kb_version: str
    data_dir: Path
    database_url: str
    secret_key: str
    host: str
    port: int
    max_body_bytes: int = 1_048_576
    max_in_flight: int = 64
    hsts_seconds: int = 31_536_000
    tls_certfile: str = ""
    tls_keyfile: str = ""
    emergency_number: str = "112"
    trusted_proxies: tuple[str, ...] = ()
    public_url: str = ""
    registrations_per_hour: int = 20
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "dosewise@localhost"
    smtp_starttls: bool = True
    cds_clients: str = ""
    cds_token_max_seconds: int = 300
    cds_clock_skew_seconds: int = 60
    reminders: bool = True
    reminder_tick_seconds: int = 30
    vapid_key_file: str = ""
    vapid_subject: str = ""
    push_insecure_endpoints: bool = False

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


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
    limits: dict[str, int] = {}
    for name, smallest in _LIMITS:
        text = values[name].strip()
        if not text.isdigit() or int(text) < smallest:
            raise ValueError(f"{name} must be a whole number of at least {smallest}, not '{values[name]}'")
        limits[name.removeprefix("DOSEWISE_").lower()] = int(text)
    if bool(values["DOSEWISE_TLS_CERTFILE"]) != bool(values["DOSEWISE_TLS_KEYFILE"]):
        raise ValueError("DOSEWISE_TLS_CERTFILE and DOSEWISE_TLS_KEYFILE are set together")
    emergency = values["DOSEWISE_EMERGENCY_NUMBER"].strip()
    if not re.fullmatch(r"\+?[0-9]{2,15}", emergency):
        raise ValueError(f"DOSEWISE_EMERGENCY_NUMBER must be a telephone number (digits), not '{emergency}'")
    numbers = {}
    for name in ("DOSEWISE_SMTP_PORT", "DOSEWISE_REGISTRATIONS_PER_HOUR"):
        if not values[name].isdigit() or int(values[name]) < 1:
            raise ValueError(f"{name} must be a positive whole number, not '{values[name]}'")
        numbers[name] = int(values[name])
    switches = {}
    for name in ("DOSEWISE_SMTP_STARTTLS", "DOSEWISE_REMINDERS", "DOSEWISE_PUSH_INSECURE_ENDPOINTS"):
        word = values[name].strip().lower()
        if word not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{name} is true or false, not '{word}'")
        switches[name] = word in ("true", "1", "yes")
    subject = values["DOSEWISE_VAPID_SUBJECT"].strip() or f"mailto:{values['DOSEWISE_SMTP_FROM'].strip()}"
    if not subject.startswith(("mailto:", "https://")):
        raise ValueError(f"DOSEWISE_VAPID_SUBJECT is a mailto: or https: address, not '{subject}'")
    return Settings(
        **limits,
        tls_certfile=values["DOSEWISE_TLS_CERTFILE"],
        tls_keyfile=values["DOSEWISE_TLS_KEYFILE"],
        trusted_proxies=tuple(p.strip() for p in values["DOSEWISE_TRUSTED_PROXIES"].split(",") if p.strip()),
        public_url=values["DOSEWISE_PUBLIC_URL"],
        registrations_per_hour=numbers["DOSEWISE_REGISTRATIONS_PER_HOUR"],
        smtp_host=values["DOSEWISE_SMTP_HOST"],
        smtp_port=numbers["DOSEWISE_SMTP_PORT"],
        smtp_user=values["DOSEWISE_SMTP_USER"],
        smtp_password=values["DOSEWISE_SMTP_PASSWORD"],
        smtp_from=values["DOSEWISE_SMTP_FROM"],
        smtp_starttls=switches["DOSEWISE_SMTP_STARTTLS"],
        reminders=switches["DOSEWISE_REMINDERS"],
        vapid_key_file=values["DOSEWISE_VAPID_KEY_FILE"],
        vapid_subject=subject,
        push_insecure_endpoints=switches["DOSEWISE_PUSH_INSECURE_ENDPOINTS"],
        cds_clients=values["DOSEWISE_CDS_CLIENTS"],
        kb_version=values["DOSEWISE_KB_VERSION"],
        data_dir=data_dir,
        database_url=values["DOSEWISE_DATABASE_URL"],
        secret_key=values["DOSEWISE_SECRET_KEY"],
        host=values["DOSEWISE_HOST"],
        port=int(port_text),
        emergency_number=emergency,
    )

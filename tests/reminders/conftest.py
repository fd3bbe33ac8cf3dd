"""The web tests' app, people and SMTP server (tests/web/conftest.py), a real local push service, and the
scheduler driven by the test's clock."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_WEB = Path(__file__).parent.parent / "web"
sys.path.insert(0, str(_WEB))
_spec = importlib.util.spec_from_file_location("web_conftest", _WEB / "conftest.py")
assert _spec is not None
assert _spec.loader is not None
_web = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_web)

from push_peer import PushPeer, running_peer  # noqa: E402

# The same fixtures as the web tests: one place builds the app, the people and the SMTP server.
clock = _web.clock
app = _web.app
register = _web.register
patient = _web.patient
smtp = _web.smtp


@pytest.fixture
def web_context(tmp_path: Path, clock: Any, kb: Any) -> Iterator[Any]:
    """The web tests' context, accepting the local push service's http:// endpoints."""
    import os

    from web_support import FAST_ARGON2

    from dosewise.adapters.db.testing import TEST_DATABASE_ENV, scratch_database
    from dosewise.bootstrap.settings import load_settings
    from dosewise.bootstrap.web import Argon2Hasher, build_web_context

    with scratch_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        settings = load_settings(
            {
                "DOSEWISE_DATA_DIR": str(tmp_path),
                "DOSEWISE_DATABASE_URL": url,
                "DOSEWISE_SECRET_KEY": "test-secret-key",
                "DOSEWISE_PUSH_INSECURE_ENDPOINTS": "true",
                "DOSEWISE_VAPID_SUBJECT": "mailto:reminders@example.org",
            }
        )
        context = build_web_context(settings, clock=clock, hasher=Argon2Hasher(**FAST_ARGON2), kb=kb)
        yield context
        context.close()


@pytest.fixture(scope="session")
def push_peer() -> Iterator[PushPeer]:
    """web-push-testing on a free loopback port, for the whole session."""
    with running_peer() as peer:
        yield peer


@pytest.fixture
def mail_on(web_context: Any, smtp: Any) -> Any:
    """Turn e-mail on once the people exist (with SMTP set, accounts are made by e-mail link instead)."""
    from dosewise.adapters.mail import SmtpMailer

    web_context.mailer = SmtpMailer(
        host="127.0.0.1", port=smtp[1], sender="dosewise@example.org", starttls=False
    )
    return smtp[0]

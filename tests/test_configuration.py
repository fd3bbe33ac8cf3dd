"""Settings are declared as data and every one is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from dosewise.bootstrap.settings import SETTINGS, load_settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented(setting):
    """Each setting's variable appears in docs/configuration.md."""
    assert f"`{setting.env}`" in DOCS.read_text(encoding="utf-8")


def test_settings_are_read_from_the_given_environment_only(tmp_path):
    """load_settings reads the mapping it is given, not the process environment."""
    settings = load_settings({"DOSEWISE_DATA_DIR": str(tmp_path), "DOSEWISE_PORT": "8123"})
    assert settings.data_dir == tmp_path
    assert settings.port == 8123


def test_a_bad_port_is_refused():
    """A port that is not a number in range is refused at start-up rather than at bind time."""
    with pytest.raises(ValueError, match="DOSEWISE_PORT"):
        load_settings({"DOSEWISE_PORT": "eighty"})


def test_the_documented_least_privilege_grants_are_the_ones_the_code_makes():
    """docs/configuration.md shows exactly the GRANT statements app_role_grants produces (every table)."""
    from dosewise.adapters.db.roles import app_role_grants

    text = DOCS.read_text(encoding="utf-8")
    for statement in app_role_grants("dosewise_app"):
        assert statement + ";" in text, statement

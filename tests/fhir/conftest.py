"""The independent FHIR validators, fetched once (scripts/fetch_fhir_validators.sh) into a git-ignored folder."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import validator  # noqa: E402


@pytest.fixture(scope="session")
def fhir_validators() -> object:
    """The validation pipeline, with its packages fetched first when a clean clone lacks them."""
    if not validator.available():
        HERE.joinpath(".validators.lock").touch()
        with HERE.joinpath(".validators.lock").open() as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two xdist workers fetch once
            if not validator.available():
                subprocess.run(
                    ["bash", str(HERE.parents[1] / "scripts" / "fetch_fhir_validators.sh")],
                    check=True,
                    env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin:/usr/local/bin"},
                )
    assert validator.available()
    return validator

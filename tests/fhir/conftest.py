"""The independent FHIR validators, fetched once (scripts/fetch_fhir_validators.sh) into a git-ignored folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import validator


@pytest.fixture(scope="session")
def fhir_validators() -> Any:
    """The validation pipeline, with its packages fetched first when a clean clone lacks them."""
    validator.ensure()
    return validator

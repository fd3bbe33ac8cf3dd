"""The CLI budget (design.md): commands that do not simulate or serve never import the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

# (pydantic is left out: a cold knowledge-base cache validates the data with it, once.)
HEAVY = ("numpy", "numba", "matplotlib", "fastapi", "sqlalchemy", "scipy", "typst", "fontTools", "pikepdf")

_PROBE = """
import contextlib, io, sys
from dosewise.cli.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main({argv!r})
print(",".join(name for name in {heavy!r} if name in sys.modules))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "titrate", "baclofen", "--start", "2026-11-23"],
        ["plan", "taper", "baclofen", "--from", "20 mg 3 times a day", "--start", "2026-11-23"],
        ["interactions", "baclofen", "oxycodone", "beer"],
        ["triage", "very sleepy and slow breathing"],
        ["drugs", "lioresal"],
        ["guide", "baclofen", "--section", "withdrawal"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_command_that_does_not_simulate_imports_no_heavy_library(argv: list[str]) -> None:
    """Running the command leaves numpy, the web stack and the database layer unimported."""
    probe = _PROBE.format(argv=argv, heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{' '.join(argv)} imported {result.stdout.strip()}"

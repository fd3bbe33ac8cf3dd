"""CLI start-up: median wall time of `dosewise plan titrate baclofen` and `dosewise triage` beside `python -c pass`.

Budget (design.md): under 0.3 s on a 2-core machine. Prints the warm figure (validated knowledge base
cached in the data directory, the normal case) and the cold figure (fresh data directory: full schema
validation), each beside the bare interpreter start measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 0.3
REPEATS = int(os.environ.get("BENCH_REPEATS", "15"))
BIN = Path(sys.executable).with_name("dosewise")


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def _median(command: list[str], env: dict[str, str], fresh_dir_each_time: bool = False) -> float:
    samples = []
    for _ in range(REPEATS):
        if fresh_dir_each_time:
            with tempfile.TemporaryDirectory() as data_dir:
                samples.append(_time(command, {**env, "DOSEWISE_DATA_DIR": data_dir}))
        else:
            samples.append(_time(command, env))
    return statistics.median(samples)


def _bytecode_status() -> str:
    """How many of the package's modules have current compiled bytecode (what `dosewise` will load)."""
    import importlib.util

    import dosewise

    sources = list(Path(dosewise.__file__).parent.rglob("*.py"))
    compiled = 0
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        if cached.is_file() and cached.stat().st_mtime >= source.stat().st_mtime:
            compiled += 1
    return f"{compiled} of {len(sources)} modules byte-compiled"


def main() -> None:
    command = [str(BIN), "plan", "titrate", "baclofen", "--start", "2026-11-23"]
    print(
        f"bytecode: {_bytecode_status()} (scripts/bootstrap.sh compiles them; PYTHONDONTWRITEBYTECODE="
        f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})"
    )
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "DOSEWISE_DATA_DIR": data_dir}
        _time(command, env)  # populate the validated-knowledge cache
        bare = _median([sys.executable, "-c", "pass"], env)
        warm = _median(command, env)
        cold = _median(command, env, fresh_dir_each_time=True)
        triage_command = [str(BIN), "triage", "his breething has gone really slow, no fever", "temp 39.2",
                          "took 8 of them", "--json"]  # fmt: skip
        triage = _median(triage_command, env)
    print(f"python -c pass                    median {bare * 1000:7.1f} ms (reference)")
    print(
        f"dosewise plan titrate (warm cache) median {warm * 1000:7.1f} ms  = {warm / bare:5.1f} x python start"
    )
    print(
        f"dosewise plan titrate (cold cache) median {cold * 1000:7.1f} ms  = {cold / bare:5.1f} x python start"
    )
    print(
        f"dosewise triage (3 texts, warm)    median {triage * 1000:7.1f} ms  = {triage / bare:5.1f} x python start"
    )
    verdict = "within" if max(warm, triage) < BUDGET_S else "OVER"
    print(f"budget {BUDGET_S * 1000:.0f} ms: warm runs {verdict} budget ({REPEATS} repeats each)")


if __name__ == "__main__":
    main()

"""Load a knowledge-base version, validating it on first use and reusing the validated build after.

Which version loads by default is data too: ``data/current.toml`` names it (a root of one's own, such as
a test fixture, carries its own ``current.toml``).

The cache key is a hash of every data file's bytes plus the dosewise and Python versions, so any edit to
the data (or to the code that builds it) forces a full validation again. A cache that cannot be read is
ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import tomllib
from functools import lru_cache
from pathlib import Path

from dosewise import __version__
from dosewise.domain.errors import KnowledgeError
from dosewise.domain.rules import KnowledgeBase

__all__ = ["available_versions", "clear_loaded", "data_root", "default_version", "load_knowledge_base"]

_VERSION = re.compile(r"^\d{4}\.\d{2}\.\d+$")
CURRENT_FILE = "current.toml"


def data_root() -> Path:
    # The package's own folder (importlib.resources gives the same path for an installed package, and its
    # import cost every CLI run more than the lookup itself: benchmarks/cli_startup.py).
    return Path(__file__).parent / "data"


@lru_cache(maxsize=8)
def default_version(root: Path | None = None) -> str:
    """The version ``current.toml`` in the data root points at; ``KnowledgeError`` if it is missing,
    malformed or points at no release folder. (Read with tomllib: pydantic is too slow for the CLI path.)"""
    base = root or data_root()
    path = base / CURRENT_FILE
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: missing; it names the default knowledge-base version") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{CURRENT_FILE}: not valid TOML ({exc})") from exc
    version = raw.get("version")
    if set(raw) != {"version"} or not isinstance(version, str) or not _VERSION.match(version):
        raise KnowledgeError(
            f'{CURRENT_FILE}: must hold exactly one field, version = "YYYY.MM.N" (found {sorted(raw)})'
        )
    if version not in available_versions(base):
        raise KnowledgeError(
            f"{CURRENT_FILE}: version '{version}' has no release folder",
            hint=f"available: {', '.join(available_versions(base)) or 'none'}",
        )
    return version


def available_versions(root: Path | None = None) -> list[str]:
    base = root or data_root()
    return sorted(path.name for path in base.iterdir() if (path / "release.toml").is_file())


def _digest(folder: Path) -> str:
    digest = hashlib.sha256(f"{__version__}|{sys.version}".encode())
    for path in sorted(folder.glob("*.toml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    here = Path(__file__).parent
    domain = here.parent / "domain"
    # The triage lexicon is compiled into the cached build, so the code that compiles it is part of the key.
    triage_code = (domain / "triage_text.py", domain / "triage_words.py", domain / "triage_numbers.py")
    built = (
        here / "builder.py",
        here / "schema.py",
        here / "guides.py",
        here / "pk_schema.py",
        domain / "rules.py",
        domain / "provenance.py",
        domain / "guides.py",
    )
    for code in (*built, *triage_code):
        digest.update(code.read_bytes())
    return digest.hexdigest()[:32]


def _read_cache(path: Path) -> KnowledgeBase | None:
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)  # noqa: S301 - our own file, keyed by a hash of its inputs
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return loaded if isinstance(loaded, KnowledgeBase) else None


def _write_cache(path: Path, kb: KnowledgeBase) -> None:
    try:
        import tempfile  # only when the cache is written (the first run of a version)

        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            pickle.dump(kb, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError:
        return  # a cache that cannot be written only costs time


def load_knowledge_base(
    version: str | None = None, root: Path | None = None, cache_dir: Path | None = None
) -> KnowledgeBase:
    """Load and validate a version (the current one when none is named); ``KnowledgeError`` on any defect."""
    return _load(version or default_version(root), root, cache_dir)


@lru_cache(maxsize=8)
def _load(version: str, root: Path | None, cache_dir: Path | None) -> KnowledgeBase:
    folder = (root or data_root()) / version
    if not folder.is_dir():
        raise KnowledgeError(
            f"knowledge base version '{version}' not found",
            hint=f"available: {', '.join(available_versions(root)) or 'none'}",
        )
    cache_file = cache_dir / f"kb-{version}-{_digest(folder)}.pickle" if cache_dir else None
    if cache_file is not None:
        cached = _read_cache(cache_file)
        if cached is not None:
            return cached
    from dosewise.knowledge.builder import build_knowledge_base

    kb = build_knowledge_base(folder, version)
    if cache_file is not None:
        _write_cache(cache_file, kb)
    return kb


def clear_loaded() -> None:
    """Forget the builds and the default version held in this process (the on-disk cache stays)."""
    _load.cache_clear()
    default_version.cache_clear()

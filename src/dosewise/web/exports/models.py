"""The download response: FHIR JSON, named for the record and the day."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.responses import Response

__all__ = ["FHIR_MEDIA_TYPE", "fhir_response"]

FHIR_MEDIA_TYPE = "application/fhir+json"


def fhir_response(bundle: dict[str, Any], *, public_id: str, now: datetime, attachment: bool) -> Response:
    headers: dict[str, str] = {}  # the app marks every response no-store already
    if attachment:
        name = f"dosewise-record-{public_id}-{now.date().isoformat()}.fhir.json"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    body = json.dumps(bundle, indent=2, ensure_ascii=False).encode("utf-8")
    return Response(body, media_type=FHIR_MEDIA_TYPE, headers=headers)

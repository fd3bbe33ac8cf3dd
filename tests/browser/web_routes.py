"""Every route of the app that touches one patient, read from the app itself (new routes are included)."""

from __future__ import annotations

from typing import Any

_ID_PARAMS = ("medication_id", "event_id", "grant_id", "entry_id")
# Names that are not numbers: a real one, so a refusal comes from the record, not from an unknown name.
_NAMED_PARAMS = {"gid": "baclofen"}


def _all(app: Any) -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    found: list[tuple[str, str]] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.extend((method, prefix + route.path) for method in sorted(route.methods - {"HEAD"}))
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)

    walk(app.routes, "")
    return found


def patient_routes(app: Any, pid: str) -> list[tuple[str, str]]:
    routes = []
    for method, path in _all(app):
        if "{pid}" not in path and "{patient_id}" not in path:
            continue
        filled = path.replace("{pid}", pid).replace("{patient_id}", pid)
        for name in _ID_PARAMS:
            filled = filled.replace("{" + name + "}", "1")
        for name, value in _NAMED_PARAMS.items():
            filled = filled.replace("{" + name + "}", value)
        assert "{" not in filled, f"a new path parameter needs a value here: {path}"
        routes.append((method, filled))
    return routes

"""The one place where refusals become responses: JSON for /api/v1, a message in place for pages.

A form that is refused goes back to the page it came from with the message (and what was typed, never a
password); a live preview gets the message as a fragment; a page that may not be seen is a plain 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from dosewise.domain.errors import DosewiseError, InvalidInput, KnowledgeError, PlanRefused, UnmakeableDose
from dosewise.formats.cds_hooks.request import PrefetchMissing
from dosewise.services.ports import (
    AccessDenied,
    AuthenticationFailed,
    AuthenticationRequired,
    Conflict,
    LoginThrottled,
    ServiceBusy,
)
from dosewise.web.hints import web_hint
from dosewise.web.security import CsrfRejected, is_api, is_partial, set_flash

__all__ = ["ERROR_RESPONSES", "FIELD_NAMES", "ErrorBody", "install_error_handlers", "status_for", "web_hint"]

# Form fields as people name them (validation messages never show the code names).
FIELD_NAMES = {
    "display_name": "Name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "weight_kg": "Weight",
    "creatinine_value": "Creatinine",
    "creatinine_unit": "Creatinine unit",
    "creatinine_date": "Date the creatinine was measured",
    "egfr": "eGFR",
    "timezone": "Time zone",
    "spasticity": "Stiffness",
    "drowsiness": "Drowsiness",
    "sleep_quality": "Sleep",
    "spasm_frequency": "Spasms",
    "amount": "How many now",
    "product_id": "Product",
    "taken_at": "Time taken",
    "reason": "Reason",
    "name": "Medicine",
    "dose": "Dose",
    "times_per_day": "Times a day",
    "email": "E-mail",
    "password": "Password",
    "role": "Account type",
    "day": "Day",
    "text": "Symptoms in your own words",
    "severity": "How bad it is",
    "drug": "Medicine",
    "start": "Start",
    "start_dose": "First dose",
    "increment": "Increase per dose",
    "interval_days": "Days between increases",
    "target_daily": "Target per day",
    "times": "Clock times",
    "step_daily": "Reduction per step",
    "step_days": "Days per step",
    "weeks": "Over weeks",
    "percent": "Percentage per step",
    "override_code": "Limit to cross",
    "override_reason": "Clinical reason",
    "prescriber": "Prescribed by",
    "adjustment": "What to do from today",
    "clinician_phone": "Clinician's phone number",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    hint: str | None = None
    alternatives: list[str] | None = None
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


_DESCRIPTIONS = {
    401: "Not signed in, or the e-mail or password is not right (`authentication_required`, `authentication_failed`).",
    403: "The CSRF token is missing or wrong (`csrf_rejected`).",
    404: "No such record, or no access to it: the two are indistinguishable (`not_found`).",
    409: "Contradicts what is recorded, e.g. a dose already logged differently (`conflict`).",
    422: "Input refused without guessing: unknown unit, implausible value, unmakeable dose, a plan above a "
    "limit (`invalid_input`, `unit_mismatch`, `unknown_drug`, `unmakeable_dose`, `plan_refused`).",
    413: "The request body is larger than the configured limit (`body_too_large`).",
    429: "Too many failed sign-ins or new accounts from this client; see Retry-After (`login_throttled`).",
    503: "At a ceiling: requests in flight in this worker (`overloaded`) or sign-ins being checked at once "
    "(`busy`); see Retry-After.",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _DESCRIPTIONS.items()
}


def status_for(error: DosewiseError) -> int:
    if isinstance(error, AccessDenied):
        return 404
    if isinstance(error, AuthenticationRequired | AuthenticationFailed):
        return 401
    if isinstance(error, CsrfRejected):
        return 403
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, LoginThrottled):
        return 429
    if isinstance(error, ServiceBusy):
        return 503
    if isinstance(error, InvalidInput | UnmakeableDose | PlanRefused):
        return 422
    if isinstance(error, PrefetchMissing):
        return 412
    if isinstance(error, KnowledgeError):
        return 500
    return 400


def _body(error: DosewiseError) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": error.code, "message": error.message, "hint": error.hint}
    if isinstance(error, UnmakeableDose):
        detail["alternatives"] = list(error.alternatives)
    details = getattr(error, "details", None)
    if isinstance(details, dict):
        detail["details"] = details  # structured: the findings and overrides, or what to confirm
    return {"error": detail}


def _back(request: Request) -> str:
    """The same-origin page the form was on (never an outside address)."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if referer and parts.netloc == request.url.netloc and parts.path.startswith("/"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


async def _form_echo(request: Request) -> dict[str, Any]:
    try:
        form = await request.form()
    except Exception:
        return {}
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def handle(request: Request, error: DosewiseError) -> Response:
    status = status_for(error)
    headers = (
        {"Retry-After": str(error.retry_after_seconds)}
        if isinstance(error, LoginThrottled | ServiceBusy)
        else None
    )
    if is_api(request):
        return JSONResponse(_body(error), status_code=status, headers=headers)
    from dosewise.web.templating import render

    if is_partial(request):
        return render(request, "_error.html", status_code=status, error=error)
    if isinstance(error, AuthenticationRequired):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if isinstance(error, AccessDenied | CsrfRejected) or request.method in ("GET", "HEAD"):
        return render(request, "error.html", status_code=status, error=error)
    response = RedirectResponse(_back(request), status_code=303, headers=headers)
    set_flash(
        request,
        response,
        "error",
        error.message,
        web_hint(error),
        await _form_echo(request),
        field=error.field,
        field_name=FIELD_NAMES.get(error.field or "", None),
    )
    return response


async def _dosewise_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DosewiseError)
    return await handle(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(item.get("type") == "json_invalid" for item in exc.errors()):
        return await handle(
            request, InvalidInput("the request body is not valid JSON", hint="send a JSON object")
        )
    problems, fields = [], []
    for item in exc.errors()[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path"))
        fields.append(where)
        named = where if is_api(request) else FIELD_NAMES.get(where, where.replace("_", " ").capitalize())
        problems.append(f"{named or 'input'}: {_human_message(item)}")
    message = "; ".join(problems) or "the request is not valid"
    return await handle(request, InvalidInput(message, field=fields[0] if len(fields) == 1 else None))


def _human_message(item: Any) -> str:
    kind = str(item.get("type", ""))
    if kind == "missing":
        return "this is needed"
    if kind.startswith("int_") or kind.startswith("float_"):
        return "write a whole number" if kind.startswith("int_") else "write a number"
    return str(item.get("msg", "invalid")).replace("Input should be", "must be")


_HTTP_CODES = {400: "bad_request", 405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media"}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method, body too large) in the documented shape."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return await handle(request, AccessDenied("There is no page at this address."))
    if exc.status_code == 400 and is_api(request):
        # FastAPI's "error parsing the body" (e.g. bytes that are not UTF-8): the same answer as bad JSON.
        return await handle(
            request, InvalidInput("the request body is not valid JSON", hint="send a JSON object")
        )
    if not is_api(request):
        from fastapi.exception_handlers import http_exception_handler

        return await http_exception_handler(request, exc)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    hint = "send less at once" if exc.status_code == 413 else None
    body = {"error": {"code": code, "message": str(exc.detail), "hint": hint}}
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> Response:
    """The last resort (still a 500, and logged): even then the API answers in its documented shape."""
    body = {"error": {"code": "internal_error", "message": "something went wrong on our side", "hint": None}}
    if is_api(request):
        return JSONResponse(body, status_code=500)
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("Something went wrong on our side. Please try again.", status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DosewiseError, _dosewise_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

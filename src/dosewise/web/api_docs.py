"""The API reference page at /api/docs: plain HTML rendered from the app's own OpenAPI document.

No third-party script or stylesheet (Swagger UI loads both from a CDN, which the app's CSP refuses), so the
page works under ``script-src 'self'`` and offline. The machine-readable document stays at
/api/v1/openapi.json for tools (schemathesis, client generators).
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["install_api_docs"]

_METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    if ref:
        return str(ref).rsplit("/", 1)[-1]
    if "items" in schema:
        return f"list of {_schema_name(schema['items'])}"
    return str(schema.get("type", "object"))


def _fields(spec: dict[str, Any], name: str) -> str:
    schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    rows = []
    required = set(schema.get("required", ()))
    for field, info in schema.get("properties", {}).items():
        kind = _schema_name(info) if "$ref" in info or "items" in info else info.get("type", "")
        if "anyOf" in info:
            kind = " or ".join(str(part.get("type", _schema_name(part))) for part in info["anyOf"])
        note = info.get("description", "")
        rows.append(
            f"<tr><td><code>{escape(field)}</code>{' (required)' if field in required else ''}</td>"
            f"<td>{escape(str(kind))}</td><td>{escape(str(note))}</td></tr>"
        )
    if not rows:
        return ""
    return f"<table><tr><th>field</th><th>type</th><th>meaning</th></tr>{''.join(rows)}</table>"


def _operation(spec: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> str:
    parts = [
        f"<h3 id=\"{escape(op.get('operationId', ''))}\"><code>{method.upper()} {escape(path)}</code></h3>"
    ]
    parts.append(f"<p>{escape(op.get('summary', ''))}</p>")
    params = [
        f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}){' required' if p.get('required') else ''}"
        f"{': ' + escape(p['schema'].get('description', '')) if p.get('schema', {}).get('description') else ''}"
        "</li>"
        for p in op.get("parameters", [])
    ]
    if params:
        parts.append(f"<p>Parameters:</p><ul>{''.join(params)}</ul>")
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        name = _schema_name(body)
        parts.append(f"<p>JSON body: <code>{escape(name)}</code></p>{_fields(spec, name)}")
    codes = ", ".join(
        f"<code>{escape(code)}</code> {escape(info.get('description', ''))}"
        for code, info in sorted(op.get("responses", {}).items())
        if code.startswith("2")
    )
    if codes:
        parts.append(f"<p>Answers: {codes}</p>")
    return "<section>" + "".join(parts) + "</section>"


def render_api_docs(spec: dict[str, Any]) -> str:
    info = spec.get("info", {})
    operations = [
        _operation(spec, method, path, item[method])
        for path, item in spec.get("paths", {}).items()
        for method in _METHODS
        if method in item
    ]
    errors = spec.get("components", {}).get("schemas", {}).get("ErrorBody")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(info.get('title', 'API'))} API</title>"
        "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main>"
        f"<h1>{escape(info.get('title', ''))} API {escape(info.get('version', ''))}</h1>"
        f"<p>{escape(info.get('description', ''))}</p>"
        "<p>The machine-readable description: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>"
        + (
            '<h2>Errors</h2><p>Every refusal is <code>{"error": {"code", "message", "hint"}}</code>.</p>'
            if errors
            else ""
        )
        + "<h2>Operations</h2>"
        + "".join(operations)
        + "</main></body></html>"
    )


def install_api_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    async def api_docs(request: Request) -> HTMLResponse:
        """The reference, rendered on the server from the OpenAPI document: no script at all."""
        return HTMLResponse(render_api_docs(request.app.openapi()))

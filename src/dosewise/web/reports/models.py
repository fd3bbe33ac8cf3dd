"""How a report travels over HTTP: a PDF download with its file name, never cached."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from dosewise.services.reports import ReportFile

__all__ = ["PDF_RESPONSE", "pdf_response"]

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF (tagged PDF/UA-1), as a download."}
}


def pdf_response(report: ReportFile) -> Response:
    # The file name is made of a drug id and a date only: nothing a person typed reaches the header.
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"content-disposition": f'attachment; filename="{report.filename}"'},
    )

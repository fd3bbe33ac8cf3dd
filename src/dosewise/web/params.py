"""Bounds on what a request may name, declared once so the OpenAPI shows them and every route applies them.

Row ids are PostgreSQL ``INTEGER`` (32-bit) columns; SQLite holds 64-bit ones. An id outside 1..2^31-1
names no row on either, so it is refused (422) before any query, instead of overflowing the driver (500).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

__all__ = ["MAX_ROW_ID", "RowId"]

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id (1 to 2147483647)")]

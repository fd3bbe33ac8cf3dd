"""Reading the reports back with libraries nobody here wrote: pdfplumber (text, tables), pypdf (text,
catalog) and pikepdf (the structure tree)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pdfplumber
import pikepdf
import pypdf


def plumber_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def plumber_tables(pdf: bytes) -> list[list[list[str]]]:
    """Every table on every page, cells with their line breaks turned into spaces."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for table in page.extract_tables():
                out.append([[" ".join((cell or "").split()) for cell in row] for row in table])
    return out


def pypdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def structure(pdf: bytes) -> list[tuple[int, str, dict[str, Any]]]:
    """The structure tree in document order: (depth, role, attributes of interest)."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    with pikepdf.open(io.BytesIO(pdf)) as document:

        def walk(node: Any, depth: int) -> None:
            if isinstance(node, pikepdf.Array):
                for child in node:
                    walk(child, depth)
                return
            if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
                return
            attrs: dict[str, Any] = {}
            if "/Alt" in node:
                attrs["alt"] = str(node.Alt)
            owners = node.get("/A")
            for owner in owners if isinstance(owners, pikepdf.Array) else [owners] if owners else []:
                if isinstance(owner, pikepdf.Dictionary) and "/Scope" in owner:
                    attrs["scope"] = str(owner.Scope)
            out.append((depth, str(node.S), attrs))
            if "/K" in node:
                walk(node.K, depth + 1)

        walk(document.Root.StructTreeRoot.K, 0)
    return out


def roles(pdf: bytes, role: str) -> Iterator[dict[str, Any]]:
    return (attrs for _, name, attrs in structure(pdf) if name == role)


def catalog(pdf: bytes) -> dict[str, Any]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        fonts = set()
        for page in document.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                fonts.add(str(font.get("/BaseFont")))
        return {
            "marked": bool(root.MarkInfo.Marked) if "/MarkInfo" in root else False,
            "lang": str(root.get("/Lang", "")),
            "has_struct_tree": "/StructTreeRoot" in root,
            "title": str(document.docinfo.get("/Title", "")),
            "created": str(document.docinfo.get("/CreationDate", "")),
            "display_title": bool(root.ViewerPreferences.DisplayDocTitle)
            if "/ViewerPreferences" in root
            else False,
            "fonts": fonts,
            "pages": len(document.pages),
        }

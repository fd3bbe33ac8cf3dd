"""Where a topic of the record is explained: the guide section's URL, personal inside a record."""

from __future__ import annotations

from fastapi import Request

from dosewise.services.guides import guide_for_drug, section_for_finding
from dosewise.web.security import context

__all__ = ["guide_url"]


def guide_url(request: Request, drug: str | None, section: str = "", pid: str | None = None) -> str:
    """``/p/<pid>/guides/<guide>#<section>`` (or the public ``/guides/...``); "" when no guide explains it.

    ``section`` may be a section id or a finding code ("renal.reduce.mild"), which is mapped to its
    section; a code no section explains links to the guide's top.
    """
    if not drug:
        return ""
    kb = context(request).kb
    route = "intrathecal" if drug.endswith("intrathecal") else "oral"
    guide = guide_for_drug(kb, drug.removesuffix("-intrathecal"), route)
    if guide is None:
        return ""
    wanted = section if guide.section(section) else section_for_finding(section)
    anchor = f"#{wanted}" if wanted and guide.section(wanted) else ""
    base = f"/p/{pid}/guides" if pid else "/guides"
    return f"{base}/{guide.id}{anchor}"

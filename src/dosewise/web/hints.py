"""The web's wording of a refusal's hint: below ``errors`` (the error pages) and ``templating`` (every
page shows hints), so neither imports the other for it."""

from __future__ import annotations

import re

from dosewise.domain.errors import DosewiseError

__all__ = ["web_hint"]

_CLI_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def web_hint(error: DosewiseError) -> str | None:
    """The hint as the web words it: the engine's hint is written for the command line.

    A plan refusal names the overrides that would allow it (structured); the web says where a clinician
    gives one. Any other hint that speaks of command-line flags is not shown on a page.
    """
    hint = error.hint
    overrides = getattr(error, "overrides", ())
    if overrides:
        before = (hint or "").split("a clinician may override with")[0].strip().rstrip(";").strip()
        names = ", ".join(code.replace("_", " ") for code in overrides)
        web = (
            f"Only a clinician can go past this limit: on the Plan page, under 'Override a limit', choose "
            f"'{names}' and write the clinical reason. The override is recorded and shown on the plan."
        )
        return f"{before}. {web}" if before and not _CLI_FLAG.search(before) else web
    if hint and _CLI_FLAG.search(hint):
        return None
    return hint

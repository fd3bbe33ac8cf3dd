"""The dose history ``{timezone, doses: [{at, dose, note?}]}`` the simulator reads (``simulate --history``).

Read only. ``domain.pk`` brings numpy, so it is imported inside the reader: every other command that reads
a file stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Unit
from dosewise.formats.reading import quantity_from_json, read_datetime, read_list, read_text, read_zone

__all__ = ["MAX_HISTORY_DAYS", "history_from_document"]

# Input guard (dosewise policy, not a clinical number): a dose history for the simulator covers at most a
# year; longer is a typing error in a date.
MAX_HISTORY_DAYS = 366

if TYPE_CHECKING:
    from dosewise.domain.pk import DoseEvent


def history_from_document(document: Mapping[str, Any]) -> tuple[list[DoseEvent], str]:
    """A dose history {timezone, doses: [{at, dose, note?}]}: times carry their UTC offset."""
    from dosewise.domain.pk import DoseEvent as PkDose

    if not isinstance(document, Mapping):
        raise InvalidInput("a dose history is an object")
    unknown = set(document) - {"timezone", "doses", "drug"}
    if unknown:
        raise InvalidInput(f"history: unknown fields {sorted(map(str, unknown))}")
    zone = read_zone(document.get("timezone", "UTC"), "history timezone")
    raw = read_list(document.get("doses"), "history 'doses'")
    if not raw:
        raise InvalidInput("history: 'doses' must be a non-empty list of {at, dose}")
    events = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping) or "at" not in item or "dose" not in item:
            raise InvalidInput(f"history dose {index}: needs 'at' (ISO time with offset) and 'dose'")
        if set(item) - {"at", "dose", "note"}:
            raise InvalidInput(
                f"history dose {index}: unknown fields {sorted(map(str, set(item) - {'at', 'dose', 'note'}))}"
            )
        at = read_datetime(item["at"], f"history dose {index} 'at'")
        dose = quantity_from_json(item["dose"], f"history dose {index}", allowed=(Unit.MG, Unit.MCG))
        if dose.amount <= 0:
            raise InvalidInput(f"history dose {index}: a dose taken is more than zero (got {dose})")
        events.append(PkDose(at, dose, read_text(item.get("note", ""), f"history dose {index} note")))
    moments = [event.at for event in events]
    if max(moments) - min(moments) > timedelta(days=MAX_HISTORY_DAYS):
        raise InvalidInput(
            f"history: the doses span more than {MAX_HISTORY_DAYS} days ({min(moments).date()} to "
            f"{max(moments).date()})",
            hint="check the years of the dates; simulate a year or less at a time",
        )
    return events, zone

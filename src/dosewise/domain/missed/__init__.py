"""Missed-dose advice: take it now or skip it, never double, and when repeated misses become urgent.

The rule comes from the knowledge base (``MissedDoseRule``): a configurable default, not label text. No US
label gives a missed-dose rule (clinical-reference 7).

Crediting taken doses to slots (the matching rule)
    Everything is compared as real instants (UTC), so daylight-saving days neither stretch nor shrink an
    interval and calendar dates play no part: a dose taken at 00:30 for a 20:00 slot is simply 4.5 hours
    after that slot. Recorded times are processed in order. For a dose taken at ``t`` between slot ``P``
    (at or before ``t``) and slot ``N`` (after ``t``), the preferred slot is ``P`` while ``t`` is still
    inside ``P``'s take window (less than the rule's fraction of the ``P`` -> ``N`` interval after ``P``),
    and ``N`` after that, because a dose taken later than the take window is, under the same rule, the next
    dose taken early. With the default fraction of one half this is the nearest slot. If the preferred slot
    already has a dose, the dose goes to the other neighbour when that is open (the next slot only inside
    its own take window, so an extra dose never cancels a later one); otherwise it is an extra dose. A dose before the first or after the last planned slot is credited only within one interval.
    Two recorded doses closer than the take window are reported as a possible double dose.

Which slots are judged
    Slots from ``history_from`` to ``now``. Without an explicit start, judging starts at the slot of the
    earliest record (taken or skipped); with no records at all only the most recent due slot is judged,
    and the advice says so.

Urgency
    ``urgent`` when the current run of missed doses has lasted at least ``urgent_after_missed_hours`` since
    the first missed dose was due, or covers a whole day's doses (at least the doses per day of the step,
    and at least ``soon_after_consecutive_missed``): withdrawal is plausible. ``soon`` when the run is at
    least ``soon_after_consecutive_missed`` doses, or an earlier run in the recent window was.
"""

from dosewise.domain.missed.advisor import advise
from dosewise.domain.missed.types import Credit, MissedDoseAdvice, OverdoseQuestion, OverdoseRule, SlotRecord

__all__ = [
    "Credit",
    "MissedDoseAdvice",
    "OverdoseQuestion",
    "OverdoseRule",
    "SlotRecord",
    "advise",
]

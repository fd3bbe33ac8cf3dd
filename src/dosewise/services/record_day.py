"""What day it is for a patient's record: one answer for every page and service.

A plan's clock times are local to the zone it was made in, so while a plan is in force the record's day
and "now" are read in that zone; before the first plan, in the profile's zone. Changing the profile's
zone therefore never makes the Plan page and Today disagree about the day (a new plan version takes the
new zone).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dosewise.domain.regimen import Plan
from dosewise.services.ports import PlanVersion, Profile

__all__ = ["record_now", "record_today", "record_zone"]


def record_zone(profile: Profile, plan: Plan | PlanVersion | None) -> str:
    """The zone the record's day is read in: the plan in force's, else the profile's."""
    if isinstance(plan, PlanVersion):
        plan = plan.plan
    return plan.timezone if plan is not None else profile.timezone


def record_now(profile: Profile, plan: Plan | PlanVersion | None, now: datetime) -> datetime:
    """``now`` on the record's own clock."""
    return now.astimezone(ZoneInfo(record_zone(profile, plan)))


def record_today(profile: Profile, plan: Plan | PlanVersion | None, now: datetime) -> date:
    """The record's calendar day at ``now``."""
    return record_now(profile, plan, now).date()

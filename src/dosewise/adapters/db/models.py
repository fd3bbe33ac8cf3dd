"""Every record class, imported once so the metadata is complete for migrations and tests."""

from __future__ import annotations

from dosewise.adapters.db.accounts import LoginFailureRow, PasswordResetRow, SessionRow, UserRow
from dosewise.adapters.db.audit import AuditRow
from dosewise.adapters.db.base import Base
from dosewise.adapters.db.calendar_feeds import CalendarFeedRow
from dosewise.adapters.db.cds import CdsCardRow, CdsFeedbackRow, CdsTokenRow
from dosewise.adapters.db.diary import CheckInRow, SymptomRow
from dosewise.adapters.db.doses import DoseEventRow, StockCountRow
from dosewise.adapters.db.plans import PlanVersionRow
from dosewise.adapters.db.pump import PumpEntryRow
from dosewise.adapters.db.records import GrantRow, MedicationRow, PatientRow
from dosewise.adapters.db.reminders import DeliveryRow, NotifySettingRow, PushSubscriptionRow, ReminderJobRow
from dosewise.adapters.db.trials import TrialRow

__all__ = [
    "APPEND_ONLY_TABLES",
    "AuditRow",
    "CalendarFeedRow",
    "CdsCardRow",
    "CdsFeedbackRow",
    "CdsTokenRow",
    "CheckInRow",
    "DeliveryRow",
    "DoseEventRow",
    "GrantRow",
    "LoginFailureRow",
    "MedicationRow",
    "NotifySettingRow",
    "PasswordResetRow",
    "PatientRow",
    "PlanVersionRow",
    "PumpEntryRow",
    "PushSubscriptionRow",
    "ReminderJobRow",
    "SessionRow",
    "StockCountRow",
    "SymptomRow",
    "TrialRow",
    "UserRow",
    "metadata",
]

metadata = Base.metadata

# History that is never edited or deleted: a correction is a new row (database triggers refuse the rest).
APPEND_ONLY_TABLES = (
    "plan_versions",
    "dose_events",
    "stock_counts",
    "symptom_entries",
    "checkins",
    "audit_events",
    "trials",
    "cds_feedback",
    "pump_entries",
)

"""The patient's schedule sheet read back: one box per planned dose, the right tablets for each, and the
missed-dose rule in plain words that sends people to their clinician."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pdf_reading import catalog, plumber_tables, plumber_text, roles

from dosewise.domain.dispensing import take_for_dose
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, administrations
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.report.sheet import BOX
from dosewise.services import planning, reports

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _sheet(kb: KnowledgeBase, plan: Plan, first: date, days: int) -> bytes:
    return reports.schedule_sheet(
        kb=kb, plan=plan, now=NOW, first=first, days=days, patient_name="Ada"
    ).content


def _strip(pdf: bytes) -> list[list[str]]:
    rows: list[list[str]] = []
    for table in plumber_tables(pdf):
        if table and table[0][:2] == ["Day", "Dose 1"]:
            rows += [row for row in table[1:] if row[0] != "Day"]
    return rows


@pytest.mark.parametrize(
    ("drug", "target", "zone"),
    [("baclofen", 60, "Europe/London"), ("tizanidine", 24, "America/New_York"), ("baclofen", 30, "UTC")],
)
def test_every_planned_dose_has_one_box_with_its_time_dose_and_tablets(
    kb: KnowledgeBase, drug: str, target: int, zone: str
) -> None:
    """Each day's row lists exactly that day's administrations, each with a box and the tablets to take."""
    plan = planning.titrate(kb=kb, drug=drug, start=date(2026, 11, 28), target_daily=mg(target))
    plan = Plan(**{**plan.__dict__, "timezone": zone})
    rules = kb.drug(drug)
    first, days = date(2026, 11, 30), 21
    pdf = _sheet(kb, plan, first, days)
    rows = _strip(pdf)
    assert len(rows) == days
    planned = list(administrations(plan, ZoneInfo(zone), start=first, end=first + timedelta(days=days)))
    assert plumber_text(pdf).count(BOX) == len(planned) + 1  # and one in "Tick the box"
    for offset, row in enumerate(rows):
        day = first + timedelta(days=offset)
        assert row[0].startswith(f"{day.strftime('%a')} {day.day} {day.strftime('%b')}")
        expected = [
            f"{BOX} {a.at.strftime('%H:%M')} · {a.dose} "
            + take_for_dose(a.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored).describe()
            for a in planned
            if a.slot_date == day
        ]
        assert [cell for cell in row[1:] if cell] == expected


def test_a_daylight_saving_day_keeps_its_doses_and_a_stop_says_no_more_doses(kb: KnowledgeBase) -> None:
    """London springs forward on 2027-03-28: three boxes that day; after a stopping plan, no boxes."""
    plan = Plan(
        "baclofen",
        "oral",
        (Step(date(2027, 3, 20), 10, mg(5), (time(1, 30), time(8), time(20))),),
        kb.version,
        timezone="Europe/London",
        then="stop",
    )
    pdf = _sheet(kb, plan, date(2027, 3, 27), 6)
    rows = {row[0].split(" day")[0]: row for row in _strip(pdf)}
    spring = rows["Sun 28 Mar"]
    assert [cell.split(" ·")[0] for cell in spring[1:]] == [f"{BOX} 02:00", f"{BOX} 08:00", f"{BOX} 20:00"]
    assert rows["Tue 30 Mar"][1] == "No more doses planned"


def test_the_missed_dose_rule_is_in_plain_words_and_never_doubles(kb: KnowledgeBase) -> None:
    """The knowledge base's rule (half the interval, two in a row, 24 hours) and the withdrawal signs."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 28))
    text = " ".join(plumber_text(_sheet(kb, plan, date(2026, 12, 2), 7)).split())
    rule = kb.drug("baclofen").missed_dose
    assert rule is not None
    assert rule.take_if_elapsed_fraction_below == 1 / 2
    assert "less than half of the time to your next dose has passed, take it as soon as you remember" in text
    assert "skip the missed dose and take the next one at its usual time" in text
    assert "Never take two doses at once to make up for a missed one." in text
    assert "If you miss two doses in a row, tell your clinician soon" in text
    assert f"If you have missed doses for {rule.urgent_after_missed_hours} hours" in text
    assert "call your emergency number for a seizure" in text
    assert "If your plan changes, this sheet is out of date" in text


def test_a_drug_without_a_missed_dose_rule_sends_the_person_to_their_clinician(kb: KnowledgeBase) -> None:
    """Tizanidine has no missed-dose rule in the knowledge base: the sheet says to ask, and invents none."""
    assert kb.drug("tizanidine").missed_dose is None
    plan = planning.titrate(kb=kb, drug="tizanidine", start=date(2026, 11, 28))
    text = " ".join(plumber_text(_sheet(kb, plan, date(2026, 12, 2), 7)).split())
    assert "Ask your clinician or pharmacist what to do if you miss a dose of tizanidine." in text
    assert "take it as soon as you remember" not in text


def test_the_sheet_is_tagged_and_its_length_is_bounded(kb: KnowledgeBase) -> None:
    """Tagged like the report (language, header scope); a sheet of more than 92 days is refused."""
    plan = planning.titrate(kb=kb, drug="baclofen", start=date(2026, 11, 28))
    pdf = _sheet(kb, plan, date(2026, 12, 2), 7)
    info = catalog(pdf)
    assert info["marked"]
    assert info["lang"] == "en"
    assert info["title"] == "Your baclofen schedule"
    assert all(h.get("scope") == "/Column" for h in roles(pdf, "/TH"))
    assert _sheet(kb, plan, date(2026, 12, 2), 7) == pdf
    with pytest.raises(Exception, match="1 to 92 days"):
        _sheet(kb, plan, date(2026, 12, 2), 93)

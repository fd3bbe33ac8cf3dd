"""Our own structural checks, for what none of the parsers flags: each check is shown to catch its defect,
the parsers are shown to accept that defect silently (so the check is needed), and every calendar we
write passes all of them, plus libical's restrictions for a published calendar."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ical_parsers import read_ical, read_icaljs, read_libical
from ical_structure import structural_problems

from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, default_times
from dosewise.domain.rules import DrugRules
from dosewise.formats.ical import Revision, Window, plan_calendar

# iTIP PUBLISH wants an ORGANIZER (an e-mail address); a subscribed feed has none, on purpose.
_ORGANIZER = "ORGANIZER property"


def _calendar(rules: DrugRules) -> str:
    plan = Plan(
        "baclofen",
        "oral",
        (Step(date(2027, 3, 26), 4, mg(5), default_times(3)),),
        "t",
        timezone="Europe/London",
    )
    made = datetime(2027, 3, 1, tzinfo=UTC)
    window = Window(date(2027, 3, 26), date(2027, 3, 30))
    body = plan_calendar(
        [Revision(1, plan, rules, made)], window, series="s", today=window.first, refresh=timedelta(hours=1)
    )
    return body.body.decode()


def _defects(text: str) -> dict[str, str]:
    start = text.index("BEGIN:VTIMEZONE")
    end = text.index("END:VTIMEZONE\r\n") + len("END:VTIMEZONE\r\n")
    return {
        "unfolded": text.replace("\r\n ", ""),
        "tzid without vtimezone": text[:start] + text[end:],
        "no dtstamp": re.sub(r"DTSTAMP:[^\r]*\r\n", "", text),
        "empty trigger": text.replace(
            "END:VEVENT",
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-P\r\nEND:VALARM\r\nEND:VEVENT",
            1,
        ),
        "bare timedelta ttl": text.replace("X-PUBLISHED-TTL:PT1H", "X-PUBLISHED-TTL:1:00:00"),
        "repeated uid": text.replace(re.findall(r"UID:[^\r]*", text)[1], re.findall(r"UID:[^\r]*", text)[0]),
    }


EXPECTED = {
    "unfolded": "longer than 75",
    "tzid without vtimezone": "has no VTIMEZONE",
    "no dtstamp": "0 DTSTAMP",
    "empty trigger": "TRIGGER:-P is not",
    "bare timedelta ttl": "X-PUBLISHED-TTL:1:00:00 is not",
    "repeated uid": "repeated UIDs",
}


def test_every_calendar_we_write_passes_our_checks_and_libicals_publish_restrictions(
    tmp_path: Path, baclofen: DrugRules
) -> None:
    """No structural problem; libical finds nothing under the published-calendar rules but the absent
    ORGANIZER (a feed has none)."""
    text = _calendar(baclofen)
    assert structural_problems(text.encode()) == []
    path = tmp_path / "ok.ics"
    path.write_text(text, newline="")
    problems = read_libical([path])["calendars"][0]["problems"]
    assert [p for p in problems if _ORGANIZER not in p] == []


@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_our_checks_catch_each_defect(baclofen: DrugRules, defect: str) -> None:
    """Each deliberately broken calendar is flagged with the matching problem."""
    broken = _defects(_calendar(baclofen))[defect]
    problems = structural_problems(broken.encode(), alarms_allowed=True)
    assert any(EXPECTED[defect] in p for p in problems), problems


def test_the_parsers_accept_the_defects_our_checks_exist_for(tmp_path: Path, baclofen: DrugRules) -> None:
    """Unfolded lines, a missing VTIMEZONE and an empty TRIGGER are read without complaint by ical,
    ical.js and libical (ical.js quietly makes the time floating); only libical notices a missing DTSTAMP,
    and only under the published-calendar rules."""
    defects = _defects(_calendar(baclofen))
    names = ["unfolded", "tzid without vtimezone", "empty trigger", "no dtstamp"]
    paths = []
    for name in names:
        path = tmp_path / f"{name.replace(' ', '-')}.ics"
        path.write_text(defects[name], newline="")
        paths.append(path)
    python = read_ical(paths)
    mozilla = read_icaljs(paths)["calendars"]
    gnome = read_libical(paths)["calendars"]
    for index, name in enumerate(names):
        assert python[index]["events"], name
        assert mozilla[index]["events"], name
        assert gnome[index]["events"], name
        flagged = [p for p in gnome[index]["problems"] if _ORGANIZER not in p]
        assert bool(flagged) == (name == "no dtstamp"), (name, flagged)
    assert {e["tzid"] for e in mozilla[1]["events"]} == {"floating"}
    assert not any(e["zone_found"] for e in gnome[1]["events"])

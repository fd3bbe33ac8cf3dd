// Reads iCalendar files with Mozilla's ical.js (Thunderbird's parser) and prints what it understood, as
// JSON, for tests/ical. Input on stdin: {"files": [path, ...], "probes": [{"file", "tzid", "walls": [...]}]}.
// An event's local time comes from the VTIMEZONE in its own file (ical.js prefers it to any other zone).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const pad = (n, w = 2) => String(n).padStart(w, "0");
const wall = (t) =>
  `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;

function readCalendar(path) {
  const root = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  const props = {};
  for (const prop of root.getAllProperties()) {
    props[prop.name] = String(prop.getFirstValue());
  }
  const events = root.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    const start = event.startDate;
    const stamp = component.getFirstPropertyValue("dtstamp");
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: component.getFirstPropertyValue("status"),
      summary: event.summary,
      description: event.description,
      tzid: start.zone ? start.zone.tzid : null,
      local: wall(start),
      unix: start.toUnixTime(),
      duration_seconds: event.duration.toSeconds(),
      dtstamp: stamp ? stamp.toString() : null,
      alarms: component.getAllSubcomponents("valarm").length,
    };
  });
  const zones = root.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid"));
  return { props, events, zones };
}

// Local wall times ("YYYY-MM-DDTHH:MM:SS") in the file's VTIMEZONE, as instants: the direction in which an
// event's TZID time is read. (ical.js's UTC-to-local conversion is off for some hours before each change
// even with a textbook VTIMEZONE, so it is not what is probed.)
function probe({ file, tzid, walls }) {
  const root = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  const zone = root.getTimeZoneByID(tzid);
  if (!zone) throw new Error(`no VTIMEZONE ${tzid} in ${file}`);
  return walls.map((text) => {
    const [day, clock] = text.split("T");
    const [year, month, dayOfMonth] = day.split("-").map(Number);
    const [hour, minute, second] = clock.split(":").map(Number);
    return ICAL.Time.fromData({ year, month, day: dayOfMonth, hour, minute, second }, zone).toUnixTime();
  });
}

const input = JSON.parse(readFileSync(0, "utf8"));
const out = {
  calendars: (input.files || []).map(readCalendar),
  probes: (input.probes || []).map(probe),
};
process.stdout.write(JSON.stringify(out));

// Reads an iCalendar file with ical.js and node-ical; prints each VEVENT's UID with its UTC start and end.
// ical.js places times by the feed's own VTIMEZONEs (registered first), node-ical by the TZID's IANA name.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import ICAL from "ical.js";

const require = createRequire(import.meta.url);
const nodeIcal = require("node-ical");
const text = readFileSync(process.argv[2], "utf8");

const icaljs = {};
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  icaljs[event.uid] = [event.startDate.toJSDate().toISOString(), event.endDate.toJSDate().toISOString()];
}

const nodeical = {};
for (const item of Object.values(nodeIcal.sync.parseICS(text))) {
  if (item.type === "VEVENT") nodeical[item.uid] = [item.start.toISOString(), item.end.toISOString()];
}
console.log(JSON.stringify({ "ical.js": icaljs, "node-ical": nodeical }));

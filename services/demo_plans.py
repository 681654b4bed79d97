"""Demo plan and protocol of Connecting Resilient Cities (seed 002: "a common action plan",
"joint crisis protocols for EU member cities"). Every action, step, date, signatory and
progress figure is invented for the demo, and the texts say so."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from citynet.domain.network import network_id_for
from citynet.services.demo_workshops import LIEPAJA, LJUBLJANA, PARTNERS, ROSTOCK, VIENNA, workshop_id
from citynet.services.runtime import Citynet

DEMO_NAMESPACE = UUID("4d2c8b7a-1e3f-4a5b-9c6d-7e8f9a0b1c2d")
PLAN_TITLE = "Connecting Resilient Cities: common action plan"
PROTOCOL_TITLE = "Sheltering large groups of people"
NETWORKS = [network_id_for("ICNCM"), network_id_for("UBC")]


def demo_id(name: str) -> UUID:
    return uuid5(DEMO_NAMESPACE, name)


def _plan(citynet: Citynet) -> None:
    plan = demo_id(PLAN_TITLE)
    citynet.execute(lambda app: app.draft_plan(
        plan_id=plan, title=PLAN_TITLE, starts_on=date(2026, 1, 1), network_ids=NETWORKS, partner_city_ids=PARTNERS,
        purpose="Turn the workshops' findings into joint work of the four partner cities (demo data).",
        workshop_ids=[workshop_id("Crisis management in case of energy shortages")],
    ))

    def action(name: str, lead: UUID, due: date, supporting: list[UUID], parent: str | None = None,
               weight: float = 1.0) -> UUID:
        aid = demo_id(name)
        citynet.execute(lambda app: app.add_action(
            plan, 1, action_id=aid, title=name, description="Demo data.", lead_city_id=lead,
            supporting_city_ids=supporting, due_on=due, weight=weight,
            parent_id=demo_id(parent) if parent else None))
        return aid

    action("Shared crisis-communication contact list", ROSTOCK, date(2026, 6, 30), [LIEPAJA])
    collect = action("Collect contacts from the partner cities", ROSTOCK, date(2026, 4, 30), [],
                     "Shared crisis-communication contact list", 1)
    publish = action("Publish the list to partner crisis staffs", LIEPAJA, date(2026, 6, 30), [ROSTOCK],
                     "Shared crisis-communication contact list", 2)
    energy = action("Align energy-shortage contingency plans", VIENNA, date(2026, 12, 31), [ROSTOCK, LJUBLJANA])
    action("Joint volunteer exercise", LIEPAJA, date(2027, 4, 30), [VIENNA])
    action("Multilingual warning message for new citizens", LJUBLJANA, date(2027, 9, 30), [VIENNA, LIEPAJA])
    citynet.execute(lambda app: app.add_milestone(plan, 1, energy, "Draft comparison circulated", date(2026, 9, 30)))
    citynet.execute(lambda app: app.propose_version(plan, 1))
    for city, name in [(ROSTOCK, "R. Demo"), (VIENNA, "V. Beispiel"), (LIEPAJA, "L. Paraugs"), (LJUBLJANA, "L. Primer")]:
        citynet.execute(lambda app, city=city, name=name: app.answer_version(
            plan, 1, city, "endorse", name, "Head of crisis management (demo)"))
    citynet.execute(lambda app: app.report_progress(plan, collect, 100, "All four cities sent contacts (demo)."))
    citynet.execute(lambda app: app.report_progress(plan, publish, 40, "Format agreed, list in review (demo)."))
    citynet.execute(lambda app: app.report_progress(plan, energy, 20, "Waiting for Ljubljana's plan (demo).", "blocked"))


def _protocol(citynet: Citynet) -> None:
    protocol = demo_id(PROTOCOL_TITLE)
    citynet.execute(lambda app: app.draft_protocol(
        protocol_id=protocol, title=PROTOCOL_TITLE, crisis_type="sheltering_large_groups",
        network_ids=NETWORKS, partner_city_ids=PARTNERS))
    for instruction, role, frame in [
        ("Activate the crisis staff and open the shelter plan (demo)", "Head of crisis management", "within 1 hour"),
        ("Inform the population and media where shelters are (demo)", "Press office", "within 2 hours"),
        ("Open reception shelters and register arrivals (demo)", "Civil protection and social services", "within 6 hours"),
        ("Ask partner cities for support through the network (demo)", "Network coordinator", "within 24 hours"),
    ]:
        citynet.execute(lambda app, i=instruction, r=role, f=frame: app.add_step(
            protocol, 1, instruction=i, responsible_role=r, time_frame=f))
    citynet.execute(lambda app: app.propose_version(protocol, 1))
    for city, name in [(ROSTOCK, "R. Demo"), (LIEPAJA, "L. Paraugs")]:
        citynet.execute(lambda app, city=city, name=name: app.answer_version(
            protocol, 1, city, "endorse", name, "Mayor (demo)"))


def load_demo_plans(citynet: Citynet) -> None:
    if not citynet.app.exists(demo_id(PLAN_TITLE)):
        _plan(citynet)
    if not citynet.app.exists(demo_id(PROTOCOL_TITLE)):
        _protocol(citynet)

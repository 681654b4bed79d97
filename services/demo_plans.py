"""Demo plans, protocol and declaration.

- Connecting Resilient Cities (seed 002: "a common action plan", "joint crisis protocols for
  EU member cities"): every action, step, date, signatory and progress figure is invented for
  the demo, and the texts say so. Progress is consistent with the actions' status: a parent
  action is reported with the progress its sub-actions roll up to.
- The Urban Agenda for the EU Partnership on Security in Public Spaces, Action 3 (seed 001,
  Nice's practice): its activities with their responsible and supporting parties exactly as the
  seed lists them; activities the seed gives no party for have none. The dates and the
  endorsements by the partnership's three coordinators (Nice, Efus, Madrid: seed 000) are demo
  data and say so.
- The Declaration of Nice (seed 000): adopted in September 2017 by Efus and the Euromed network
  and 60 mayors from 18 countries, co-signed by the city of Nice. The named signatories sign; the
  60 mayors are a count, never invented names.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from citynet.domain.city import City
from citynet.domain.network import network_id_for
from citynet.domain.party import city_party, party_key
from citynet.services.demo_organisations import AI_EXPERTS_AND_INDUSTRY, EUROMED, LAW_EXPERTS, organisation_id
from citynet.services.demo_workshops import LIEPAJA, LJUBLJANA, PARTNERS, ROSTOCK, VIENNA, workshop_id
from citynet.services.runtime import Citynet

DEMO_NAMESPACE = UUID("4d2c8b7a-1e3f-4a5b-9c6d-7e8f9a0b1c2d")
PLAN_TITLE = "Connecting Resilient Cities: common action plan"
PROTOCOL_TITLE = "Sheltering large groups of people"
NETWORKS = [network_id_for("ICNCM"), network_id_for("UBC")]
# A stable, findable title: the projects merge attaches this plan to the Urban Agenda partnership.
URBAN_AGENDA_ACTION_3_TITLE = "Urban Agenda Partnership on Security in Public Spaces: Action 3 activities"
DECLARATION_OF_NICE_TITLE = "Declaration of Nice"
EFUS = network_id_for("Efus")
NICE, MADRID, LILLE = (City.create_id(n, c, "") for n, c in [("Nice", "FR"), ("Madrid", "ES"), ("Lille", "FR")])


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
    # The parent's own report agrees with its sub-actions: one done (weight 1), one at 40 (weight 2).
    citynet.execute(lambda app: app.report_progress(
        plan, demo_id("Shared crisis-communication contact list"), 60,
        "Contacts collected, publication under review: 60 as its sub-actions roll up (demo)."))
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


ACTION_3_PURPOSE = (
    "Action 3: evaluate the application of AI inclusive technologies. The Partnership on Security in public "
    "spaces will contribute to the current public consultation and the future European debate by bringing "
    "examples from the ground, challenges, concrete needs and encountered obstacles in the use of AI "
    "technologies to enhance the level of urban security (seed: Nice's practice; "
    "https://ec.europa.eu/futurium/en/security-in-public-spaces). The partnership is coordinated by Nice, Efus "
    "and Madrid for three years (seed: PACTESUR). Demo data: the start and due dates (within the partnership's "
    "demo dates, 2019-2021), the coordinators' endorsement of this plan in citynet, and the activities' DONE "
    "status. citynet holds no record of how the activities went: the seeds do not say."
)

ACTION_3_DUE = date(2021, 12, 31)  # demo data: the partnership's last day (demo dates, 2019-2021)
ACTION_3_STATUS_NOTE = (
    "Demo data: an illustrative status, not a record. The seeds do not say how this activity went; the demo "
    "closes it with the partnership (2019-2021, demo dates) so that nothing is shown as owed after it ended.")

# (title, description, responsible parties, supporting parties), as seed 001 lists them.
ACTION_3_ACTIVITIES: list[tuple[str, str, list[str], list[str]]] = [
    ("Contribution to the public consultation on Artificial intelligence by the European Commission",
     "Responsible: \"Nice with the support of Efus\" (seed). Demo data: the due date and the DONE status.",
     [city_party(NICE)], [party_key("network", EFUS)]),
    ("Mapping exercise of safe and smart cities' experiments: compendium, data",
     "Responsible: \"Madrid, Lille, IA experts and industry\" (seed). Demo data: the due date and the DONE status.",
     [city_party(MADRID), city_party(LILLE), party_key("organisation", organisation_id(AI_EXPERTS_AND_INDUSTRY))],
     []),
    ("Survey on the problems/bottlenecks faced by local authorities when using and experimenting artificial "
     "intelligence technologies",
     "The seed names no responsible party for this activity. Demo data: the due date and the DONE status.", [], []),
    ("Overview of legal challenges, relevant opinions issued by data protection authorities and recent national "
     "bills, including the identification of potential disparities between Member States",
     "Also: international comparisons; legal recommendations to support cities' innovation in the field of "
     "security. Responsible: \"Nice with the support of law experts\" (seed). Demo data: the due date and the DONE status.",
     [city_party(NICE)], [party_key("organisation", organisation_id(LAW_EXPERTS))]),
    ("Position papers to the EU institutions",
     "The seed names no responsible party for this activity. Demo data: the due date and the DONE status.", [], []),
]


def _urban_agenda_action_3(citynet: Citynet) -> None:
    plan = demo_id(URBAN_AGENDA_ACTION_3_TITLE)
    others = [party_key("network", EFUS), party_key("organisation", organisation_id(AI_EXPERTS_AND_INDUSTRY)),
              party_key("organisation", organisation_id(LAW_EXPERTS))]
    # Adopted when the three coordinators endorse it (quorum 3 of the six partners).
    citynet.execute(lambda app: app.draft_plan(
        plan_id=plan, title=URBAN_AGENDA_ACTION_3_TITLE, purpose=ACTION_3_PURPOSE, starts_on=date(2020, 1, 1),
        network_ids=[EFUS], partner_city_ids=[NICE, MADRID, LILLE], partner_parties=others, quorum=3))
    for title, description, responsible, supporting in ACTION_3_ACTIVITIES:
        citynet.execute(lambda app, t=title, d=description, r=responsible, s=supporting: app.add_action(
            plan, 1, action_id=demo_id(t), title=t, description=d, responsible_parties=r, supporting_parties=s,
            due_on=ACTION_3_DUE))
    citynet.execute(lambda app: app.propose_version(plan, 1))
    for party, name in [(city_party(NICE), "City of Nice"), (party_key("network", EFUS), "Efus"),
                        (city_party(MADRID), "City of Madrid")]:
        citynet.execute(lambda app, p=party, n=name: app.answer_version(
            plan, 1, p, "endorse", f"{n} (demo data: the signatory is not in the seeds)",
            "Coordinator of the partnership"))
    # The partnership ended (demo dates): its activities are not shown as owed or overdue for ever. The
    # status is illustrative, and the note says so: the seeds do not say how the activities went.
    for title, *_ in ACTION_3_ACTIVITIES:
        citynet.execute(lambda app, t=title: app.report_progress(
            plan, demo_id(t), 100, ACTION_3_STATUS_NOTE, "done"))


def _declaration_of_nice(citynet: Citynet) -> None:
    declaration = demo_id(DECLARATION_OF_NICE_TITLE)
    citynet.execute(lambda app: app.draft_declaration(
        declaration_id=declaration, title=DECLARATION_OF_NICE_TITLE, network_ids=[EFUS],
        text=("Adopted as part of the conference \"Mayors of large cities in Europe and the Mediterranean "
              "confronted to the challenge of terrorism\". The signatories recall the importance for local "
              "authorities of preventing radicalisation leading to violent extremism and their determination to "
              "cooperate among cities but also with national and European institutions. Inspired by the city of "
              "Nice; PACTESUR follows up on it (seed: PACTESUR)."),
        signatory_city_ids=[NICE],
        signatory_parties=[party_key("network", EFUS), party_key("organisation", organisation_id(EUROMED))],
        adopted_in="2017-09", further_signatories=60, further_signatories_note="mayors from 18 countries"))
    citynet.execute(lambda app: app.propose_version(declaration, 1))
    for party, name, role in [
        (city_party(NICE), "City of Nice", "Co-signatory city (the person who signed is not named in the seeds)"),
        (party_key("network", EFUS), "Efus", "Co-signatory network"),
        (party_key("organisation", organisation_id(EUROMED)), "Euromed network", "Co-signatory network"),
    ]:
        citynet.execute(lambda app, p=party, n=name, r=role: app.answer_version(declaration, 1, p, "endorse", n, r))


def load_demo_plans(citynet: Citynet) -> None:
    if not citynet.app.exists(demo_id(PLAN_TITLE)):
        _plan(citynet)
    if not citynet.app.exists(demo_id(PROTOCOL_TITLE)):
        _protocol(citynet)
    if not citynet.app.exists(demo_id(URBAN_AGENDA_ACTION_3_TITLE)):
        _urban_agenda_action_3(citynet)
    if not citynet.app.exists(demo_id(DECLARATION_OF_NICE_TITLE)):
        _declaration_of_nice(citynet)

"""Read-model tables. One definition serves SQLite and PostgreSQL.

Every row is derived from events only (ids, effective dates, event positions),
never from the clock at projection time, so a rebuild from position 0 gives
identical rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Integer,
    Column,
    Date,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

cities = Table(
    "rm_cities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country_code", String(2), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("registered_position", BigInteger, nullable=False),
    Index("rm_cities_name", "name", "id"),
)

networks = Table(
    "rm_networks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("short_name", String(30), nullable=False),
    Column("founded_on", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("website", Text, nullable=False, server_default=""),
    Index("rm_networks_name", "name", "id"),
)

commissions = Table(
    "rm_commissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("network_id", String(36), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("head_city_id", String(36), nullable=True),
)

commission_members = Table(
    "rm_commission_members",
    metadata,
    Column("commission_id", String(36), primary_key=True),
    Column("city_id", String(36), primary_key=True),
    Column("since_position", BigInteger, nullable=False),
)

# Current members only: one row per (network, city) while the city belongs.
memberships = Table(
    "rm_memberships",
    metadata,
    Column("network_id", String(36), primary_key=True),
    Column("city_id", String(36), primary_key=True, index=True),
    Column("role", String(30), nullable=False),
    Column("member_since", Date, nullable=False),
    Column("role_since", Date, nullable=False),
)

# Membership history: one row per stretch of time in one role. A period is
# open (valid_to NULL) while it lasts; [valid_from, valid_to) is half-open.
membership_periods = Table(
    "rm_membership_periods",
    metadata,
    Column("started_position", BigInteger, primary_key=True),
    Column("network_id", String(36), nullable=False),
    Column("city_id", String(36), nullable=False),
    Column("role", String(30), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("member_since", Date, nullable=False),
    UniqueConstraint("network_id", "city_id", "started_position"),
    Index("rm_membership_periods_lookup", "network_id", "valid_from"),
)

# Organisations (associations, agencies, expert groups ...): parties beside cities and networks.
organisations = Table(
    "rm_organisations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("country_code", String(2), nullable=True),
    Column("description", Text, nullable=False),
    Column("registered_position", BigInteger, nullable=False),
    Index("rm_organisations_name", "name", "id"),
)

READ_MODEL_TABLES = [cities, networks, commissions, commission_members, memberships, membership_periods,
                     organisations]


# -- workshops -------------------------------------------------------------------

workshops = Table(
    "rm_workshops",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("topic", String(200), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("format", String(20), nullable=False),
    Column("venue", Text, nullable=False),
    Column("meeting_link", Text, nullable=False),
    Column("length_days", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("host_city_id", String(36), nullable=False, index=True),
    Column("start_date", Date, nullable=True),
    Column("end_date", Date, nullable=True),
    Column("sequence", Integer, nullable=False),
    Column("poll_status", String(10), nullable=False),  # none, open, closed
    Column("status_reason", Text, nullable=False),  # last reschedule or cancel reason
    Column("attendance", Integer, nullable=True),
    Column("outcome_summary", Text, nullable=True),
    Column("key_findings", Text, nullable=True),  # JSON list
    Column("proposed_position", BigInteger, nullable=False),
    Column("sort_key", String(40), nullable=False),  # start date or 9999-12-31 while undated, then id
    # Gathering kind (decision 015); added after the first release: an existing database
    # gets it with `citynet projections rebuild workshops`.
    Column("kind", String(20), nullable=False, server_default="workshop", index=True),
    Index("rm_workshops_sort", "sort_key", "id"),
)

workshop_networks = Table(
    "rm_workshop_networks",
    metadata,
    Column("workshop_id", String(36), primary_key=True),
    Column("network_id", String(36), primary_key=True, index=True),
)

workshop_partners = Table(
    "rm_workshop_partners",
    metadata,
    Column("workshop_id", String(36), primary_key=True),
    Column("city_id", String(36), primary_key=True, index=True),
)

poll_candidates = Table(
    "rm_poll_candidates",
    metadata,
    Column("workshop_id", String(36), primary_key=True),
    Column("candidate", Integer, primary_key=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("chosen", Integer, nullable=False),  # 0/1
)

poll_answers = Table(
    "rm_poll_answers",
    metadata,
    Column("workshop_id", String(36), primary_key=True),
    Column("candidate", Integer, primary_key=True),
    Column("city_id", String(36), primary_key=True),
    Column("answer", String(20), nullable=False),
    Column("answered_position", BigInteger, nullable=False),
)

sessions = Table(
    "rm_sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("workshop_id", String(36), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("starts_at", String(40), nullable=False),  # ISO 8601 UTC; sortable
    Column("ends_at", String(40), nullable=False),
    Column("moderator", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("room", String(200), nullable=False),
)

registrations = Table(
    "rm_registrations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("workshop_id", String(36), nullable=False, index=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("city_id", String(36), nullable=False, index=True),
    Column("function", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("arrival", Integer, nullable=False),
    Column("registered_at", String(40), nullable=False),  # event timestamp, ISO 8601 UTC
)

city_quotas = Table(
    "rm_city_quotas",
    metadata,
    Column("workshop_id", String(36), primary_key=True),
    Column("city_id", String(36), primary_key=True),
    Column("quota", Integer, nullable=False),
)

READ_MODEL_TABLES += [
    workshops, workshop_networks, workshop_partners, poll_candidates, poll_answers, sessions, registrations,
    city_quotas,
]


# -- action plans and protocols ------------------------------------------------------

agreements = Table(
    "rm_agreements",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(10), nullable=False),  # plan or protocol
    Column("title", String(200), nullable=False),  # of the latest version
    Column("crisis_type", String(40), nullable=True),
    Column("starts_on", Date, nullable=True),
    Column("quorum", Integer, nullable=True),
    Column("latest_version", Integer, nullable=False),
    Column("latest_status", String(20), nullable=False, index=True),
    Column("adopted_version", Integer, nullable=True),
    Column("drafted_position", BigInteger, nullable=False),
    Index("rm_agreements_title", "kind", "title", "id"),
)

agreement_networks = Table(
    "rm_agreement_networks",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("network_id", String(36), primary_key=True, index=True),
)

agreement_partners = Table(
    "rm_agreement_partners",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("city_id", String(36), primary_key=True, index=True),
)

plan_workshops = Table(
    "rm_plan_workshops",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("workshop_id", String(36), primary_key=True),
)

agreement_versions = Table(
    "rm_agreement_versions",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("status", String(20), nullable=False),
    Column("content", Text, nullable=False),  # JSON, as the domain keeps it
    Column("status_changed_at", String(40), nullable=False),  # ISO 8601 UTC
)

endorsements = Table(
    "rm_endorsements",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("city_id", String(36), primary_key=True),
    Column("decision", String(10), nullable=False),
    Column("signed_by", String(200), nullable=False),
    Column("signatory_role", String(200), nullable=False),
    Column("answered_at", String(40), nullable=False),
)

action_tracking = Table(
    "rm_action_tracking",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("action_id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("progress", Integer, nullable=False),
    Column("lead_city_id", String(36), nullable=True),  # after a hand-over
)

action_log = Table(
    "rm_action_log",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("plan_id", String(36), nullable=False, index=True),
    Column("action_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),  # progress or handover
    Column("progress", Integer, nullable=True),
    Column("status", String(20), nullable=True),
    Column("from_city_id", String(36), nullable=True),
    Column("to_city_id", String(36), nullable=True),
    Column("note", Text, nullable=False),
    Column("at", String(40), nullable=False),
)

READ_MODEL_TABLES += [
    agreements, agreement_networks, agreement_partners, plan_workshops, agreement_versions, endorsements,
    action_tracking, action_log,
]


# -- projects -------------------------------------------------------------------------

projects = Table(
    "rm_projects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("acronym", String(40), nullable=False),
    Column("objectives", Text, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("status_reason", Text, nullable=False),
    Column("founded_position", BigInteger, nullable=False),
    Index("rm_projects_name", "name", "id"),
)

# One row per stretch of one party in one role; [since, until] both days included, until NULL while open.
project_partners = Table(
    "rm_project_partners",
    metadata,
    Column("partnership_id", String(36), primary_key=True),
    Column("project_id", String(36), nullable=False, index=True),
    Column("party_kind", String(20), nullable=False),
    Column("party_id", String(36), nullable=False, index=True),
    Column("party_network_id", String(36), nullable=True),
    Column("role", String(30), nullable=False),
    Column("since", Date, nullable=False),
    Column("until", Date, nullable=True),
)

# Which project each gathering, plan or protocol belongs to (at most one).
project_outputs = Table(
    "rm_project_outputs",
    metadata,
    Column("output_id", String(36), primary_key=True),
    Column("project_id", String(36), nullable=False, index=True),
    Column("output_kind", String(20), nullable=False),
    Column("attached_position", BigInteger, nullable=False),
)

READ_MODEL_TABLES += [projects, project_partners, project_outputs]


# -- audit ----------------------------------------------------------------------------

# Browsable history: one row per stored event, with its attribution. A read model
# like the others (rebuilt from the log); the log itself stays the source of truth.
event_log = Table(
    "rm_event_log",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("originator_id", String(36), nullable=False, index=True),
    Column("originator_version", Integer, nullable=False),
    Column("aggregate_type", String(40), nullable=False, index=True),
    Column("event_type", String(60), nullable=False, index=True),
    Column("recorded_at", String(40), nullable=False, index=True),
    Column("actor_id", String(200), nullable=False, index=True),
    Column("actor_role", String(40), nullable=False),
    Column("actor_city_id", String(36), nullable=True, index=True),
    Column("correlation_id", String(100), nullable=False),
    Column("causation_id", String(100), nullable=False),
    Column("command", String(60), nullable=False),
    Column("data", Text, nullable=False),  # JSON
)

READ_MODEL_TABLES += [event_log]

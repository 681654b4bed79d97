"""Read-model tables. One definition serves SQLite and PostgreSQL.

Every row is derived from events only (ids, effective dates, event positions),
never from the clock at projection time, so a rebuild from position 0 gives
identical rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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

# Where each projection has got to in the event log (a notification id).
projection_positions = Table(
    "rm_projection_positions",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

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

READ_MODEL_TABLES = [cities, networks, commissions, commission_members, memberships, membership_periods]

"""Bearer JWT authentication with Litestar's JWT support.

HS256 with a shared secret for development; RS256 or ES256 with configured
public keys for production. Issuer, audience and expiry are always checked.
Claims: ``sub`` (the actor id), ``role``, ``city`` (a city UUID, for city
representatives), ``networks`` (network UUIDs, for coordinators).

A request without a token acts as ``anonymous``; a request with a bad token
is refused (401) rather than silently downgraded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import Token

from citynet.services.attribution import ANONYMOUS, Actor
from citynet.services.authz import Role

DEV_SECRET = "citynet-development-secret-do-not-use-in-production"  # noqa: S105 - the known dev default
ASYMMETRIC = ("RS256", "ES256")
SUPPORTED = ("HS256", *ASYMMETRIC)
ASSIGNABLE_ROLES = tuple(r.value for r in Role if r not in (Role.ANONYMOUS, Role.SYSTEM))


class AuthError(NotAuthorizedException):
    pass


def read_key(value: str) -> str:
    """A PEM given inline, or the path of a file holding it."""
    if not value or value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).expanduser().read_text()


@dataclass(frozen=True)
class TokenConfig:
    algorithm: str
    secret: str  # HS256
    public_key: str  # RS256/ES256: verifies
    private_key: str  # RS256/ES256: mints (development tooling only)
    issuer: str
    audience: str

    @property
    def verifying_key(self) -> str:
        return read_key(self.public_key) if self.algorithm in ASYMMETRIC else self.secret

    @property
    def signing_key(self) -> str:
        return read_key(self.private_key) if self.algorithm in ASYMMETRIC else self.secret


def actor_from_header(header: str | None, config: TokenConfig) -> Actor:
    if not header:
        return ANONYMOUS
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("Authorization must be 'Bearer <token>'")
    return actor_from_token(value.strip(), config)


def actor_from_token(encoded: str, config: TokenConfig) -> Actor:
    try:
        token = Token.decode(encoded, config.verifying_key, config.algorithm, audience=config.audience,
                             issuer=config.issuer, require_claims=["iss", "aud"])
    except NotAuthorizedException as e:  # bad signature, expired, wrong issuer or audience
        raise AuthError(str(e.detail)) from None
    role = str(token.extras.get("role", ""))
    if role not in ASSIGNABLE_ROLES:
        raise AuthError(f"token role must be one of {', '.join(ASSIGNABLE_ROLES)}")
    city = token.extras.get("city")
    networks = token.extras.get("networks") or []
    try:
        city_id = str(UUID(str(city))) if city else None
        network_ids = tuple(str(UUID(str(n))) for n in networks)
    except ValueError:
        raise AuthError("token city and networks must be UUIDs") from None
    if role == Role.CITY_REPRESENTATIVE.value and city_id is None:
        raise AuthError("a city representative's token names its city")
    if role == Role.COORDINATOR.value and not network_ids:
        raise AuthError("a coordinator's token names its networks")
    return Actor(token.sub, role, city_id, network_ids)


def mint(config: TokenConfig, *, subject: str, role: str, city_id: str | None = None,
         network_ids: tuple[str, ...] = (), minutes: int = 60) -> str:
    extras: dict[str, Any] = {"role": role}
    if city_id:
        extras["city"] = city_id
    if network_ids:
        extras["networks"] = list(network_ids)
    token = Token(exp=datetime.now(timezone.utc) + timedelta(minutes=minutes), sub=subject, iss=config.issuer,
                  aud=config.audience, extras=extras)
    return token.encode(config.signing_key, config.algorithm)

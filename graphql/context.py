"""The request context: the service layer and this request's DataLoaders."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.litestar import BaseContext

from citynet.graphql.loaders import Loaders
from citynet.services.attribution import ANONYMOUS, Actor
from citynet.services.readmodel.visibility import VisibleReads
from citynet.services.runtime import Citynet


class Context(BaseContext, kw_only=True):
    citynet: Any  # Citynet; typed as Any so msgspec need not know the class
    loaders: Any  # Loaders
    actor: Any = ANONYMOUS  # services.attribution.Actor: who this request acts as
    connection_params: Any = None  # WebSocket connection_init payload (carries the token)
    languages: tuple[str, ...] = ()  # from Accept-Language, best first (graphql/translations.py)
    live_stream: Any = None  # infra.live_http.LiveHTTPStream of a Server-Sent Events subscription
    # Live updates (WebSocket, Server-Sent Events): the caller's rate-limit budget, shared with HTTP, for work
    # beyond the operation itself (e.g. replayed messages): ``await live_budget.take_up_to(n)`` grants up to n
    # units and returns how many. None elsewhere and when there is no rate limit (infra/operation_budget.py).
    live_budget: Any = None

    @property
    def services(self) -> Citynet:
        return self.citynet  # type: ignore[no-any-return]

    @property
    def load(self) -> Loaders:
        return self.loaders  # type: ignore[no-any-return]

    @property
    def reads(self) -> VisibleReads:
        """The read model as this request's actor may see it: every query goes through here."""
        return self.loaders.visible  # type: ignore[no-any-return]


def make_context(citynet: Citynet, actor: Actor = ANONYMOUS, languages: tuple[str, ...] = ()) -> Context:
    return Context(citynet=citynet, loaders=Loaders(VisibleReads(citynet.reads, actor, citynet.clock)), actor=actor,
                   languages=languages)


Info = strawberry.Info[Context, None]

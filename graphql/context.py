"""The request context: the service layer and this request's DataLoaders."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.litestar import BaseContext

from citynet.graphql.loaders import Loaders
from citynet.services.runtime import Citynet


class Context(BaseContext, kw_only=True):
    citynet: Any  # Citynet; typed as Any so msgspec need not know the class
    loaders: Any  # Loaders

    @property
    def services(self) -> Citynet:
        return self.citynet  # type: ignore[no-any-return]

    @property
    def load(self) -> Loaders:
        return self.loaders  # type: ignore[no-any-return]


def make_context(citynet: Citynet) -> Context:
    return Context(citynet=citynet, loaders=Loaders(citynet.reads))


Info = strawberry.Info[Context, None]

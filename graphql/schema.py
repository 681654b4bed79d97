"""The schema and its guards. The SDL is exported to schema.graphql beside this file."""

from __future__ import annotations

import logging
from functools import partial
from collections.abc import AsyncGenerator
from typing import Any
from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import PreExecutionError

from citynet.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from citynet.services.live import SlowConsumer
from citynet.graphql.cost import DEFAULT_MAX_COST, cost_limit_rule
from citynet.graphql.errors import ERROR_TYPES
from citynet.graphql.execution import DocumentValidationCache, LeafFastExecutor
from citynet.graphql.text_input import QueryTextGuard
from strawberry.tools import merge_types

from citynet.graphql.mutations import Mutation as DirectoryMutations
from citynet.graphql.workshop_mutations import WorkshopMutations
from citynet.graphql.agreement_mutations import AgreementMutations
from citynet.graphql.agreement_queries import AgreementQuery
from citynet.graphql.project_mutations import ProjectMutations
from citynet.graphql.project_queries import ProjectQuery
from citynet.graphql.project_types import Partnership, Project
from citynet.graphql.audit import AuditQuery, AuditRecord
from citynet.graphql.agreement_types import ActionPlan, Declaration, Protocol
from citynet.graphql.projections import ProjectionsQuery, ReadModelFreshness
from citynet.graphql.queries import Query
from citynet.graphql.translation_mutations import TranslationMutations
from citynet.graphql.translations import TranslationQuery
from citynet.graphql.subscriptions import Subscription
from citynet.graphql.types import City, Commission, Network, Organisation
from citynet.graphql.workshop_types import Person, Registration, Session, Workshop

log = logging.getLogger(__name__)

SDL_PATH = Path(__file__).with_name("schema.graphql")


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not isinstance(original, (DomainError, SlowConsumer))


def _domain_extensions(error: DomainError) -> dict[str, object]:
    if isinstance(error, InvalidInput):
        return {"code": "BAD_USER_INPUT", "field": error.field}
    if isinstance(error, NotAllowed):
        return {"code": "FORBIDDEN", "permission": error.permission}
    extensions: dict[str, object] = {"code": "NOT_FOUND" if isinstance(error, NotFound) else type(error).__name__.upper()}
    if getattr(error, "field", None):
        extensions["field"] = error.field  # type: ignore[attr-defined]
    return extensions


class ErrorPolicy(MaskErrors):
    """Domain errors pass through with a code (and the field they are about);
    anything unexpected is logged here and shown only as "Internal server
    error": no stack traces, no SQL."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Internal server error")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        for error in errors:
            if isinstance(error.original_error, DomainError):
                error.extensions = {**(error.extensions or {}), **_domain_extensions(error.original_error)}
            elif isinstance(error.original_error, SlowConsumer):  # a live subscriber fell behind: resume with after
                error.extensions = {**(error.extensions or {}), "code": "SLOW_CONSUMER"}
        return super()._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error("unexpected error at %s", error.path, exc_info=error.original_error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


class CitynetSchema(strawberry.Schema):
    """Client mistakes (syntax, validation, typed domain errors) are answers, not server faults:
    they are logged at debug level; everything else (already masked for the client, and logged
    with its traceback by ErrorPolicy) is left to that policy.

    One gap is closed here: an exception raised by an extension before execution (no result yet)
    reaches the client after ErrorPolicy has run, so it is masked and logged here instead."""

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """As strawberry's, except that an error raised while the document is parsed (the token limit,
        raised by the parser-cache hook) is answered as a pre-execution error, as ``execute`` does, instead
        of breaking the WebSocket operation or the event stream."""
        source = await super().stream(*args, **kwargs)

        async def guarded() -> AsyncGenerator[Any, None]:
            started = False
            try:
                async for result in source:
                    started = True
                    yield result
            except GraphQLError as error:
                if started:
                    raise
                self.process_errors([error])
                yield PreExecutionError(data=None, errors=[error])
            finally:
                await source.aclose()

        return guarded()

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        before_execution = execution_context is None or getattr(execution_context, "result", None) is None
        for error in errors:
            if before_execution and _is_unexpected(error):
                log.error("unexpected error before execution", exc_info=error.original_error)
                error.message = "Internal server error"
                error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
            else:
                log.debug("graphql error answered: %s", error.message)


def build_schema(
    max_depth: int = 10,
    max_aliases: int = 15,
    max_tokens: int = 2000,
    max_cost: int = DEFAULT_MAX_COST,
    introspection: bool = True,
    field_suggestions: bool = True,
) -> strawberry.Schema:
    # Limits are built once as validation rules and added per request, so the
    # validation cache still hits. Extensions are factories: one instance per
    # request, never shared state between requests.
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        cost_limit_rule(max_cost),
    ]
    extensions: list = [
        partial(ParserCache, maxsize=256),
        partial(DocumentValidationCache, maxsize=256),
        partial(AddValidationRules, rules),
        partial(MaxTokensLimiter, max_token_count=max_tokens),
        QueryTextGuard,
        ErrorPolicy,
        ReadModelFreshness,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return CitynetSchema(
        query=merge_types("Query", (Query, AgreementQuery, ProjectQuery, AuditQuery, ProjectionsQuery, TranslationQuery)),
        mutation=merge_types("Mutation", (DirectoryMutations, WorkshopMutations, AgreementMutations, ProjectMutations,
                                             TranslationMutations)),
        subscription=Subscription,
        types=[City, Network, Commission, Organisation, Workshop, Session, Registration, Person, ActionPlan, Protocol,
               Declaration, Project, Partnership, AuditRecord, *ERROR_TYPES],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=not field_suggestions),
        execution_context_class=LeafFastExecutor,  # plain leaves in one step (graphql/execution.py)
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"

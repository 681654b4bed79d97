"""Per-request costs of GraphQL execution cut where they do not depend on the request.

Field execution without per-field machinery for plain leaves (``LeafFastExecutor``), and validation
once per parsed document (``DocumentValidationCache``, at the end).


A read like "networks with their members" is mostly leaves read straight off an object: `id`,
`name`, `role`, `memberSince` (100 of its 143 fields). For each, graphql-core builds a path, strawberry
builds a resolve info, calls its basic-field wrapper, which calls `getattr`, and graphql-core then
completes the value through the non-null and leaf branches: a few microseconds of bookkeeping around
one attribute read.

`LeafFastExecutor` does the same for such fields in one step: when a field has strawberry's
default resolver (no resolver, no field extension, no permission, no argument) and a scalar or
enum type, and no schema extension wraps resolvers, it reads the attribute and coerces it with the
type's own `coerce_output_value`, exactly what graphql-core would do. Anything else — a value that
is null where the type says non-null, a failed coercion, an exception, any other field — goes
through graphql-core's own `execute_field`, so errors, their paths and null propagation are
graphql-core's. The fields' order in the response is kept.

Subscribers that would be sent the same message share one execution (``render_key``, below): 500
subscribers of one workshop each ran their own selection set on the same update, about 0.3 ms each,
so the last of them got the update some 150 ms after the first.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, ClassVar

from graphql import ExecutionResult, GraphQLObjectType, is_leaf_type, is_non_null_type
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document

_PLANS = "_citynet_leaf_plans"
_NOT_PLAIN = None


def _plan(schema: Any, parent_type: GraphQLObjectType, field_name: str) -> tuple[str, Any, bool] | None:
    """(attribute, coerce, non_null) of a plain leaf field, else None."""
    field_def = schema.get_field(parent_type, field_name)
    if field_def is None or field_def.args:
        return _NOT_PLAIN
    resolve = field_def.resolve
    if resolve is None or not getattr(resolve, "_is_default", False):
        return _NOT_PLAIN  # a resolver, an extension, a permission or an exception handler
    definition = (field_def.extensions or {}).get("strawberry-definition")
    if definition is None or definition.base_resolver is not None or definition.extensions \
            or definition.default_resolver is not getattr:
        return _NOT_PLAIN
    field_type = field_def.type
    non_null = is_non_null_type(field_type)
    named = field_type.of_type if non_null else field_type
    if not is_leaf_type(named):
        return _NOT_PLAIN
    return definition.python_name, named.coerce_output_value, non_null


RENDER_KEY = "render_key"  # set by a subscription on an update every subscriber like it is shown alike
# Per service (a process may serve two databases, whose positions coincide) and event loop.
_renders: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], asyncio.Future[Any]]] = weakref.WeakKeyDictionary()
_KEPT_RENDERS = 256


class LeafFastExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        """A subscription event whose payload carries a render key (graphql/subscriptions.py: the update,
        its event, and everything that decides what its subscriber is shown: visibility and languages)
        is executed once for every subscriber with the same operation text and variables."""
        share = getattr(self.root_value, RENDER_KEY, None)
        loc = self.operation.loc
        service = getattr(self.context_value, "citynet", None)
        if share is None or loc is None or service is None:
            return super().execute_operation(serially)
        name = self.operation.name.value if self.operation.name else None
        key = (id(asyncio.get_running_loop()), share, loc.source.body, name,
               json.dumps(self.variable_values, sort_keys=True, default=str))
        return self._shared(_renders.setdefault(service, OrderedDict()), key, serially)

    async def _shared(self, renders: OrderedDict[tuple[Any, ...], asyncio.Future[Any]], key: tuple[Any, ...],
                      serially: bool | None) -> ExecutionResult:
        render = renders.get(key)
        if render is None:
            render = renders[key] = asyncio.ensure_future(self._render(serially))
            while len(renders) > _KEPT_RENDERS:
                renders.popitem(last=False)
        # Shielded: a subscriber that leaves while the first render runs does not cancel it for the others.
        result = await asyncio.shield(render)
        # Each subscriber gets its own result object around the shared data (handlers may set extensions).
        return ExecutionResult(result.data, result.errors, dict(result.extensions) if result.extensions else None)

    async def _render(self, serially: bool | None) -> Any:
        result = super().execute_operation(serially)
        return await result if self.is_awaitable(result) else result

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plans = parent_type.__dict__.get(_PLANS)
        if plans is None:
            plans = {}
            setattr(parent_type, _PLANS, plans)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                first = field_details_list[0].node
                field_name = first.name.value
                plan = plans.get(field_name, Undefined)
                if plan is Undefined:
                    plan = plans[field_name] = _plan(self.schema, parent_type, field_name)
                if plan is not None and not first.arguments:
                    attribute, coerce, non_null = plan
                    try:
                        value = getattr(source_value, attribute)
                        if value is None:
                            if not non_null:
                                results[response_name] = None
                                continue
                        else:
                            coerced = coerce(value)
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    except Exception:  # noqa: BLE001 - graphql-core's path below reports it as it would
                        pass
                result = self.execute_field(parent_type, source_value, field_details_list,
                                            Path(path, response_name, parent_type.name), position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()


class DocumentValidationCache(SchemaExtension):
    """Validation (the cost, depth and alias limits included: they are validation rules) once per
    parsed document.

    strawberry's ``ValidationCache`` keys an ``lru_cache`` on the document's AST, and graphql-core
    3.3's AST nodes hash by walking their whole tree: every request hashed its document again,
    ~1,300 node hashes for "networks with their members". Here the key is the query text (whose
    hash Python keeps) with the schema and the rules, and an entry counts only for the very
    document object it was made for (``ParserCache`` hands out the same object for the same text;
    a re-parsed document is validated again). Bounded (``maxsize``, least recently used out)."""

    _entries: ClassVar[OrderedDict[tuple[Any, ...], tuple[Any, list[Any]]]] = OrderedDict()

    def __init__(self, maxsize: int = 256) -> None:
        super().__init__()
        self.maxsize = maxsize

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        key = (context.schema, context.query, tuple(context.validation_rules))
        entries = self._entries
        found = entries.get(key)
        if found is not None and found[0] is document:
            entries.move_to_end(key)
            errors = found[1]
        else:
            errors = validate_document(context.schema._schema, document, context.validation_rules)
            entries[key] = (document, errors)
            if len(entries) > self.maxsize:
                entries.popitem(last=False)
        context.pre_execution_errors = errors
        yield

"""Text arguments of queries and subscriptions are checked once, before any resolver runs.

A NUL in a filter used to reach PostgreSQL (which cannot hold it in text) and
answer 500. Every string in an argument literal or a variable is refused when it
holds a C0/C1 control character (tab and newline included: no query argument is
multi-line) or a lone surrogate, with a ``BAD_USER_INPUT`` error naming the
argument (``filter.topic``); the operation is not executed. Strings that are not
NFC are normalised to NFC, so "Liepāja" matches however it was typed.

Mutations are left to the domain's value objects, which answer the mutation's
typed ``InvalidInput`` (docs/decisions/012-api-contract-http.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension


class BadText(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def text_problem(value: str) -> str | None:
    for char in value:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return f"contains the control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return f"contains a lone surrogate U+{code:04X}"
    return None


def clean(value: str, field: str) -> str:
    """The NFC form of ``value``, or BadText naming ``field``."""
    problem = text_problem(value)
    if problem:
        raise BadText(field, problem)
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def _arguments(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
               seen: set[str]) -> Iterator[ArgumentNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield from selection.arguments or ()
            yield from _arguments(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            yield from _arguments(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _arguments(fragment.selection_set, fragments, seen)


def _check_literal(node: ValueNode, field: str, variables: dict[str, str]) -> bool:
    """Whether the literal holds text to normalise; BadText when it holds text to refuse.
    (Lists, not generators, in any(): every item is checked, not only up to the first to normalise.)"""
    if isinstance(node, StringValueNode):
        return clean(node.value, field) != node.value
    if isinstance(node, ListValueNode):
        return any([_check_literal(item, field, variables) for item in node.values])
    if isinstance(node, ObjectValueNode):
        return any([_check_literal(entry.value, f"{field}.{entry.name.value}", variables) for entry in node.fields])
    if isinstance(node, VariableNode):
        variables.setdefault(node.name.value, field)
    return False


class _NFC(Visitor):
    def enter_string_value(self, node: StringValueNode, *_: Any) -> StringValueNode | None:
        normal = unicodedata.normalize("NFC", node.value)
        return None if normal == node.value else StringValueNode(value=normal, block=node.block)


def _check_value(value: Any, field: str) -> Any:
    if isinstance(value, str):
        return clean(value, field)
    if isinstance(value, list):
        return [_check_value(item, field) for item in value]
    if isinstance(value, dict):
        return {key: _check_value(item, f"{field}.{key}") for key, item in value.items()}
    return value


def check_operation(document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any] | None
                    ) -> tuple[DocumentNode, dict[str, Any] | None]:
    """The document and variables with their text in NFC, or BadText naming the argument a bad string was given for."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    fed: dict[str, str] = {}  # variable name -> the argument it is given to
    denormal = False
    for argument in _arguments(operation.selection_set, fragments, set()):
        denormal |= _check_literal(argument.value, argument.name.value, fed)
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            denormal |= _check_literal(definition.default_value, f"${definition.variable.name.value}", {})
    if denormal:  # rare: a normalised copy, since the parsed document is cached, shared and frozen
        document = visit(document, _NFC())
    if variables:
        variables = {name: _check_value(value, fed.get(name, f"${name}")) for name, value in variables.items()}
    return document, variables


class QueryTextGuard(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if operation is not None and operation.operation is not OperationType.MUTATION:
            try:
                checked = check_operation(document, operation, context.variables)  # type: ignore[arg-type]
                context.graphql_document, context.variables = checked
            except BadText as e:
                error = GraphQLError(str(e), extensions={"code": "BAD_USER_INPUT", "field": e.field})
                if operation.operation is OperationType.SUBSCRIPTION:
                    raise error from None  # strawberry's subscribe() ignores a preset result
                context.result = ExecutionResult(data=None, errors=[error])
        yield

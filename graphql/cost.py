"""The cost limit: every operation is priced from its shape before it runs.

The price depends on the document only, never on the data, so it is computed
once by a validation rule and cached with the rest of validation. The formula
(docs/decisions/012-api-contract-http.md):

    cost(selection set) = sum of cost(field) over its fields (fragments included)
    cost(field)         = 0                                  scalars, enums, __typename, introspection
                        = 1 + size(field) * cost(children)   objects, lists, connections

    size(connection field) = its `first`/`last` literal; MAX_PAGE_SIZE when a
                             variable gives it (whatever its default: the value
                             sent may be anything up to the maximum);
                             without either, DEFAULT_PAGE_SIZE
    size(plain list)       = LIST_SIZES[Type.field], else DEFAULT_LIST_SIZE
    size(anything else)    = 1

`edges`/`nodes` inside a connection are already counted by the connection's
size. Alternatives of an abstract type are summed, which over-estimates.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLInterfaceType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
)

from citynet.services.readmodel.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

DEFAULT_MAX_COST = 25_000
DEFAULT_LIST_SIZE = 10
# Plain lists that grow with use (not with the schema): priced like a full page.
LIST_SIZES: dict[str, int] = {
    # Lists that grow with use (a review found these priced as short lists).
    "Action.updates": MAX_PAGE_SIZE,
    "ActionPlan.versions": MAX_PAGE_SIZE,
    "Protocol.versions": MAX_PAGE_SIZE,
    "Declaration.versions": MAX_PAGE_SIZE,
    "AgreementVersion.actions": MAX_PAGE_SIZE,
    "AgreementVersion.steps": MAX_PAGE_SIZE,
    "Person.registrations": MAX_PAGE_SIZE,
    "City.memberships": MAX_PAGE_SIZE,
    "Workshop.sessions": MAX_PAGE_SIZE,
    "Workshop.days": MAX_PAGE_SIZE,
    "Workshop.waitlist": MAX_PAGE_SIZE,
    "Workshop.overlappingWorkshops": MAX_PAGE_SIZE,
    "Network.membersOn": MAX_PAGE_SIZE,
    "Network.membershipHistory": MAX_PAGE_SIZE,
    "City.membershipHistory": MAX_PAGE_SIZE,
    "Query.owedActions": MAX_PAGE_SIZE,
    "Query.aggregateHistory": MAX_PAGE_SIZE,
    "Project.partners": MAX_PAGE_SIZE,
    "Project.gatherings": MAX_PAGE_SIZE,
    "AuditRecord.history": MAX_PAGE_SIZE,
}
PAGE_ARGUMENTS = ("first", "last")


def _is_connection(type_: GraphQLNamedType) -> bool:
    return type_.name.endswith("Connection")


class _Pricer:
    def __init__(self, context: ValidationContext, operation: OperationDefinitionNode) -> None:
        self.context = context
        self.variable_defaults = {
            v.variable.name.value: v.default_value for v in operation.variable_definitions or ()
        }

    def selection_set(self, node: SelectionSetNode | None, parent: GraphQLNamedType, in_connection: bool,
                      fragments: frozenset[str]) -> int:
        if node is None:
            return 0
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, in_connection, fragments)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.context.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, target or parent, in_connection, fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in fragments:  # unknown or cyclic: other rules report it
                    continue
                target = self.context.schema.get_type(fragment.type_condition.name.value) or parent
                total += self.selection_set(fragment.selection_set, target, in_connection, fragments | {name})
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType, in_connection: bool, fragments: frozenset[str]) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if node.selection_set is None:
            return 0
        if _is_connection(named):
            size = self._page_size(node)
        elif isinstance(get_nullable_type(definition.type), GraphQLList) and not in_connection:
            size = LIST_SIZES.get(f"{parent.name}.{name}", DEFAULT_LIST_SIZE)
        else:
            size = 1
        children = self.selection_set(node.selection_set, named, _is_connection(named), fragments)
        return 1 + size * children

    def _page_size(self, node: FieldNode) -> int:
        sizes = []
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value: Any = argument.value
            if isinstance(value, VariableNode):
                # Priced before variables are known, and a variable may carry any value up to the
                # maximum page size whatever its default says: price the maximum.
                sizes.append(MAX_PAGE_SIZE)
                continue
            sizes.append(int(value.value) if isinstance(value, IntValueNode) else DEFAULT_PAGE_SIZE)
        # A page is never priced below nothing nor above the largest page served: a negative literal
        # made the whole operation's cost negative (and let its siblings run unpriced).
        return min(max(max(sizes), 0), MAX_PAGE_SIZE) if sizes else DEFAULT_PAGE_SIZE


def operation_cost(context: ValidationContext, operation: OperationDefinitionNode) -> int:
    root = context.schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Pricer(context, operation).selection_set(operation.selection_set, root, False, frozenset())


def cost_limit_rule(max_cost: int) -> type[ValidationRule]:
    """A validation rule refusing operations that cost more than ``max_cost``."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = operation_cost(self.context, node)
            if cost > max_cost:
                self.report_error(GraphQLError(
                    f"Operation costs {cost}, more than the limit of {max_cost}: ask for smaller pages"
                    " (first/last) or fewer nested lists.",
                    node,
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": max_cost},
                ))

    return CostLimit

"""Each mutation answers its own union; a fragment on a type outside it is a validation error.

Test helpers that share one selection across mutations keep only the
fragments each mutation can answer, as a client generating its queries from
the schema would.
"""

from __future__ import annotations

import re
from functools import lru_cache

from citynet.graphql.schema import build_schema


@lru_cache(maxsize=None)
def union_members(mutation: str) -> frozenset[str]:
    field_type = build_schema()._schema.mutation_type.fields[mutation].type
    while hasattr(field_type, "of_type"):
        field_type = field_type.of_type
    return frozenset(t.name for t in field_type.types)


def possible(mutation: str, selection: str) -> str:
    """``selection`` without the ``... on T { }`` fragments whose T the mutation never answers."""
    members = union_members(mutation) | {"UserError"}
    out, i = [], 0
    for match in re.finditer(r"\.\.\. on (\w+) \{", selection):
        if match.start() < i:
            continue  # nested inside a fragment already copied or dropped
        depth, j = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(selection[j], 0)
            j += 1
        out.append(selection[i:match.start()])
        if match.group(1) in members:
            out.append(selection[match.start():j])
        i = j
    out.append(selection[i:])
    return "".join(out)

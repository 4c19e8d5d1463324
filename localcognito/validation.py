"""Checks Cognito makes on a request's shape before doing anything, read from botocore's model.

moto assumes well-formed input: a missing or mistyped parameter makes it fail with a server
error (or worse, with an answer). Cognito answers a client error instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.model import Shape, StructureShape

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
    "list": (list,),
    "structure": (dict,),
    "map": (dict,),
}


@cache
def _input_shape(operation: str) -> StructureShape | None:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation).input_shape


def missing_required_parameters(operation: str, params: Any) -> list[str]:
    """The top-level members the service model requires that ``params`` lacks."""
    shape = _input_shape(operation)
    if shape is None:
        return []
    given = params if isinstance(params, dict) else {}
    return [name for name in shape.required_members if given.get(name) is None]


def mistyped_parameter(operation: str, params: Any) -> str | None:
    """Why ``params`` cannot be read as this operation's input (top level only), or None."""
    if not isinstance(params, dict):
        return (
            "Start of list found where not expected"
            if isinstance(params, list)
            else ("Expected a JSON object")
        )
    shape = _input_shape(operation)
    if shape is None:
        return None
    for name, value in params.items():
        member = shape.members.get(name)
        if member is not None and value is not None and not _has_type(value, member):
            return f"Value for '{name}' is not a {member.type_name}"
    return None


def _has_type(value: Any, shape: Shape) -> bool:
    expected = JSON_TYPES.get(shape.type_name, (object,))
    if isinstance(value, bool) and bool not in expected:
        return False
    return isinstance(value, expected)


def null_message(missing: list[str]) -> str:
    """Cognito's wording for required members that were not sent."""
    details = "; ".join(
        f"Value null at '{name[:1].lower()}{name[1:]}' failed to satisfy constraint: "
        "Member must not be null"
        for name in missing
    )
    count = len(missing)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {details}"

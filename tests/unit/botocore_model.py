"""What botocore's own service model says about the operations the portal calls."""

from __future__ import annotations

from functools import cache

import boto3
import botocore
from botocore.config import Config

from app.cognito import OPERATIONS


@cache
def model_error_codes() -> dict[str, tuple[str, ...]]:
    """Every error shape botocore lists for each operation in ``app.cognito.OPERATIONS``."""
    client = boto3.session.Session().client(
        "cognito-idp", region_name="us-east-1", config=Config(signature_version=botocore.UNSIGNED)
    )
    model = client.meta.service_model
    return {
        operation: tuple(shape.name for shape in model.operation_model(operation).error_shapes)
        for operation in OPERATIONS
    }


def operation_errors() -> list[tuple[str, str]]:
    """``(operation, error code)`` for every modelled error of every operation."""
    return [(operation, code) for operation, codes in model_error_codes().items() for code in codes]

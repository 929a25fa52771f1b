"""Optional flow parameters as the Prefect UI's run form should show them.

Prefect derives each deployment's form from the flow signature; ``str | None = None`` becomes a JSON-schema
``anyOf`` of a string and ``null``, which the form shows as a type switch whose ``None`` side reads
'Property is type "None"'. These aliases keep the Python type (None still means "not given") but publish
only the useful type, so the form shows one plain, optional field; left empty, the default None applies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import WithJsonSchema

_TEXT = {"type": "string"}
_TEXT_LIST = {"type": "array", "items": {"type": "string"}}

OptionalText = Annotated[str | None, WithJsonSchema(_TEXT)]
OptionalTextList = Annotated[list[str] | None, WithJsonSchema(_TEXT_LIST)]
OptionalInt = Annotated[int | None, WithJsonSchema({"type": "integer"})]
OptionalTime = Annotated[datetime | None, WithJsonSchema({"type": "string", "format": "date-time"})]
OptionalDocuments = Annotated[
    dict[str, str | list[str]] | None,
    WithJsonSchema({"type": "object", "additionalProperties": {"anyOf": [_TEXT, _TEXT_LIST]}}),
]
# A list of sign-off objects, or the path of a file holding them (no None side in the form).
OptionalSignoffs = Annotated[
    list[dict[str, Any]] | str | None,
    WithJsonSchema({"anyOf": [_TEXT, {"type": "array", "items": {"type": "object"}}]}),
]

"""A client API request checked against the OpenAPI document (`cases.openapi`), which is thus the truth.

Each problem names its field (`invoices[2].due_date`, a parameter, or `body`), the invoice's line where
there is one, a stable code and the reason in words. The checker reads the few JSON Schema keywords the
document uses; a keyword it does not know is an error of ours, raised rather than silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cases.openapi import BASE64, NO_NUL

# Annotations, which refuse nothing.
_ANNOTATIONS = frozenset({"description", "format", "contentEncoding", "contentMediaType"})
_CHECKED = frozenset({"$ref", "oneOf", "type", "enum", "minLength", "maxLength", "pattern", "items", "minItems",
                      "properties", "required", "additionalProperties"})
_TYPES = {"string": str, "boolean": bool, "array": list, "object": dict}
_TYPE_WORDS = {"string": _l("text (a JSON string)"), "boolean": _l("true or false"), "array": _l("a list"),
               "object": _l("an object")}
# A problem list stops here: a body of 100,000 broken invoices is answered in a readable size.
MAX_PROBLEMS = 100
# Invoices become CSV rows under a header line: their line numbers are those of the rejections.
FIRST_INVOICE_LINE = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One field refused: where (`path`, from the body or a parameter), a stable code and the reason."""

    path: tuple[str | int, ...]
    code: str
    reason: str

    @property
    def field(self) -> str:
        if not self.path:
            return "body"
        text = str(self.path[0])
        for part in self.path[1:]:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text

    def as_json(self) -> dict:
        data = {"field": self.field, "code": self.code, "reason": self.reason}
        if len(self.path) > 1 and self.path[0] == "invoices" and isinstance(self.path[1], int):
            data["line"] = self.path[1] + FIRST_INVOICE_LINE
        return data


class InvalidRequest(ValueError):
    """The request is not one the document describes; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


def nul_problem(path: tuple[str | int, ...]) -> Problem:
    """A text holding NUL, which PostgreSQL cannot store (psycopg refuses to send it)."""
    return Problem(path, "nul_character", _("Contains a NUL character (\\u0000), which cannot be stored."))


def check_request(document: dict, path: str, method: str, *, args: Mapping, path_args: Mapping,
                  body: object = None, media_type: str | None = None) -> None:
    """Raise InvalidRequest unless the parameters (and the body, when given) are as the document says."""
    operation = document["paths"][path][method]
    problems: list[Problem] = []
    # A parameter the document does not name is refused, not ignored: a misspelt `dry_run` must not import for real.
    known = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    problems.extend(Problem((name,), "unknown", _("This parameter is not one this request takes."))
                    for name in sorted(set(args) - known))
    for parameter in operation.get("parameters", []):
        name, schema = parameter["name"], parameter["schema"]
        values = [path_args[name]] if parameter["in"] == "path" else args.getlist(name)
        if not values and parameter.get("required"):
            problems.append(Problem((name,), "missing", _("This value is required.")))
        for value in values:
            problems.extend(check(schema, value, document, (name,)))
    if media_type is not None:
        schema = operation["requestBody"]["content"][media_type]["schema"]
        problems.extend(check(schema, body, document, ()))
    if problems:
        raise InvalidRequest(problems[:MAX_PROBLEMS])


def check(schema: dict, value: object, document: dict, path: tuple = ()) -> Iterator[Problem]:
    """Yield what is wrong with `value` under `schema` (whose references point into `document`)."""
    if "$ref" in schema:
        schema = _resolve(schema["$ref"], document)
    unknown = set(schema) - _CHECKED - _ANNOTATIONS
    if unknown:
        raise ValueError(f"the API checker does not know the keywords {sorted(unknown)}")
    if "oneOf" in schema:
        yield from _one_of(schema["oneOf"], value, document, path)
        return
    expected = schema.get("type")
    if expected is not None and not _has_type(value, expected):
        yield Problem(path, "wrong_type", _("Must be %(type)s.", type=_TYPE_WORDS[expected]))
        return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(str(v) for v in schema["enum"])
        yield Problem(path, "not_allowed", _("Must be one of: %(values)s.", values=allowed))
    elif isinstance(value, str):
        yield from _string(schema, value, path)
    elif isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield Problem(path, "missing", _("This value is required."))
        for index, item in enumerate(value):
            yield from check(schema.get("items", {}), item, document, (*path, index))
    elif isinstance(value, dict):
        yield from _object(schema, value, document, path)


def _has_type(value: object, expected: str) -> bool:
    return isinstance(value, _TYPES[expected])


def _resolve(reference: str, document: dict) -> dict:
    target = document
    for part in reference.removeprefix("#/").split("/"):
        target = target[part]
    return target


def _one_of(branches: list[dict], value: object, document: dict, path: tuple) -> Iterator[Problem]:
    """Check against the one branch whose required properties the value has.

    The document's alternatives are objects that each require a property the others forbid, so the
    branch an object can match is told by its keys, and its own problems are the precise ones.
    """
    resolved = [_resolve(b["$ref"], document) if "$ref" in b else b for b in branches]
    if not isinstance(value, dict):
        yield Problem(path, "wrong_type", _("Must be %(type)s.", type=_TYPE_WORDS["object"]))
        return
    candidates = [b for b in resolved if all(key in value for key in b.get("required", []))]
    if len(candidates) != 1:
        names = ", ".join(key for b in resolved for key in b.get("required", []))
        yield Problem(path, "one_of", _("Send exactly one of: %(fields)s.", fields=names))
        return
    yield from check(candidates[0], value, document, path)


def _object(schema: dict, value: dict, document: dict, path: tuple) -> Iterator[Problem]:
    properties = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in value:
            yield Problem((*path, key), "missing", _("This value is required."))
    for key, item in value.items():
        if key in properties:
            yield from check(properties[key], item, document, (*path, key))
        elif schema.get("additionalProperties", True) is False:
            yield Problem((*path, key), "unknown_field", _("Unknown field."))


def _string(schema: dict, value: str, path: tuple) -> Iterator[Problem]:
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"), which JSON lets through and UTF-8 cannot hold
        yield Problem(path, "invalid_text", _("Not valid Unicode text."))
        return
    if len(value) < schema.get("minLength", 0):
        yield Problem(path, "missing", _("This value is required."))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield Problem(path, "too_long", _("Too long: at most %(limit)s characters.", limit=schema["maxLength"]))
    pattern = schema.get("pattern")
    if pattern is not None and not _compiled(pattern).search(value):
        if pattern == NO_NUL:
            yield nul_problem(path)
        elif pattern == BASE64:
            yield Problem(path, "not_base64", _("Not valid base64."))
        else:
            yield Problem(path, "invalid_format", _("Not in the expected format."))


@lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern:
    # A closing "$" is the end of the text in the document's (ECMAScript) reading; Python's would also
    # match before a final newline.
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)

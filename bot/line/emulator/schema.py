"""JSON Schema validation against LINE's vendored OpenAPI specs, with discriminators resolved by hand."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

SPEC_DIR = Path(__file__).parent / "spec"
BASE = "__base"
PREFIX = "#/components/schemas/"


@functools.cache
def _components(filename: str) -> dict:
    with (SPEC_DIR / filename).open(encoding="utf-8") as f:
        doc = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (safe loaders only)
    return compile_schemas(doc["components"]["schemas"])


def compile_schemas(schemas: dict) -> dict:
    """OpenAPI 3.0 component schemas → JSON Schema 2020-12, each discriminator replaced by an explicit dispatch."""
    # A schema X with a discriminator becomes X__base (its own properties, what the subtypes' allOf inherit) and a
    # new X that requires the discriminating property to be a mapped value and validates that value's subschema.
    bases = {name for name, schema in schemas.items() if "discriminator" in schema}
    out: dict = {}
    for name, schema in schemas.items():
        converted = _convert(copy.deepcopy(schema), bases)
        if name in bases:
            discriminator = converted.pop("discriminator")
            out[name + BASE] = converted
            out[name] = _dispatch(discriminator)
        else:
            out[name] = converted
    return out


def _dispatch(discriminator: dict) -> dict:
    prop, mapping = discriminator["propertyName"], discriminator["mapping"]
    return {
        "type": "object",
        "required": [prop],
        "properties": {prop: {"enum": list(mapping)}},
        "allOf": [
            {"if": {"properties": {prop: {"const": value}}, "required": [prop]}, "then": {"$ref": target}}
            for value, target in mapping.items()
        ],
    }


def _convert(schema: dict, bases: set[str]) -> dict:
    """Rewrite OpenAPI-only keywords (nullable) and point allOf inheritance at the undispatched bases."""
    if schema.pop("nullable", False) and isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    for key in ("example", "x-enum-varnames", "x-enum-descriptions", "externalDocs"):
        schema.pop(key, None)
    for item in schema.get("allOf", []):
        ref = item.get("$ref", "")
        if ref.startswith(PREFIX) and ref[len(PREFIX) :] in bases:
            item["$ref"] = ref + BASE
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            schema[key] = [_convert(item, bases) for item in schema[key]]
    if "properties" in schema:
        schema["properties"] = {k: _convert(v, bases) for k, v in schema["properties"].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            schema[key] = _convert(schema[key], bases)
    return schema


@functools.cache
def validator(filename: str, name: str) -> Draft202012Validator:
    """A validator for component schema `name` of a vendored spec file."""
    schemas = _components(filename)
    if name not in schemas:
        raise KeyError(f"{name} is not a component schema of {filename}")
    return Draft202012Validator({"$ref": PREFIX + name, "components": {"schemas": schemas}})


def errors(filename: str, name: str, instance) -> list[dict]:
    """LINE-style error details ({"message", "property"}) for everything wrong with `instance`.

    A request's messages are checked one by one against the message schema, each distinct message once per
    process (the bot sends the same cards again and again): the rest of the request is checked every time
    against the request's schema with its message list's items left open. Same errors as checking it whole."""
    split = _message_list(filename, name)
    if split is None or not isinstance(instance, dict) or not isinstance(instance.get(split[0]), list):
        return _all_errors(validator(filename, name), instance)
    key, item_schema = split
    details = _all_errors(_shell_validator(filename, name), instance)
    for index, message in enumerate(instance[key]):
        for detail in _item_errors(filename, item_schema, json.dumps(message, sort_keys=True)):
            inner = detail["property"]
            where = prop_path([key, index]) + ("" if not inner else inner if inner[0] == "[" else "." + inner)
            details.append({"message": detail["message"], "property": where})
    return details


def _all_errors(check: Draft202012Validator, instance) -> list[dict]:
    details: list[dict] = []
    for error in check.iter_errors(instance):
        details.extend(_details(error))
    return details


@functools.cache
def _message_list(filename: str, name: str) -> tuple[str, str] | None:
    """("messages", "Message") when request schema `name` has a list of messages checked one by one."""
    schema = _components(filename).get(name, {})
    items = schema.get("properties", {}).get("messages", {}).get("items", {})
    ref = items.get("$ref", "") if isinstance(items, dict) else ""
    return ("messages", ref[len(PREFIX) :]) if ref.startswith(PREFIX) else None


@functools.cache
def _shell_validator(filename: str, name: str) -> Draft202012Validator:
    """Request schema `name` with its message list's items only required to be objects."""
    schemas = dict(_components(filename))
    shell = copy.deepcopy(schemas[name])
    shell["properties"]["messages"]["items"] = {"type": "object"}
    schemas[name + "__shell"] = shell
    return Draft202012Validator({"$ref": PREFIX + name + "__shell", "components": {"schemas": schemas}})


@functools.lru_cache(maxsize=4096)
def _item_errors(filename: str, item_schema: str, dumped: str) -> tuple[dict, ...]:
    """Errors of one message (as JSON), properties relative to the message; cached per distinct message."""
    message = json.loads(dumped)
    if not isinstance(message, dict):  # the shell reports a non-object; nothing more to say
        return ()
    return tuple(_all_errors(validator(filename, item_schema), message))


def _details(error) -> list[dict]:
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        return [{"message": "must be specified", "property": prop_path([*path, p])} for p in missing]
    return [{"message": _message(error), "property": prop_path(path)}]


def _message(error) -> str:
    schema, kind = error.schema, error.validator
    if kind in ("maxLength", "minLength"):
        return f"Length must be between {schema.get('minLength', 0)} and {schema.get('maxLength', 'unlimited')}"
    if kind in ("maxItems", "minItems"):
        return f"Size must be between {schema.get('minItems', 0)} and {schema.get('maxItems', 'unlimited')}"
    if kind == "enum":
        return f"must be one of: {', '.join(map(str, error.validator_value))}"
    if kind == "type":
        return f"must be of type {error.validator_value}"
    if kind in ("maximum", "minimum"):
        return f"must be between {schema.get('minimum', '-∞')} and {schema.get('maximum', '∞')}"
    return error.message


def prop_path(parts) -> str:
    """LINE's property notation: messages[0].quickReply.items[13]."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out

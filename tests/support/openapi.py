"""LINE's OpenAPI component schemas as plain, self-contained JSON Schemas that hypothesis-jsonschema generates from.

The spec uses `$ref`, `allOf` inheritance and discriminators (Event → MessageEvent → MessageContent →
TextMessageContent …). `resolve(schemas, name)` inlines every `$ref`, merges each `allOf` into one object
schema, and turns a discriminated base into an `anyOf` of its subtypes, each with the discriminating property
fixed to its mapped value (a subtype's `allOf` reference to its base means the base's own properties, not the
dispatch again). Descriptions, examples and OpenAPI-only keywords are dropped; `nullable` becomes a type list.
"""

from __future__ import annotations

import copy
import types
from pathlib import Path

import yaml

PREFIX = "#/components/schemas/"
KEPT = {
    "type",
    "required",
    "properties",
    "items",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "additionalProperties",
    "allOf",
    "anyOf",
    "oneOf",
    "$ref",
    "nullable",
}


def load_schemas(path: Path) -> dict:
    """The component schemas of an OpenAPI file."""
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)["components"]["schemas"]


def resolve(schemas: dict, name: str, overrides: dict | None = None) -> dict:
    """A self-contained JSON Schema for component `name`; `overrides` replaces named components' properties.

    `overrides` maps a component name to {property: schema}, e.g. {"UserSource": {"userId": {"enum": [...]}}},
    to steer generation towards realistic values (the spec says little about ids).
    """
    return _Resolver(schemas, overrides or {}).ref(name, base=False, seen=())


class _Resolver:
    def __init__(self, schemas: dict, overrides: dict):
        self.schemas = schemas
        self.overrides = overrides

    def ref(self, name: str, base: bool, seen: tuple[str, ...]) -> dict:
        key = f"{name} (base)" if base else name
        if key in seen:
            raise ValueError(f"recursive schema {' → '.join((*seen, key))}: not supported")
        schema = self.schemas[name]
        seen = (*seen, key)
        discriminator = schema.get("discriminator")
        if discriminator and not base:
            prop = discriminator["propertyName"]
            variants = []
            for value, target in discriminator["mapping"].items():
                variant = self.ref(target.removeprefix(PREFIX), base=False, seen=seen)
                variant.setdefault("properties", {})[prop] = {"const": value}
                variant["required"] = sorted({*variant.get("required", []), prop})
                variants.append(variant)
            return {"anyOf": variants}
        out = self.node(schema, seen)
        for prop, override in self.overrides.get(name, {}).items():
            out.setdefault("properties", {})[prop] = copy.deepcopy(override)
        return out

    def node(self, schema: dict, seen: tuple[str, ...]) -> dict:
        if "$ref" in schema:
            return self.ref(schema["$ref"].removeprefix(PREFIX), base=False, seen=seen)
        out = {k: copy.deepcopy(v) for k, v in schema.items() if k in KEPT and k not in ("allOf", "nullable")}
        if schema.get("nullable") and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "properties" in out:
            out["properties"] = {k: self.node(v, seen) for k, v in schema["properties"].items()}
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                out[key] = self.node(schema[key], seen)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                out[key] = [self.node(item, seen) for item in schema[key]]
        for part in schema.get("allOf", []):
            # allOf: [{$ref: Base}, {...}] is inheritance: the base's own properties, never its dispatch again.
            if "$ref" in part:
                resolved = self.ref(part["$ref"].removeprefix(PREFIX), base=True, seen=seen)
            else:
                resolved = self.node(part, seen)
            out = _merge(out, resolved)
        return out


def _merge(a: dict, b: dict) -> dict:
    """Both object schemas at once (properties united, a property in both must satisfy both)."""
    out = {**a, **{k: v for k, v in b.items() if k not in ("properties", "required")}}
    props = dict(a.get("properties", {}))
    for key, schema in b.get("properties", {}).items():
        props[key] = {"allOf": [props[key], schema]} if key in props and props[key] != schema else schema
    if props:
        out["properties"] = props
    required = {*a.get("required", []), *b.get("required", [])}
    if required:
        out["required"] = sorted(required)
    return out


def from_component(schemas: dict, name: str, overrides: dict | None = None):
    """A Hypothesis strategy (hypothesis-jsonschema) for component `name`, see `resolve`."""
    from hypothesis_jsonschema import from_schema

    _let_hypothesis_jsonschema_draw_objects()
    return from_schema(resolve(schemas, name, overrides))


def _let_hypothesis_jsonschema_draw_objects() -> None:
    """hypothesis-jsonschema 0.23 drives Hypothesis's private `many` as `while elements.more(): …`; Hypothesis
    6.1xx replaced that with `with many(…) as elements: for _ in elements: …`. Give its module (only) an adapter
    with the old interface; the loop bodies are the same, so draws and shrinking behave as before."""
    import hypothesis_jsonschema._from_schema as hjs
    from hypothesis.internal.conjecture import utils as cu

    if hasattr(cu.many, "more") or getattr(hjs.cu, "patched_for_many", False):
        return

    class LegacyMany:
        def __init__(self, data, min_size, max_size, average_size):
            self._many = cu.many(data, min_size=min_size, max_size=max_size, average_size=average_size)
            self._many.__enter__()
            self._elements = iter(self._many)

        def more(self) -> bool:
            if next(self._elements, StopIteration) is StopIteration:
                self._many.__exit__(None, None, None)
                return False
            return True

        def reject(self, why: str | None = None) -> None:
            self._many.reject(why)

    hjs.cu = types.SimpleNamespace(many=LegacyMany, patched_for_many=True)

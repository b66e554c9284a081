"""Emits schema/events.manifest.json: every event, field, type, limit and gateway route."""

import json

from .naming import banner_text
from .schema import Field, Schema, TypeSpec

PATH = "schema/events.manifest.json"
MANIFEST_VERSION = 1


def type_json(spec: TypeSpec) -> dict:
    if spec.kind == "shape":
        return {"type": spec.shape}
    out = {"type": spec.kind}
    if spec.kind == "string":
        out["min_length"] = spec.min_length
        if spec.max_length is not None:
            out["max_length"] = spec.max_length
    elif spec.kind in ("int", "uint", "unix"):
        out["min"], out["max"] = spec.min, spec.max
    elif spec.kind == "enum":
        out["values"] = list(spec.values)
    elif spec.kind == "list":
        out["of"] = type_json(spec.of)
        if spec.max_items is not None:
            out["max_items"] = spec.max_items
    elif spec.kind == "object":
        if spec.shape:  # a shape annotated per event with `from`
            out["type"] = spec.shape
        out["fields"] = [field_json(f) for f in spec.fields]
    elif spec.kind == "union":
        out["tag"] = spec.tag
        out["variants"] = [{"name": name, "fields": [field_json(f) for f in fields]}
                           for name, fields in spec.variants]
    return out


def field_json(field: Field) -> dict:
    out = {"name": field.name}
    out.update(type_json(field.type))
    out["optional"] = field.optional
    out["nullable"] = field.nullable
    if field.description:
        out["description"] = field.description
    if field.source:
        out["from"] = field.source
    return out


def _domain(event) -> dict:
    return {
        "name": event.name, "type": event.type, "version": event.version,
        "stream": event.stream, "stream_key": event.stream_key,
        "description": event.description,
        "fields": [field_json(f) for f in event.fields],
        "upcasters": [{"from_version": u.from_version, "function": u.function}
                      for u in event.upcasters],
    }


def _gateway(schema: Schema, event) -> dict:
    out = {
        "type": event.type, "scope": event.scope, "schema_version": event.schema_version,
        "status": event.status, "source": event.source,
        "source_type": schema.source_type(event) or None,
        "audience": event.audience, "description": event.description,
    }
    if event.trigger:
        out["trigger"] = event.trigger
    if event.payload_shape:
        out["payload_shape"] = event.payload_shape
    out["payload"] = [field_json(f) for f in event.payload]
    return out


def emit(schema: Schema) -> str:
    document = {
        "generated": banner_text(schema.path),
        "manifest_version": MANIFEST_VERSION,
        "streams": schema.streams,
        "shapes": {name: dict(type_json(spec), description=spec.description)
                   for name, spec in schema.shapes.items()},
        "domain_events": [_domain(e) for e in schema.domain_events],
        "gateway_events": [_gateway(schema, e) for e in schema.gateway_events],
        "gateway_routes": [{"domain_type": schema.source_type(e), "gateway_type": e.type,
                            "scope": e.scope} for e in schema.gateway_events if e.active],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

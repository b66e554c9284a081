"""Emits docs/asyncapi.json: an AsyncAPI 2.6 document of the gateway's outbound messages."""

import json

from .naming import banner_text, pascal
from .schema import INT64_MAX, INT64_MIN, SCOPES, Field, Schema, TypeSpec

PATH = "docs/asyncapi.json"
SCOPE_TAGS = {
    "connection": "written only to the connection being served",
    "channel": "fan-out to connections subscribed to guild:channel",
    "guild": "fan-out to connections subscribed to any channel of the guild",
    "user": "fan-out to every open connection of the target users",
}
ULID_PATTERN = "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"


def json_schema(spec: TypeSpec) -> dict:
    kind = spec.kind
    if kind == "shape" or (kind == "object" and spec.shape):
        return {"$ref": f"#/components/schemas/{spec.shape}"}
    if kind == "string":
        out = {"type": "string"}
        if spec.min_length:
            out["x-filament-min-bytes"] = spec.min_length
        if spec.max_length is not None:
            out["maxLength"] = spec.max_length  # bytes >= characters, so this bound holds
            out["x-filament-max-bytes"] = spec.max_length
        return out
    if kind == "ulid":
        return {"$ref": "#/components/schemas/Ulid"}
    if kind in ("int", "uint", "unix"):
        out = {"type": "integer", "format": "int64"}
        if spec.min != INT64_MIN:
            out["minimum"] = spec.min
        if spec.max != INT64_MAX:
            out["maximum"] = spec.max
        return out
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "enum":
        return {"type": "string", "enum": list(spec.values)}
    if kind == "list":
        out = {"type": "array", "items": json_schema(spec.of)}
        if spec.max_items is not None:
            out["maxItems"] = spec.max_items
        return out
    if kind == "object":
        return object_schema(spec.fields)
    return {"oneOf": [object_schema(fields, tag=(spec.tag, name))
                      for name, fields in spec.variants], "discriminator": spec.tag}


def _field_schema(field: Field) -> dict:
    schema = json_schema(field.type)
    if field.nullable:
        schema = {"oneOf": [schema, {"type": "null"}]}
    if field.description:
        schema = dict(schema, description=field.description)
    if field.source:
        schema = dict(schema, **{"x-filament-from": field.source})
    return schema


def object_schema(fields, tag=None) -> dict:
    properties, required = {}, []
    if tag is not None:
        properties[tag[0]] = {"type": "string", "const": tag[1]}
        required.append(tag[0])
    for field in fields:
        properties[field.name] = _field_schema(field)
        if not field.optional:
            required.append(field.name)
    out = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def _payload_schema(event) -> dict:
    if not event.payload_shape:
        return object_schema(event.payload)
    sources = {f.name: f.source for f in event.payload if f.source}
    out = {"allOf": [{"$ref": f"#/components/schemas/{event.payload_shape}"}]}
    if sources:
        out["x-filament-from"] = sources
    return out


def _message(schema: Schema, event) -> dict:
    return {
        "messageId": event.type,
        "name": event.type,
        "title": event.type,
        "summary": event.description,
        "contentType": "application/json",
        "tags": [{"name": f"scope:{event.scope}"}, {"name": event.status}],
        "payload": {
            "type": "object",
            "required": ["v", "t", "d"],
            "additionalProperties": False,
            "properties": {
                "v": {"type": "integer", "enum": [1, 2],
                      "description": "1, or 2 on a ?gateway_version=2 connection (ADR 0060)"},
                "t": {"type": "string", "const": event.type},
                "d": {"$ref": f"#/components/schemas/{pascal(event.type)}Payload"},
                "pos": {"type": "string", "pattern": "^[0-9]+:[0-9]+$",
                        "description": "v2, log-derived events only: the record's log position"},
                "cursor": {"type": "string", "pattern": "^1(\\.[0-9]+(\\+[0-9]+)?)+$",
                           "description": "v2, log-derived events only: the resume point after "
                           "this event (send the last one back in `resume`)"},
            },
        },
        "x-filament-scope": event.scope,
        "x-filament-schema-version": event.schema_version,
        "x-filament-status": event.status,
        "x-filament-source": event.source,
        "x-filament-source-type": schema.source_type(event) or None,
        "x-filament-audience": event.audience,
    }


def emit(schema: Schema) -> str:
    schemas = {"Ulid": {"type": "string", "pattern": ULID_PATTERN,
                        "description": "26-character Crockford base32 ULID"}}
    for name, spec in schema.shapes.items():
        schemas[name] = dict(json_schema(spec), description=spec.description)
    for event in schema.gateway_events:
        schemas[f"{pascal(event.type)}Payload"] = _payload_schema(event)
    document = {
        "asyncapi": "2.6.0",
        "id": "urn:filament:gateway",
        "info": {
            "title": "Filament gateway",
            "version": "1",
            "description": banner_text(schema.path) + " Server-to-client events of the "
            "Filament realtime gateway; see docs/GATEWAY_EVENTS.md.",
        },
        "servers": {
            "local": {"url": "localhost:8080", "protocol": "ws",
                      "description": "a local `filament serve`"},
        },
        "defaultContentType": "application/json",
        "tags": [{"name": f"scope:{scope}", "description": SCOPE_TAGS[scope]} for scope in SCOPES]
        + [{"name": "active", "description": "emitted by this server"},
           {"name": "planned", "description": "its domain event does not exist yet"}],
        "channels": {
            "/gateway/ws": {
                "description": "One WebSocket per client; authenticate with ?access_token=. "
                "Add &gateway_version=2 for log positions, cursors and `resume` (ADR 0060): "
                "the first command may then be {\"v\":2,\"t\":\"resume\",\"d\":{\"cursor\","
                "\"subscriptions\":[{\"guild_id\",\"channel_id\"}]}}.",
                "subscribe": {
                    "operationId": "receiveGatewayEvent",
                    "summary": "Events the server sends to the client.",
                    "message": {"oneOf": [{"$ref": f"#/components/messages/{e.type}"}
                                          for e in schema.gateway_events]},
                },
            },
        },
        "components": {
            "messages": {e.type: _message(schema, e) for e in schema.gateway_events},
            "schemas": schemas,
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

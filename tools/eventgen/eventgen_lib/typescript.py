"""Emits clients/typescript/filament-events.ts: gateway payload and domain event types."""

import json

from .naming import banner_text, pascal
from .schema import Field, Schema, TypeSpec

PATH = "clients/typescript/filament-events.ts"

PREAMBLE = """
/** 26-character Crockford base32 ULID, upper case. */
export type Ulid = string;
/** Integer seconds since the Unix epoch. */
export type UnixSeconds = number;

export type GatewayScope = "connection" | "channel" | "guild" | "user";
"""


def ts_type(spec: TypeSpec, indent: str = "") -> str:
    kind = spec.kind
    if kind == "shape" or (kind == "object" and spec.shape):
        return spec.shape
    if kind in ("string",):
        return "string"
    if kind == "ulid":
        return "Ulid"
    if kind == "unix":
        return "UnixSeconds"
    if kind in ("int", "uint"):
        return "number"
    if kind == "bool":
        return "boolean"
    if kind == "enum":
        return " | ".join(json.dumps(v) for v in spec.values)
    if kind == "list":
        inner = ts_type(spec.of, indent)
        return f"Array<{inner}>" if " " in inner else f"{inner}[]"
    if kind == "object":
        return _object(spec.fields, indent)
    raise ValueError(f"no inline TypeScript for {kind}")


def _object(fields, indent: str) -> str:
    inner = indent + "  "
    lines = ["{"]
    for field in fields:
        lines += _member(field, inner)
    lines.append(indent + "}")
    return "\n".join(lines)


def _member(field: Field, indent: str):
    out = []
    if field.description:
        out.append(f"{indent}/** {field.description} */")
    value = ts_type(field.type, indent)
    if field.nullable:
        value += " | null"
    out.append(f"{indent}{field.name}{'?' if field.optional else ''}: {value};")
    return out


def _shape(name: str, spec: TypeSpec) -> str:
    doc = f"/** {spec.description} */\n" if spec.description else ""
    if spec.kind == "object":
        return f"{doc}export interface {name} {_object(spec.fields, '')}\n"
    if spec.kind == "enum":
        return f"{doc}export type {name} = {ts_type(spec)};\n"
    variants = []
    for variant, fields in spec.variants:
        members = [f"{spec.tag}: {json.dumps(variant)}"]
        for field in fields:
            value = ts_type(field.type) + (" | null" if field.nullable else "")
            members.append(f"{field.name}{'?' if field.optional else ''}: {value}")
        variants.append("  | { " + "; ".join(members) + " }")
    return f"{doc}export type {name} =\n" + "\n".join(variants) + ";\n"


def _gateway(schema: Schema) -> str:
    out = ["\n// ---- Gateway payloads (the `d` of each envelope) ----\n\n"]
    for event in schema.gateway_events:
        name = f"{pascal(event.type)}Payload"
        out.append(f"/** `{event.type}` ({event.scope}, {event.status}): "
                   f"{event.description} */\n")
        if event.payload_shape:
            out.append(f"export type {name} = {event.payload_shape};\n\n")
        else:
            out.append(f"export interface {name} {_object(event.payload, '')}\n\n")
    out.append("export interface GatewayEventPayloads {\n")
    out += [f"  {e.type}: {pascal(e.type)}Payload;\n" for e in schema.gateway_events]
    out.append("}\n\nexport type GatewayEventType = keyof GatewayEventPayloads;\n\n")
    out.append("/** The `{v, t, d}` envelope, discriminated by `t`. */\n"
               "export type GatewayEnvelope = {\n"
               "  [T in GatewayEventType]: { v: 1; t: T; d: GatewayEventPayloads[T] };\n"
               "}[GatewayEventType];\n\n")
    out.append("/** Protocol v2 (`/gateway/ws?gateway_version=2`, docs/adr/0060): the same events with\n"
               " * \"v\":2; log-derived ones add `pos` (\"partition:offset\") and `cursor` (the resume\n"
               " * point after this event: keep the last one, send it back in `resume`). */\n"
               "export type GatewayEnvelopeV2 = {\n"
               "  [T in GatewayEventType]: {\n"
               "    v: 2;\n    t: T;\n    d: GatewayEventPayloads[T];\n"
               "    pos?: string;\n    cursor?: string;\n  };\n"
               "}[GatewayEventType];\n\n")
    out.append("/** v2 ingress: the first command of a reconnecting connection. */\n"
               "export interface GatewayResumeCommand {\n  v: 2;\n  t: \"resume\";\n"
               "  d: { cursor: string; subscriptions: { guild_id: string; channel_id: string }[] };\n"
               "}\n\n")
    out.append("export interface GatewayEventInfo {\n  scope: GatewayScope;\n"
               "  schemaVersion: number;\n  status: \"active\" | \"planned\";\n}\n\n")
    out.append("export const GATEWAY_EVENTS: Readonly<Record<GatewayEventType, "
               "GatewayEventInfo>> = {\n")
    for event in schema.gateway_events:
        out.append(f"  {event.type}: {{ scope: {json.dumps(event.scope)}, schemaVersion: "
                   f"{event.schema_version}, status: {json.dumps(event.status)} }},\n")
    out.append("};\n")
    return "".join(out)


def _domain(schema: Schema) -> str:
    out = ["\n// ---- Domain events (log record payloads, by wire type) ----\n\n"]
    for event in schema.domain_events:
        out.append(f"/** `{event.type}` v{event.version}, stream `{event.stream}:<"
                   f"{event.stream_key}>`: {event.description} */\n")
        out.append(f"export interface {event.name} {_object(event.fields, '')}\n\n")
    out.append("export interface DomainEventPayloads {\n")
    out += [f"  {e.type}: {e.name};\n" for e in schema.domain_events]
    out.append("}\n\nexport type DomainEventType = keyof DomainEventPayloads;\n\n")
    out.append("/** Current schema version of each domain event type. */\n"
               "export const DOMAIN_EVENT_VERSIONS: Readonly<Record<DomainEventType, number>> = "
               "{\n")
    out += [f"  {e.type}: {e.version},\n" for e in schema.domain_events]
    out.append("};\n")
    return "".join(out)


def emit(schema: Schema) -> str:
    out = [f"// {banner_text(schema.path)}\n", PREAMBLE, "\n// ---- Shapes ----\n\n"]
    out += [_shape(name, spec) + "\n" for name, spec in schema.shapes.items()]
    out.append(_gateway(schema))
    out.append(_domain(schema))
    return "".join(out)

"""Emits events/generated/{event_types.hpp,event_types.cpp,gateway_routes.cpp}."""

from typing import Dict

from . import cpp_runtime
from .naming import banner_text, pascal
from .schema import INT64_MAX, INT64_MIN, Field, Schema, TypeSpec

HEADER_PATH = "events/generated/event_types.hpp"
SOURCE_PATH = "events/generated/event_types.cpp"
ROUTES_PATH = "events/generated/gateway_routes.cpp"

SCOPE_ENUM = {"connection": "kConnection", "channel": "kChannel", "guild": "kGuild",
              "user": "kUser"}


def emit(schema: Schema, namespace: str, upcasters_include: str) -> Dict[str, str]:
    return {
        HEADER_PATH: _header(schema, namespace),
        SOURCE_PATH: _source(schema, namespace, upcasters_include),
        ROUTES_PATH: _routes(schema, namespace),
    }


def _banner(schema: Schema) -> str:
    return f"// {banner_text(schema.path)}\n"


def _cpp_int(value: int) -> str:
    if value == INT64_MIN:
        return "std::numeric_limits<int64_t>::min()"
    if value == INT64_MAX:
        return "std::numeric_limits<int64_t>::max()"
    return str(value)


def _cpp_type(field: Field) -> str:
    kind = field.type.kind
    base = {"string": "std::string", "ulid": "std::string", "enum": "std::string",
            "unix": "int64_t", "int": "int64_t", "uint": "int64_t", "bool": "bool",
            "list": "std::vector<std::string>"}[kind]
    return f"std::optional<{base}>" if field.optional else base


def _initializer(field: Field) -> str:
    if field.optional:
        return ""
    return {"unix": " = 0", "int": " = 0", "uint": " = 0", "bool": " = false"}.get(
        field.type.kind, "")


def describe(spec: TypeSpec) -> str:
    """A short human description of a domain field's type and limits."""
    kind = spec.kind
    if kind == "string":
        return f"{spec.min_length}..{spec.max_length} UTF-8 bytes"
    if kind == "ulid":
        return "ULID"
    if kind == "unix":
        return "Unix seconds"
    if kind in ("int", "uint"):
        return f"integer in [{spec.min}, {spec.max}]"
    if kind == "enum":
        return "one of " + ", ".join(spec.values)
    if kind == "bool":
        return "boolean"
    return f"at most {spec.max_items} x {describe(spec.of)}"


def _values_name(field: Field) -> str:
    return f"k{pascal(field.name)}Values"


def _enum_spec(field: Field):
    spec = field.type
    if spec.kind == "list":
        spec = spec.of
    return spec if spec.kind == "enum" else None


# ---------------------------------------------------------------------------------------------
# Header.


def _struct(event) -> str:
    lines = [f"// {event.description}",
             f"// Stream \"{event.stream}:<{event.stream_key}>\"; schema version {event.version}.",
             f"struct {event.name} {{",
             f"  static constexpr std::string_view kType = \"{event.type}\";",
             f"  static constexpr int32_t kVersion = {event.version};",
             f"  static constexpr std::string_view kStream = \"{event.stream}\";"]
    for field in event.fields:
        enum = _enum_spec(field)
        if enum is not None:
            values = ", ".join(f'"{v}"' for v in enum.values)
            lines.append(f"  static constexpr std::array<std::string_view, {len(enum.values)}> "
                         f"{_values_name(field)} =\n      {{{{{values}}}}};")
    lines.append("")
    for field in event.fields:
        note = describe(field.type) + ("; optional" if field.optional else "")
        lines.append(f"  {_cpp_type(field)} {field.name}{_initializer(field)};  // {note}")
    lines += ["",
              f"  std::string StreamKey() const {{ return std::string(kStream) + \":\" + "
              f"{event.stream_key}; }}",
              f"  bool operator==(const {event.name}&) const = default;",
              "};", ""]
    return "\n".join(lines)


HEADER_PREAMBLE = """
// Typed domain events, their JSON codecs and the gateway routing table.
//
// Thread safety: everything here is immutable data or pure functions; safe from any thread.
// Evolution rules and how to add an event: docs/events.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

"""

HEADER_FUNCTIONS = """
std::string_view TypeOf(const Event& event);          // the wire type, e.g. "message_posted"
int32_t SchemaVersionOf(const Event& event);          // the event's current schema version
std::string StreamKeyOf(const Event& event);          // e.g. "guild:01H..."

// The payload as compact JSON, fields in schema order, absent optional fields omitted.
// Never fails: invalid UTF-8 in a string is written as U+FFFD.
std::string EncodePayload(const Event& event);
{per_struct}
// Decodes a stored payload. Never throws. Payloads of an older `schema_version` go through
// the upcasters (events/upcasters.hpp) first. Unknown extra fields are ignored.
// Errors (all kInvalidArgument, message names the type and field): unknown type,
// schema_version < 1 or newer than this build, payload over 1 MiB, not a JSON object, a
// missing required field, a wrong JSON type, a string outside its byte limits, invalid UTF-8,
// an invalid ULID, an enum value not allowed, a list too long, an integer out of range; an
// upcaster's own error is passed on with its code.
core::Result<Event> DecodeEvent(std::string_view type, int32_t schema_version,
                                std::string_view payload_json);

// ---- Gateway routing (DESIGN.md section 5) ----

enum class GatewayScope {{ kConnection, kChannel, kGuild, kUser }};
std::string_view GatewayScopeName(GatewayScope scope);  // "connection", "channel", ...

// `domain_type` value of routes whose gateway event the gateway emits itself.
inline constexpr std::string_view kGatewayOrigin = "gateway";

// An active gateway event and what produces it: a domain wire type, or kGatewayOrigin.
struct GatewayRoute {{
  std::string_view domain_type;
  std::string_view gateway_type;
  GatewayScope scope;
}};

// All active routes, in schema order. For one domain type that order is the emission order.
std::span<const GatewayRoute> GatewayRoutes();
// The routes whose domain_type equals `domain_type` (empty for unrouted types).
std::vector<GatewayRoute> RoutesFor(std::string_view domain_type);

// Every gateway event of the contract, active or planned. `source` is the producing domain
// wire type, kGatewayOrigin, or empty for a planned event.
struct GatewayEventInfo {{
  std::string_view type;
  GatewayScope scope;
  int32_t schema_version;
  bool active;
  std::string_view source;
}};
std::span<const GatewayEventInfo> GatewayEventCatalog();
"""


def _header(schema: Schema, namespace: str) -> str:
    out = [_banner(schema), HEADER_PREAMBLE, f"namespace {namespace} {{\n\n"]
    out += [_struct(e) + "\n" for e in schema.domain_events]
    for stream in schema.streams:
        names = ", ".join(e.name for e in schema.domain_events if e.stream == stream)
        out.append(f"using {pascal(stream)}Event = std::variant<{names}>;\n")
    out.append("using Event =\n    std::variant<%s>;\n\n"
               % ", ".join(e.name for e in schema.domain_events))
    for stream in schema.streams:
        variant = f"{pascal(stream)}Event"
        out.append(f"Event ToEvent(const {variant}& event);\n")
        out.append(f"std::optional<{variant}> As{variant}(const Event& event);  "
                   f"// nullopt if not a {stream} event\n")
    per_struct = "".join(f"std::string EncodePayload(const {e.name}& event);\n"
                         for e in schema.domain_events)
    out.append(HEADER_FUNCTIONS.format(per_struct=per_struct))
    out.append(f"\n}}  // namespace {namespace}\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Source.


def _text_rule(event, field: Field) -> str:
    spec = field.type.of if field.type.kind == "list" else field.type
    if spec.kind == "ulid":
        return "kUlidRule"
    if spec.kind == "enum":
        return f"EnumRule({event.name}::{_values_name(field)})"
    return f"BytesRule({spec.min_length}, {spec.max_length})"


def _read(event, field: Field) -> str:
    kind, name = field.type.kind, field.name
    target = f"event.{name}"
    if kind in ("string", "ulid", "enum"):
        call = f'reader.Text("{name}", {_text_rule(event, field)}, {target})'
    elif kind in ("int", "uint", "unix"):
        call = (f'reader.Int("{name}", {_cpp_int(field.type.min)}, '
                f'{_cpp_int(field.type.max)}, {target})')
    elif kind == "bool":
        call = f'reader.Bool("{name}", {target})'
    else:
        call = (f'reader.TextList("{name}", {field.type.max_items}, '
                f'{_text_rule(event, field)}, {target})')
    line = f"  FILAMENT_RETURN_IF_ERROR({call});\n"
    if len(line) <= 101:
        return line
    return f"  FILAMENT_RETURN_IF_ERROR(\n      {call});\n"


def _write(field: Field) -> str:
    method = {"string": "Text", "ulid": "Text", "enum": "Text", "int": "Int", "uint": "Int",
              "unix": "Int", "bool": "Bool", "list": "TextList"}[field.type.kind]
    if field.optional:
        return (f"  if (event.{field.name}.has_value()) "
                f"writer.{method}(\"{field.name}\", *event.{field.name});\n")
    return f"  writer.{method}(\"{field.name}\", event.{field.name});\n"


def _codec_functions(event) -> str:
    out = [f"core::Result<Event> Decode{event.name}(const Json& json) {{\n",
           f"  const FieldReader reader({event.name}::kType, json);\n",
           f"  {event.name} event;\n"]
    out += [_read(event, f) for f in event.fields]
    out.append("  return Event{std::move(event)};\n}\n\n")
    return "".join(out)


def _codec_table(schema: Schema) -> str:
    out = []
    for event in schema.domain_events:
        if event.upcasters:
            functions = ", ".join(f"&{u.function}" for u in event.upcasters)
            out.append(f"constexpr std::array<UpcastFn, {len(event.upcasters)}> "
                       f"k{event.name}Upcasters = {{{{{functions}}}}};\n")
    out.append(f"constexpr std::array<Codec, {len(schema.domain_events)}> kCodecs = {{{{\n")
    for event in schema.domain_events:
        upcasters = f"k{event.name}Upcasters" if event.upcasters else "{}"
        out.append(f"    {{{event.name}::kType, {event.name}::kVersion, &Decode{event.name}, "
                   f"{upcasters}}},\n")
    out.append("}};\n")
    return "".join(out)


def _source(schema: Schema, namespace: str, upcasters_include: str) -> str:
    out = [_banner(schema), f'#include "{HEADER_PATH}"\n\n',
           "#include <nlohmann/json.hpp>\n\n",
           "#include <algorithm>\n#include <limits>\n#include <type_traits>\n#include <utility>\n\n",
           '#include "core/ulid.hpp"\n#include "core/utf8.hpp"\n',
           f'#include "{upcasters_include}"\n\n',
           f"namespace {namespace} {{\nnamespace {{\n", cpp_runtime.RUNTIME, "\n"]
    out += [_codec_functions(e) for e in schema.domain_events]
    out.append(_codec_table(schema))
    out.append("\n}  // namespace\n\n")
    for event in schema.domain_events:
        out.append(f"std::string EncodePayload(const {event.name}& event) {{\n"
                   "  JsonWriter writer;\n")
        out += [_write(f) for f in event.fields]
        out.append("  return std::move(writer).Finish();\n}\n\n")
    for stream in schema.streams:
        variant = f"{pascal(stream)}Event"
        out.append(f"Event ToEvent(const {variant}& event) {{\n"
                   "  return std::visit([](const auto& e) -> Event { return e; }, event);\n}\n\n"
                   f"std::optional<{variant}> As{variant}(const Event& event) {{\n"
                   f"  return NarrowTo<{variant}>(event);\n}}\n\n")
    out.append(cpp_runtime.PUBLIC.lstrip("\n"))
    out.append(f"\n}}  // namespace {namespace}\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Routes.


def _routes(schema: Schema, namespace: str) -> str:
    active = [e for e in schema.gateway_events if e.active]
    out = [_banner(schema), f'#include "{HEADER_PATH}"\n\n', "#include <array>\n\n",
           f"namespace {namespace} {{\nnamespace {{\n\n"]
    out.append(f"constexpr std::array<GatewayRoute, {len(active)}> kRoutes = {{{{\n")
    for event in active:
        out.append(f'    {{"{schema.source_type(event)}", "{event.type}", '
                   f"GatewayScope::{SCOPE_ENUM[event.scope]}}},\n")
    out.append("}};\n\n")
    out.append(f"constexpr std::array<GatewayEventInfo, {len(schema.gateway_events)}> "
               "kCatalog = {{\n")
    for event in schema.gateway_events:
        out.append(f'    {{"{event.type}", GatewayScope::{SCOPE_ENUM[event.scope]}, '
                   f"{event.schema_version}, {'true' if event.active else 'false'}, "
                   f'"{schema.source_type(event)}"}},\n')
    out.append("}};\n\n}  // namespace\n\n")
    out.append(ROUTES_FUNCTIONS)
    out.append(f"\n}}  // namespace {namespace}\n")
    return "".join(out)


ROUTES_FUNCTIONS = """std::string_view GatewayScopeName(GatewayScope scope) {
  switch (scope) {
    case GatewayScope::kConnection:
      return "connection";
    case GatewayScope::kChannel:
      return "channel";
    case GatewayScope::kGuild:
      return "guild";
    case GatewayScope::kUser:
      return "user";
  }
  return "unknown";
}

std::span<const GatewayRoute> GatewayRoutes() { return kRoutes; }

std::vector<GatewayRoute> RoutesFor(std::string_view domain_type) {
  std::vector<GatewayRoute> routes;
  for (const GatewayRoute& route : kRoutes) {
    if (route.domain_type == domain_type) routes.push_back(route);
  }
  return routes;
}

std::span<const GatewayEventInfo> GatewayEventCatalog() { return kCatalog; }
"""

"""Top-level schema parsing: shapes, domain events, gateway events and their `from` mappings."""

from typing import Dict, List

from .schema import (GATEWAY_SOURCE, META_FIELDS, PASCAL, SCOPES, SNAKE, STATUSES, DomainEvent,
                     Field, GatewayEvent, Schema, SchemaError, TypeSpec, Upcaster, _check_keys,
                     _int, _mapping, _require, _text, load_yaml, parse_fields, parse_type)

TOP_KEYS = {"streams", "shapes", "domain_events", "gateway_events"}
DOMAIN_KEYS = {"type", "version", "stream", "stream_key", "description", "fields", "upcasters"}
GATEWAY_KEYS = {"scope", "schema_version", "status", "source", "audience", "description",
                "trigger", "payload", "payload_shape", "from"}
ENVELOPE_TYPE_MAX = 64


def load_schema(text: str, display_path: str) -> Schema:
    data = _mapping(load_yaml(text), "schema")
    _check_keys(data, TOP_KEYS, "schema")
    streams = data.get("streams")
    _require(isinstance(streams, list) and streams, "streams", "needs a non-empty list")
    for stream in streams:
        _require(isinstance(stream, str) and SNAKE.match(stream), "streams",
                 f"invalid stream category {stream!r}")
    shapes = _parse_shapes(data.get("shapes") or {})
    domain = _parse_domain_events(data.get("domain_events"), streams, set(shapes))
    schema = Schema(path=display_path, streams=list(streams), shapes=shapes,
                    domain_events=domain, gateway_events=[])
    schema.gateway_events = _parse_gateway_events(data.get("gateway_events"), schema)
    _check_name_clashes(schema)
    return schema


def _parse_shapes(data) -> Dict[str, TypeSpec]:
    data = _mapping(data, "shapes")
    names = set(data)
    shapes = {}
    for name, body in data.items():
        path = f"shapes.{name}"
        _require(isinstance(name, str) and PASCAL.match(name), path, "shape names are PascalCase")
        spec = parse_type(body, path, names)
        _require(spec.kind in ("object", "enum", "union"), path,
                 "a shape is an object, an enum or a union")
        shapes[name] = spec
    for name in shapes:
        _check_cycles(name, shapes, [])
    return shapes


def _referenced_shapes(spec: TypeSpec):
    if spec.kind == "shape":
        yield spec.shape
    if spec.of is not None:
        yield from _referenced_shapes(spec.of)
    for field in spec.fields:
        yield from _referenced_shapes(field.type)
    for _, fields in spec.variants:
        for field in fields:
            yield from _referenced_shapes(field.type)


def _check_cycles(name, shapes, stack):
    _require(name not in stack, f"shapes.{name}", "shape refers to itself: "
             + " -> ".join(stack + [name]))
    for child in _referenced_shapes(shapes[name]):
        _check_cycles(child, shapes, stack + [name])


# ---------------------------------------------------------------------------------------------
# Domain events.


def _parse_domain_events(data, streams, shape_names) -> List[DomainEvent]:
    data = _mapping(data, "domain_events")
    _require(data, "domain_events", "needs at least one event")
    events, wire_types = [], {}
    for name, body in data.items():
        path = f"domain_events.{name}"
        _require(isinstance(name, str) and PASCAL.match(name), path, "event names are PascalCase")
        body = _mapping(body, path)
        _check_keys(body, DOMAIN_KEYS, path)
        event = _parse_domain_event(name, body, path, streams, shape_names)
        _require(event.type not in wire_types, f"{path}.type",
                 f"wire type '{event.type}' is already used by {wire_types.get(event.type)}")
        wire_types[event.type] = name
        events.append(event)
    return events


def _parse_domain_event(name, body, path, streams, shape_names) -> DomainEvent:
    wire_type = _text(body.get("type"), f"{path}.type")
    _require(SNAKE.match(wire_type) and len(wire_type) <= ENVELOPE_TYPE_MAX, f"{path}.type",
             "wire types are snake_case, at most 64 characters")
    version = _int(body.get("version"), f"{path}.version", 1)
    stream = body.get("stream")
    _require(stream in streams, f"{path}.stream", f"must be one of {', '.join(streams)}")
    fields = parse_fields(body.get("fields"), f"{path}.fields", shape_names,
                          allow_composites=False)
    for field in fields:
        _check_domain_field(field, f"{path}.fields.{field.name}")
    key = body.get("stream_key")
    key_field = next((f for f in fields if f.name == key), None)
    _require(key_field is not None, f"{path}.stream_key", f"'{key}' is not a field")
    _require(not key_field.optional and key_field.type.kind in ("ulid", "string"),
             f"{path}.stream_key", "must name a required ulid or string field")
    upcasters = _parse_upcasters(body.get("upcasters") or [], version, f"{path}.upcasters")
    return DomainEvent(name=name, type=wire_type, version=version, stream=stream,
                       stream_key=key, description=_text(body.get("description"),
                                                         f"{path}.description"),
                       fields=fields, upcasters=upcasters)


def _check_domain_field(field: Field, path):
    spec = field.type
    if spec.kind == "string":
        _require(spec.max_length is not None, path, "domain strings need max_length")
    if spec.kind == "list":
        _require(spec.max_items is not None, path, "domain lists need max_items")
        _check_domain_field(Field(name=field.name, type=spec.of), f"{path}.of")


def _parse_upcasters(data, version, path) -> List[Upcaster]:
    _require(isinstance(data, list), path, "must be a list")
    upcasters = {}
    for index, item in enumerate(data):
        ipath = f"{path}[{index}]"
        item = _mapping(item, ipath)
        _check_keys(item, {"from_version", "function"}, ipath)
        from_version = _int(item.get("from_version"), f"{ipath}.from_version", 1)
        _require(from_version < version, ipath,
                 f"from_version must be below the current version {version}")
        _require(from_version not in upcasters, ipath, f"second upcaster from v{from_version}")
        function = _text(item.get("function"), f"{ipath}.function")
        _require(PASCAL.match(function), ipath, "function names are PascalCase")
        upcasters[from_version] = Upcaster(from_version, function)
    missing = [v for v in range(1, version) if v not in upcasters]
    _require(not missing, path, "version %d needs an upcaster from version(s) %s"
             % (version, ", ".join(map(str, missing))))
    return [upcasters[v] for v in sorted(upcasters)]


# ---------------------------------------------------------------------------------------------
# Gateway events.


def _parse_gateway_events(data, schema: Schema) -> List[GatewayEvent]:
    data = _mapping(data, "gateway_events")
    events = []
    for name, body in data.items():
        path = f"gateway_events.{name}"
        _require(isinstance(name, str) and SNAKE.match(name) and len(name) <= ENVELOPE_TYPE_MAX,
                 path, "gateway event types are snake_case, at most 64 characters")
        body = _mapping(body, path)
        _check_keys(body, GATEWAY_KEYS, path)
        events.append(_parse_gateway_event(name, body, path, schema))
    return events


def _parse_gateway_event(name, body, path, schema: Schema) -> GatewayEvent:
    scope = body.get("scope")
    _require(scope in SCOPES, f"{path}.scope", f"must be one of {', '.join(SCOPES)}")
    status = body.get("status")
    _require(status in STATUSES, f"{path}.status", "must be active or planned")
    source = body.get("source")
    if status == "planned":
        _require(source is None, f"{path}.source", "a planned event has source null")
    else:
        _require(source == GATEWAY_SOURCE or schema.domain(source) is not None,
                 f"{path}.source", f"'{source}' is not a domain event (nor `gateway`)")
    payload, shape = _parse_payload(body, path, schema)
    event = GatewayEvent(
        type=name, scope=scope, schema_version=_int(body.get("schema_version"),
                                                    f"{path}.schema_version", 1),
        status=status, source=source, audience=_text(body.get("audience"), f"{path}.audience"),
        description=_text(body.get("description"), f"{path}.description"),
        trigger=_text(body.get("trigger"), f"{path}.trigger", required=False),
        payload=payload, payload_shape=shape)
    _apply_sources(event, body.get("from"), f"{path}.from", schema)
    return event


def _parse_payload(body, path, schema: Schema):
    has_payload, has_shape = "payload" in body, "payload_shape" in body
    _require(has_payload != has_shape, path, "needs exactly one of payload / payload_shape")
    if has_payload:
        return parse_fields(body["payload"], f"{path}.payload", set(schema.shapes)), None
    shape = body["payload_shape"]
    _require(shape in schema.shapes and schema.shapes[shape].kind == "object",
             f"{path}.payload_shape", f"'{shape}' is not an object shape")
    # Copy the shape's fields so that per-event `from` annotations stay per event.
    fields = [Field(name=f.name, type=f.type, optional=f.optional, nullable=f.nullable,
                    description=f.description) for f in schema.shapes[shape].fields]
    return fields, shape


def _apply_sources(event: GatewayEvent, data, path, schema: Schema):
    domain = schema.domain(event.source) if event.source not in (None, GATEWAY_SOURCE) else None
    if domain is None:
        _require(data is None, path, "only events sourced from a domain event have `from`")
        return
    data = _mapping(data, path)
    mapped = set()
    for target, source in data.items():
        tpath = f"{path}.{target}"
        field = _find_payload_field(event.payload, str(target).split("."), schema, tpath)
        _require(isinstance(source, str), tpath, "must be a string")
        _check_source(field, source.strip(), domain, schema, tpath)
        field.source = source.strip()
        mapped.add(target)
    _check_coverage(event.payload, "", mapped, schema, path)


def _find_payload_field(fields, parts, schema: Schema, path) -> Field:
    field = next((f for f in fields if f.name == parts[0]), None)
    _require(field is not None, path, f"'{parts[0]}' is not a payload field")
    if len(parts) == 1:
        return field
    spec = schema.resolve(field.type)
    _require(spec.kind == "object", path, f"'{parts[0]}' is not an object")
    # Shape fields are shared; copy them onto this payload before annotating.
    if field.type.kind == "shape":
        field.type = TypeSpec(kind="object", fields=[Field(**vars(f)) for f in spec.fields],
                              description=spec.description, shape=field.type.shape)
        spec = field.type
    return _find_payload_field(spec.fields, parts[1:], schema, path)


def _check_source(field: Field, source: str, domain: DomainEvent, schema: Schema, path):
    if source.startswith(("derived:", "const:")):
        _require(source.split(":", 1)[1].strip(), path, "needs text after the colon")
        return
    prefix, _, name = source.partition(".")
    if prefix == "meta":
        _require(name in META_FIELDS, path, f"'{name}' is not a RecordMeta field")
        return
    _require(prefix == "event", path, "must be event.<field>, meta.<field>, derived: or const:")
    origin = domain.field(name)
    _require(origin is not None, path, f"'{name}' is not a field of {domain.name}")
    _require(_compatible(origin.type, schema.resolve(field.type)), path,
             f"{domain.name}.{name} does not fit the payload field's type")


def _compatible(origin: TypeSpec, target: TypeSpec) -> bool:
    texts = ("string", "ulid", "enum")
    numbers = ("int", "uint", "unix")
    if origin.kind == "enum" and target.kind == "enum":
        return set(origin.values) <= set(target.values)
    if origin.kind in texts:
        return target.kind == "string" or target.kind == origin.kind
    if origin.kind in numbers:
        return target.kind in numbers
    if origin.kind == "list":
        return target.kind == "list" and _compatible(origin.of, target.of)
    return origin.kind == target.kind


def _check_coverage(fields, prefix, mapped, schema: Schema, path):
    for field in fields:
        name = prefix + field.name
        if name in mapped or field.optional:
            continue
        spec = schema.resolve(field.type)
        _require(spec.kind == "object", path, f"required payload field '{name}' has no source")
        _check_coverage(spec.fields, name + ".", mapped, schema, path)


def _check_name_clashes(schema: Schema):
    from .naming import pascal  # local import: naming depends on nothing here
    seen = {}
    names = [(n, f"shapes.{n}") for n in schema.shapes]
    names += [(e.name, f"domain_events.{e.name}") for e in schema.domain_events]
    names += [(pascal(e.type) + "Payload", f"gateway_events.{e.type}")
              for e in schema.gateway_events]
    for name, path in names:
        _require(name not in seen, path, f"generated name '{name}' clashes with {seen.get(name)}")
        seen[name] = path
    for stream in schema.streams:
        _require(any(e.stream == stream for e in schema.domain_events), "streams",
                 f"stream '{stream}' has no domain event")

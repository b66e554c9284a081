"""Emits docs/GATEWAY_EVENTS.md: the human catalogue of gateway events."""

from .naming import banner_text
from .schema import SCOPES, Field, Schema, TypeSpec

PATH = "docs/GATEWAY_EVENTS.md"

SCOPE_TITLES = {
    "connection": "Connection events (written only to the connection being served)",
    "channel": "Channel-scoped events (connections subscribed to `guild:channel`)",
    "guild": "Guild-scoped events (connections subscribed to any channel of the guild)",
    "user": "User-scoped events (every open connection of the target users)",
}

INTRO = """# Gateway events

Every frame is an envelope `{"v": 1, "t": "<type>", "d": <payload>}`
(`shared/contract/GATEWAY.md` section 3). This page lists all {count} server-to-client event
types: {active} are **active** (emitted by this server today) and {planned} are **planned**
(their domain event does not exist yet in `schema/events.yaml`).

- **Scope** is the actual delivery path: `connection` (direct to one connection), `channel`,
  `guild` or `user` fan-out.
- **Source** is the domain event whose log record produces the gateway event (see
  `schema/events.manifest.json`, `gateway_routes`), or `gateway` when the gateway emits it
  itself (connection lifecycle, presence, voice snapshots).
- **From** tells how a payload field is filled: `event.<field>` (domain event field),
  `meta.<field>` (record metadata, e.g. `meta.actor_user_id`), `derived: ...` or `const: ...`.
- Payloads may gain optional keys; clients ignore unknown keys and unknown types.
- Protocol v2 (`/gateway/ws?gateway_version=2`, `docs/adr/0060-gateway-v2-resume.md`): the
  same events with `"v": 2`; log-derived events add `pos` (`"partition:offset"`) and `cursor`
  (the resume point after the event); the first command may be `resume {cursor, subscriptions}`,
  answered by the missed events, then `resumed` (or `resume_unavailable`).
- Lengths are UTF-8 bytes; `ulid` is a 26-character Crockford base32 id; `unix` is integer
  seconds.

"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_type(spec: TypeSpec) -> str:
    kind = spec.kind
    if kind == "shape" or (kind == "object" and spec.shape):
        return f"[{spec.shape}](#{spec.shape.lower()})"
    if kind == "string":
        if spec.max_length is not None:
            return f"string ({spec.min_length}..{spec.max_length} bytes)"
        return f"string (>= {spec.min_length} bytes)" if spec.min_length else "string"
    if kind in ("int", "uint"):
        defaults = {"int": (-(2**63), 2**63 - 1), "uint": (0, 2**63 - 1)}[kind]
        if (spec.min, spec.max) == defaults:
            return kind
        return f"{kind} ({spec.min}..{spec.max})"
    if kind == "enum":
        return " \\| ".join(f'`"{v}"`' for v in spec.values)
    if kind == "list":
        limit = f" (<= {spec.max_items})" if spec.max_items is not None else ""
        return f"list of {md_type(spec.of)}{limit}"
    return kind  # ulid, unix, bool, object, union


def _presence(field: Field) -> str:
    words = ["optional" if field.optional else "required"]
    if field.nullable:
        words.append("nullable")
    return ", ".join(words)


def _rows(fields, prefix, with_from):
    for field in fields:
        cells = [f"`{prefix}{field.name}`", md_type(field.type), _presence(field)]
        if with_from:
            cells.append(f"`{field.source}`" if field.source else "")
        cells.append(_cell(field.description))
        yield "| " + " | ".join(cells) + " |"
        if field.type.kind == "object":
            yield from _rows(field.type.fields, f"{prefix}{field.name}.", with_from)


def field_table(fields, with_from=False):
    header = ["Field", "Type", "Presence"] + (["From"] if with_from else []) + ["Description"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += list(_rows(fields, "", with_from))
    return "\n".join(lines) + "\n"


def _summary(schema: Schema):
    lines = ["## Summary\n", "| Event | Scope | Version | Status | Source | Audience |",
             "|---|---|---|---|---|---|"]
    for event in schema.gateway_events:
        lines.append(f"| [`{event.type}`](#{event.type}) | {event.scope} | "
                     f"{event.schema_version} | {event.status} | {event.source or '—'} | "
                     f"{_cell(event.audience)} |")
    return "\n".join(lines) + "\n\n"


def _event(schema: Schema, event) -> str:
    source = event.source or "— (planned: no domain event yet)"
    if event.source and event.source != "gateway":
        source = f"`{event.source}` (`{schema.source_type(event)}`)"
    out = [f"### `{event.type}`\n\n{_cell(event.description)}\n\n",
           f"- Scope: `{event.scope}`; schema version {event.schema_version}; "
           f"status **{event.status}**\n",
           f"- Source: {source}\n", f"- Audience: {_cell(event.audience)}\n"]
    if event.trigger:
        out.append(f"- Trigger: {_cell(event.trigger)}\n")
    if event.payload_shape:
        out.append(f"- Payload: the [{event.payload_shape}](#{event.payload_shape.lower()}) "
                   "object, flat\n")
    with_from = any(f.source for f in event.payload) or any(
        f.type.kind == "object" and any(g.source for g in f.type.fields) for f in event.payload)
    out.append("\n" + field_table(event.payload, with_from) + "\n")
    return "".join(out)


def _shape(name, spec: TypeSpec) -> str:
    out = [f"### {name}\n\n{_cell(spec.description)}\n\n"]
    if spec.kind == "enum":
        out.append("Values: " + ", ".join(f'`"{v}"`' for v in spec.values) + "\n\n")
    elif spec.kind == "object":
        out.append(field_table(spec.fields) + "\n")
    else:
        out.append(f"Tagged by `{spec.tag}`:\n\n| `{spec.tag}` | Fields |\n|---|---|\n")
        for variant, fields in spec.variants:
            listed = ", ".join(f"`{f.name}`: {md_type(f.type)}"
                               + (" (nullable)" if f.nullable else "") for f in fields)
            out.append(f"| `{variant}` | {listed or '—'} |\n")
        out.append("\n")
    return "".join(out)


def emit(schema: Schema) -> str:
    events = schema.gateway_events
    active = sum(1 for e in events if e.active)
    out = [f"<!-- {banner_text(schema.path)} -->\n",
           INTRO.replace("{count}", str(len(events))).replace("{active}", str(active))
           .replace("{planned}", str(len(events) - active)),
           _summary(schema)]
    for scope in SCOPES:
        scoped = [e for e in events if e.scope == scope]
        if scoped:
            out.append(f"## {SCOPE_TITLES[scope]}\n\n")
            out += [_event(schema, e) for e in scoped]
    out.append("## Shapes\n\n")
    out += [_shape(name, spec) for name, spec in schema.shapes.items()]
    return "".join(out).rstrip("\n") + "\n"

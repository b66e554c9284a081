"""Loads schema/events.yaml into a validated model.

Every rule that the generated code, the docs and the evolution policy rely on is checked here,
so the emitters can assume a well-formed model. Errors are SchemaError with a dotted path.
"""

import dataclasses
import re
from typing import Dict, List, Optional, Tuple

import yaml

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UNIX_MAX = 253402300799  # 9999-12-31T23:59:59Z

PRIMITIVES = ("string", "ulid", "unix", "int", "uint", "bool", "enum")
COMPOSITES = ("list", "object", "union")
DOMAIN_LIST_ITEMS = ("string", "ulid", "enum")
SCOPES = ("connection", "channel", "guild", "user")
STATUSES = ("active", "planned")
GATEWAY_SOURCE = "gateway"
META_FIELDS = ("event_id", "type", "schema_version", "stream", "stream_version",
               "time_unix_ms", "actor_user_id", "correlation_id", "causation_id")

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
ENUM_VALUE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
xor xor_eq""".split())

FIELD_KEYS = {"type", "optional", "nullable", "description"}
KIND_KEYS = {
    "string": {"min_length", "max_length"},
    "ulid": set(),
    "unix": {"min", "max"},
    "int": {"min", "max"},
    "uint": {"min", "max"},
    "bool": set(),
    "enum": {"values"},
    "list": {"of", "max_items"},
    "object": {"fields"},
    "union": {"tag", "variants"},
}


class SchemaError(Exception):
    """An invalid schema; the message starts with the offending path."""


@dataclasses.dataclass
class TypeSpec:
    kind: str  # one of PRIMITIVES, COMPOSITES, or "shape"
    min_length: Optional[int] = None
    max_length: Optional[int] = None
    min: Optional[int] = None
    max: Optional[int] = None
    values: List[str] = dataclasses.field(default_factory=list)
    of: Optional["TypeSpec"] = None
    max_items: Optional[int] = None
    fields: List["Field"] = dataclasses.field(default_factory=list)
    tag: Optional[str] = None
    variants: List[Tuple[str, List["Field"]]] = dataclasses.field(default_factory=list)
    shape: Optional[str] = None  # referenced shape; on an "object", the shape it copies
    description: str = ""


@dataclasses.dataclass
class Field:
    name: str
    type: TypeSpec
    optional: bool = False
    nullable: bool = False
    description: str = ""
    source: Optional[str] = None  # gateway payloads: event.x / meta.x / derived: / const:


@dataclasses.dataclass
class Upcaster:
    from_version: int
    function: str


@dataclasses.dataclass
class DomainEvent:
    name: str
    type: str
    version: int
    stream: str
    stream_key: str
    description: str
    fields: List[Field]
    upcasters: List[Upcaster]

    def field(self, name: str) -> Optional[Field]:
        return next((f for f in self.fields if f.name == name), None)


@dataclasses.dataclass
class GatewayEvent:
    type: str
    scope: str
    schema_version: int
    status: str
    source: Optional[str]
    audience: str
    description: str
    trigger: str
    payload: List[Field]
    payload_shape: Optional[str]

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclasses.dataclass
class Schema:
    path: str  # as shown in banners, relative to the repository root
    streams: List[str]
    shapes: Dict[str, TypeSpec]
    domain_events: List[DomainEvent]
    gateway_events: List[GatewayEvent]

    def domain(self, name: str) -> Optional[DomainEvent]:
        return next((e for e in self.domain_events if e.name == name), None)

    def source_type(self, gateway_event: GatewayEvent) -> str:
        """The wire type routed to this gateway event: a domain type, "gateway" or ""."""
        if gateway_event.source is None:
            return ""
        if gateway_event.source == GATEWAY_SOURCE:
            return GATEWAY_SOURCE
        return self.domain(gateway_event.source).type

    def resolve(self, spec: TypeSpec) -> TypeSpec:
        while spec.kind == "shape":
            spec = self.shapes[spec.shape]
        return spec


# ---------------------------------------------------------------------------------------------
# YAML loading with duplicate-key detection (PyYAML silently keeps the last duplicate).


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise SchemaError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}'")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str):
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (SafeLoader subclass)
    except yaml.YAMLError as error:
        raise SchemaError(f"invalid YAML: {error}") from None


# ---------------------------------------------------------------------------------------------
# Generic helpers.


def _require(condition, path, message):
    if not condition:
        raise SchemaError(f"{path}: {message}")


def _mapping(value, path) -> dict:
    _require(isinstance(value, dict), path, "must be a mapping")
    return value


def _int(value, path, minimum=None) -> int:
    _require(isinstance(value, int) and not isinstance(value, bool), path, "must be an integer")
    if minimum is not None:
        _require(value >= minimum, path, f"must be >= {minimum}")
    return value


def _text(value, path, required=True) -> str:
    if value is None and not required:
        return ""
    _require(isinstance(value, str) and value.strip(), path, "must be a non-empty string")
    return value.strip()


def _check_keys(data: dict, allowed, path):
    unknown = sorted(set(data) - set(allowed))
    _require(not unknown, path, f"unknown key(s): {', '.join(map(str, unknown))}")


# ---------------------------------------------------------------------------------------------
# Types and fields.


def parse_type(data, path, shape_names, allow_composites=True) -> TypeSpec:
    """Parses a type spec: a bare type name or a mapping with `type` and its limits."""
    if isinstance(data, str):
        data = {"type": data}
    data = _mapping(data, path)
    kind = data.get("type")
    _require(isinstance(kind, str), path, "missing `type`")
    if kind not in PRIMITIVES and kind not in COMPOSITES:
        _require(kind in shape_names, path, f"unknown field type '{kind}'")
        _require(allow_composites, path, f"shape '{kind}' is not allowed here")
        _check_keys(data, FIELD_KEYS, path)
        return TypeSpec(kind="shape", shape=kind, description=data.get("description", ""))
    _require(allow_composites or kind in PRIMITIVES or kind == "list", path,
             f"type '{kind}' is not allowed here")
    _check_keys(data, FIELD_KEYS | KIND_KEYS[kind], path)
    spec = TypeSpec(kind=kind, description=str(data.get("description", "")).strip())
    _parse_limits(spec, data, path, shape_names, allow_composites)
    return spec


def _parse_limits(spec, data, path, shape_names, allow_composites):
    kind = spec.kind
    if kind == "string":
        spec.min_length = _int(data.get("min_length", 0), f"{path}.min_length", 0)
        if "max_length" in data:
            spec.max_length = _int(data["max_length"], f"{path}.max_length", 0)
            _require(spec.min_length <= spec.max_length, path, "min_length > max_length")
    elif kind in ("int", "uint", "unix"):
        low, high = {"int": (INT64_MIN, INT64_MAX), "uint": (0, INT64_MAX),
                     "unix": (0, UNIX_MAX)}[kind]
        spec.min = _int(data.get("min", low), f"{path}.min")
        spec.max = _int(data.get("max", high), f"{path}.max")
        _require(low <= spec.min <= spec.max <= high, path,
                 f"limits must satisfy {low} <= min <= max <= {high}")
    elif kind == "enum":
        values = data.get("values")
        _require(isinstance(values, list) and values, path, "enum needs a non-empty `values` list")
        for value in values:
            _require(isinstance(value, str) and ENUM_VALUE.match(value), path,
                     f"invalid enum value {value!r}")
        _require(len(set(values)) == len(values), path, "duplicate enum value")
        spec.values = list(values)
    elif kind == "list":
        _require("of" in data, path, "list needs `of`")
        spec.of = parse_type(data["of"], f"{path}.of", shape_names, allow_composites)
        _require(spec.of.kind != "list", path, "lists of lists are not supported")
        if not allow_composites:
            _require(spec.of.kind in DOMAIN_LIST_ITEMS, path,
                     "domain event lists hold string, ulid or enum items")
        if "max_items" in data:
            spec.max_items = _int(data["max_items"], f"{path}.max_items", 1)
    elif kind == "object":
        spec.fields = parse_fields(data.get("fields"), f"{path}.fields", shape_names)
    elif kind == "union":
        _parse_union(spec, data, path, shape_names)


def _parse_union(spec, data, path, shape_names):
    spec.tag = _text(data.get("tag"), f"{path}.tag")
    variants = _mapping(data.get("variants"), f"{path}.variants")
    _require(variants, path, "union needs variants")
    for name, body in variants.items():
        vpath = f"{path}.variants.{name}"
        _require(isinstance(name, str) and SNAKE.match(name), vpath, "variant names are snake_case")
        body = _mapping(body or {}, vpath)
        _check_keys(body, {"fields", "description"}, vpath)
        fields = parse_fields(body.get("fields") or {}, f"{vpath}.fields", shape_names,
                              allow_empty=True)
        _require(all(f.name != spec.tag for f in fields), vpath, "field repeats the tag")
        spec.variants.append((name, fields))


def parse_fields(data, path, shape_names, allow_composites=True, allow_empty=False):
    data = _mapping(data, path)
    _require(allow_empty or data, path, "needs at least one field")
    fields = []
    for name, body in data.items():
        fpath = f"{path}.{name}"
        _require(isinstance(name, str) and SNAKE.match(name), fpath,
                 "field names are snake_case")
        _require(name not in CPP_KEYWORDS, fpath, "field name is a C++ keyword")
        spec = parse_type(body, fpath, shape_names, allow_composites)
        body = body if isinstance(body, dict) else {}
        optional = body.get("optional", False)
        nullable = body.get("nullable", False)
        _require(isinstance(optional, bool), fpath, "`optional` must be true or false")
        _require(isinstance(nullable, bool), fpath, "`nullable` must be true or false")
        _require(allow_composites or not nullable, fpath,
                 "domain event fields cannot be nullable (use optional)")
        fields.append(Field(name=name, type=spec, optional=optional, nullable=nullable,
                            description=str(body.get("description", "")).strip()))
    return fields

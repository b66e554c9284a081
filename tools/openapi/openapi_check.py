#!/usr/bin/python3
"""Checks docs/openapi.yaml against the server and against real responses.

  openapi_check.py routes --binary build/filament [--document docs/openapi.yaml]
      The set of (method, path) in the document must equal the router's (`filament routes`).
  openapi_check.py document [--document docs/openapi.yaml]
      The document must pass the OpenAPI 3.1 validator (npm @seriousme/openapi-schema-validator,
      installed by tools/dev/install-deps.sh), every Schema Object must be a valid JSON Schema
      2020-12 schema, and every operation must follow the house rules (see Document.lint).
  openapi_check.py responses FILE.jsonl...
      Every recorded response (one JSON object a line, as filament_harness.py writes them) must
      be documented for its route and status and match the document's schema and headers.

Uses Debian's python3-yaml and python3-jsonschema (Draft 2020-12, the dialect of OpenAPI 3.1).
"""
import argparse
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DOCUMENT = os.path.join(ROOT, "docs", "openapi.yaml")
VALIDATOR_CLI = os.path.join(ROOT, "tools", "openapi", "node_modules", ".bin", "validate-api")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Statuses the transport and the global limiter may give any request, routed or not.
TRANSPORT_RESPONSES = {400: "BadRequest", 408: "RequestTimeout", 413: "PayloadTooLarge",
                       429: "RateLimited"}
# Statuses every operation must list because any request can get them (Document.lint).
REQUIRED_ON_EVERY_OPERATION = ("400", "408", "413", "429", "500")


def _load_jsonschema():
    try:
        import jsonschema  # noqa: PLC0415 (an install hint beats a bare ImportError)
    except ImportError:
        sys.exit("openapi_check: python3-jsonschema is missing (run tools/dev/install-deps.sh)")
    return jsonschema


def _escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def _essence(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_json(media_type):
    essence = _essence(media_type)
    return essence == "application/json" or essence.endswith("+json")


class Document:
    """The parsed document plus the lookups the checks need."""

    def __init__(self, path=DEFAULT_DOCUMENT, data=None):
        self.path = path
        if data is None:
            with open(path, encoding="utf-8") as f:
                data = yaml.safe_load(f)
        self.doc = data
        self._validators = {}
        self._jsonschema = _load_jsonschema()

    # ---- lookups ---------------------------------------------------------------------------
    def operations(self):
        """{(METHOD, path template)} of every operation."""
        return {(method.upper(), path)
                for path, item in (self.doc.get("paths") or {}).items()
                for method in METHODS if method in item}

    def resolve(self, node, pointer):
        """Follows `$ref`s (local only) from `node` found at `pointer`; returns (node, pointer)."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/") or ref in seen:
                raise ValueError(f"unresolvable or cyclic $ref {ref} at {pointer}")
            seen.add(ref)
            node = self.doc
            for token in ref[2:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or token not in node:
                    raise ValueError(f"$ref {ref} at {pointer} names nothing")
                node = node[token]
            pointer = ref
        return node, pointer

    def match_path(self, path):
        """The template the router would pick for a raw request path, or None.

        Same rules as api/support/router.cpp: equal segment count; a parameter matches one
        non-empty segment; literals compare the raw segment; segment by segment from the left a
        literal beats a parameter."""
        segments = path.split("/")[1:] if path.startswith("/") else None
        if segments is None:
            return None
        best, best_key = None, None
        for template in (self.doc.get("paths") or {}):
            parts = template.split("/")[1:]
            if len(parts) != len(segments):
                continue
            key = []
            for part, segment in zip(parts, segments):
                is_param = len(part) > 2 and part[0] == "{" and part[-1] == "}"
                if (is_param and not segment) or (not is_param and part != segment):
                    break
                key.append(1 if is_param else 0)
            else:
                if best_key is None or key < best_key:
                    best, best_key = template, key
        return best

    # ---- response checks -------------------------------------------------------------------
    def _response_for(self, method, path, status):
        """(response object, its pointer, None) or (None, None, problem)."""
        template = self.match_path(path)
        responses = self.doc["components"].get("responses", {})

        def component(name):
            return responses[name], "#/components/responses/" + name, None

        if template is None:
            if status == 404:
                return component("NotFound")
            if status in TRANSPORT_RESPONSES:
                return component(TRANSPORT_RESPONSES[status])
            return None, None, f"no documented path matches {path}, yet the status is {status}"
        item = self.doc["paths"][template]
        op_method = "get" if method == "HEAD" and "head" not in item else method.lower()
        if op_method not in item:
            if status == 405:
                return component("MethodNotAllowed")
            if status in TRANSPORT_RESPONSES:
                return component(TRANSPORT_RESPONSES[status])
            return None, None, f"{template} documents no {method}, yet the status is {status}"
        op_pointer = f"#/paths/{_escape(template)}/{op_method}/responses"
        documented = item[op_method].get("responses", {})
        key = str(status)
        if key not in documented:
            key = f"{str(status)[0]}XX"
        if key not in documented:
            listed = ", ".join(sorted(documented))
            return None, None, (f"status {status} is not documented for {method} {template} "
                                f"(documented: {listed})")
        response, pointer = self.resolve(documented[key], f"{op_pointer}/{key}")
        return response, pointer, None

    def _validator(self, pointer):
        if pointer not in self._validators:
            root = dict(self.doc)
            root["$schema"] = DIALECT
            root["$ref"] = pointer
            self._validators[pointer] = self._jsonschema.Draft202012Validator(root)
        return self._validators[pointer]

    def _schema_problems(self, instance, pointer, limit=3):
        errors = sorted(self._validator(pointer).iter_errors(instance),
                        key=lambda e: list(e.absolute_path))
        out = []
        for error in errors[:limit]:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            out.append(f"at {where}: {error.message[:300]}")
        return out

    def check_response(self, record):
        """Problems (strings) with one recorded response; empty when it matches the document."""
        method = record["method"].upper()
        status = int(record["status"])
        headers = {k.lower(): v for k, v in (record.get("headers") or {}).items()}
        label = f"{method} {record['path']} -> {status}"
        response, pointer, problem = self._response_for(method, record["path"], status)
        if problem:
            return [f"{label}: {problem}"]
        problems = []
        if status != 101 and "x-request-id" not in headers:
            problems.append(f"{label}: no x-request-id header")
        for name, header in (response.get("headers") or {}).items():
            header, header_pointer = self.resolve(header, f"{pointer}/headers/{name}")
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    problems.append(f"{label}: required header {name} is missing")
                continue
            if "schema" in header:
                for p in self._schema_problems(value, f"{header_pointer}/schema"):
                    problems.append(f"{label}: header {name}: {p}")
        problems += self._check_body(label, method, record, response, pointer)
        return problems

    def _check_body(self, label, method, record, response, pointer):
        content = response.get("content") or {}
        body = record.get("body") or ""
        if method == "HEAD":
            return []
        if not content:
            return [] if body == "" else [f"{label}: the document says no body, got {body[:80]!r}"]
        actual = _essence(record.get("content_type"))
        media = next((m for m in content if _essence(m) == actual), None)
        if media is None and actual:  # a range (`image/*`, `*/*`) covers what it names
            media = next((m for m in content
                          if _essence(m) in ("*/*", actual.split("/")[0] + "/*")), None)
        if media is None:
            return [f"{label}: content type {record.get('content_type')!r} is not documented "
                    f"({', '.join(content)})"]
        if "schema" not in content[media]:
            return []
        if _is_json(media):
            try:
                instance = json.loads(body)
            except ValueError:
                return [f"{label}: the body is not JSON: {body[:80]!r}"]
        else:
            instance = body
        schema_pointer = f"{pointer}/content/{_escape(media)}/schema"
        return [f"{label}: {p}" for p in self._schema_problems(instance, schema_pointer)]

    # ---- document checks -------------------------------------------------------------------
    def schema_objects(self):
        """(pointer, schema) of every Schema Object in components and paths."""
        out = []
        components = self.doc.get("components") or {}
        for name, schema in (components.get("schemas") or {}).items():
            out.append((f"#/components/schemas/{_escape(name)}", schema))

        def walk(node, pointer):
            if isinstance(node, dict):
                for key, value in node.items():
                    child = f"{pointer}/{_escape(str(key))}"
                    if key == "schema" and isinstance(value, dict):
                        out.append((child, value))
                    else:
                        walk(value, child)
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{pointer}/{i}")

        walk(self.doc.get("paths") or {}, "#/paths")
        for section in ("parameters", "headers", "responses", "requestBodies"):
            walk(components.get(section) or {}, f"#/components/{section}")
        return out

    def _dangling_refs(self, node, pointer):
        problems = []
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                try:
                    self.resolve({"$ref": node["$ref"]}, pointer)
                except ValueError as error:
                    problems.append(str(error))
            for key, value in node.items():
                problems += self._dangling_refs(value, f"{pointer}/{_escape(str(key))}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                problems += self._dangling_refs(value, f"{pointer}/{i}")
        return problems

    def _path_parameter_problems(self, label, path, op):
        """Each `{name}` of the template is declared once as an `in: path` parameter."""
        declared = []
        for i, param in enumerate((self.doc["paths"][path].get("parameters") or []) +
                                  (op.get("parameters") or [])):
            param, _ = self.resolve(param, f"{label} parameter {i}")
            if param.get("in") == "path":
                declared.append(param.get("name"))
        in_template = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        if sorted(declared) != sorted(in_template):
            return [f"{label}: path parameters {sorted(declared)} do not match the template"]
        return []

    def lint(self):
        """House rules beyond the OpenAPI schema; returns problems."""
        problems = []
        meta = self._jsonschema.Draft202012Validator
        for pointer, schema in self.schema_objects():
            try:
                meta.check_schema(schema)
            except self._jsonschema.exceptions.SchemaError as error:
                problems.append(f"{pointer}: not a JSON Schema 2020-12 schema: {error.message}")
        problems += self._dangling_refs(self.doc, "#")
        operation_ids = set()
        for method, path in sorted(self.operations()):
            op = self.doc["paths"][path][method.lower()]
            label = f"{method} {path}"
            op_id = op.get("operationId")
            if not op_id or op_id in operation_ids:
                problems.append(f"{label}: needs a unique operationId")
            operation_ids.add(op_id)
            problems += self._path_parameter_problems(label, path, op)
            responses = op.get("responses") or {}
            if not any(code.startswith(("1", "2")) for code in responses):
                problems.append(f"{label}: documents no success status")
            for code in REQUIRED_ON_EVERY_OPERATION:
                if code not in responses:
                    problems.append(f"{label}: must list {code} (any request can get it)")
            for code, response in responses.items():
                response, _ = self.resolve(response, f"{label} {code}")
                names = {n.lower() for n in (response.get("headers") or {})}
                if code != "101" and "x-request-id" not in names:
                    problems.append(f"{label} {code}: must declare the x-request-id header")
                is_error = code[0] in "45"
                if is_error and "application/json" not in (response.get("content") or {}):
                    problems.append(f"{label} {code}: an error must have a JSON Error body")
        return problems


def run_node_validator(document_path):
    """Runs the OpenAPI 3.1 validator from npm; returns problems."""
    if not os.path.exists(VALIDATOR_CLI):
        return [f"{VALIDATOR_CLI} is missing: run tools/dev/install-deps.sh "
                "(npm ci --prefix tools/openapi)"]
    result = subprocess.run([VALIDATOR_CLI, document_path], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        return [f"validate-api: {result.stdout.strip()} {result.stderr.strip()}"]
    return []


def router_routes(binary):
    result = subprocess.run([binary, "routes"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        sys.exit(f"openapi_check: `{binary} routes` failed: {result.stderr.strip()}")
    routes = set()
    for line in result.stdout.splitlines():
        method, _, path = line.strip().partition(" ")
        if line.strip():
            routes.add((method.upper(), path))
    return routes


def compare_routes(router, documented):
    problems = []
    for method, path in sorted(router - documented):
        problems.append(f"the router has {method} {path}, docs/openapi.yaml does not")
    for method, path in sorted(documented - router):
        problems.append(f"docs/openapi.yaml has {method} {path}, the router does not")
    return problems


def check_records(document, records):
    problems = []
    for record in records:
        problems += document.check_response(record)
    return problems


def _report(problems, ok_message):
    for problem in problems:
        print("FAIL:", problem)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print(ok_message)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--document", default=DEFAULT_DOCUMENT)
    sub = parser.add_subparsers(dest="command", required=True)
    routes = sub.add_parser("routes")
    routes.add_argument("--binary", required=True)
    sub.add_parser("document")
    responses = sub.add_parser("responses")
    responses.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    document = Document(args.document)
    if args.command == "routes":
        router = router_routes(args.binary)
        problems = compare_routes(router, document.operations())
        return _report(problems, f"router and document agree on {len(router)} routes")
    if args.command == "document":
        problems = run_node_validator(args.document) + document.lint()
        return _report(problems, f"{args.document}: valid OpenAPI 3.1, "
                                 f"{len(document.schema_objects())} schemas checked")
    records = []
    for name in args.files:
        with open(name, encoding="utf-8") as f:
            records += [json.loads(line) for line in f if line.strip()]
    problems = check_records(document, records)
    return _report(problems, f"{len(records)} responses match the document")


if __name__ == "__main__":
    sys.exit(main())

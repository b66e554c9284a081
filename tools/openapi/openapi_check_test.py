#!/usr/bin/python3
"""Self-test of openapi_check.py: each check must pass what is right and catch what is wrong.

Runs against the real docs/openapi.yaml (and mutated copies of it), without a server.
"""
import copy
import json
import os
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_check  # noqa: E402

GUILD = {"guild_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "name": "Makers", "visibility": "public"}


def record(method, path, status, body=None, headers=None, content_type="application/json"):
    text = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
    all_headers = {"x-request-id": "trace-1", "content-type": content_type}
    all_headers.update(headers or {})
    return {"method": method, "path": path, "status": status, "headers": all_headers,
            "content_type": content_type, "body": text}


class ResponseCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = openapi_check.Document()

    def problems(self, rec):
        return self.doc.check_response(rec)

    def test_a_documented_response_passes(self):
        ok = record("POST", "/guilds", 200, GUILD, {"x-filament-position": "3:17"})
        self.assertEqual(self.problems(ok), [])
        page = {"messages": [], "next_before": None}
        self.assertEqual(self.problems(record("GET", "/guilds/G/channels/C/messages", 200, page)),
                         [])

    def test_a_body_off_the_schema_fails(self):
        extra = dict(GUILD, owner="me")
        self.assertTrue(self.problems(record("POST", "/guilds", 200, extra,
                                             {"x-filament-position": "3:17"})))
        lower_id = dict(GUILD, guild_id=GUILD["guild_id"].lower())
        self.assertTrue(self.problems(record("POST", "/guilds", 200, lower_id,
                                             {"x-filament-position": "3:17"})))
        bad_token = {"messages": [{
            "message_id": GUILD["guild_id"], "guild_id": GUILD["guild_id"],
            "channel_id": GUILD["guild_id"], "author_id": GUILD["guild_id"], "content": "x",
            "markdown_tokens": [{"type": "heading_start", "level": 7}], "attachments": [],
            "reactions": [], "created_at_unix": 1}], "next_before": GUILD["guild_id"]}
        found = self.problems(record("GET", "/guilds/G/channels/C/messages", 200, bad_token))
        self.assertTrue(found)
        self.assertIn("markdown_tokens", found[0])

    def test_headers_are_checked(self):
        missing_position = self.problems(record("POST", "/guilds", 200, GUILD))
        self.assertIn("X-Filament-Position", " ".join(missing_position))
        bad_position = self.problems(record("POST", "/guilds", 200, GUILD,
                                            {"x-filament-position": "three"}))
        self.assertTrue(bad_position)
        # Present only when something was appended.
        join = {"guild_id": GUILD["guild_id"], "outcome": "already_member"}
        self.assertEqual(self.problems(record("POST", "/guilds/G/join", 200, join)), [])
        no_request_id = record("GET", "/health", 200, {"status": "ok"})
        del no_request_id["headers"]["x-request-id"]
        self.assertTrue(self.problems(no_request_id))

    def test_an_undocumented_status_or_error_code_fails(self):
        found = self.problems(record("POST", "/guilds", 404, {"error": "not_found"}))
        self.assertIn("status 404 is not documented for POST /guilds", found[0])
        wrong_code = self.problems(record("POST", "/guilds", 403, {"error": "forbidden"}))
        self.assertTrue(wrong_code)
        self.assertEqual(self.problems(record("POST", "/guilds", 403,
                                              {"error": "guild_creation_limit_reached"})), [])
        plain_text = self.problems(record("POST", "/guilds", 400, "bad", content_type="text/plain"))
        self.assertTrue(plain_text)

    def test_unrouted_requests(self):
        self.assertEqual(self.problems(record("GET", "/no/such/route", 404,
                                              {"error": "not_found"})), [])
        self.assertTrue(self.problems(record("GET", "/no/such/route", 500,
                                             {"error": "internal_error"})))
        allowed = record("DELETE", "/health", 405, {"error": "method_not_allowed"},
                         {"allow": "GET, HEAD"})
        self.assertEqual(self.problems(allowed), [])
        del allowed["headers"]["allow"]
        self.assertTrue(self.problems(allowed))
        limited = record("DELETE", "/health", 429, {"error": "rate_limited"},
                         {"retry-after": "3"})
        self.assertEqual(self.problems(limited), [])

    def test_content_types(self):
        metrics = record("GET", "/metrics", 200, "# HELP x\n",
                         content_type="text/plain; version=0.0.4; charset=utf-8")
        self.assertEqual(self.problems(metrics), [])
        as_json = record("GET", "/metrics", 200, {"x": 1})
        self.assertIn("content type", self.problems(as_json)[0])

    def test_a_media_range_covers_any_type_but_headers_still_count(self):
        path = "/guilds/G/channels/C/attachments/A"
        headers = {"x-content-type-options": "nosniff", "cache-control": "private, no-store"}
        pdf = record("GET", path, 200, "%PDF-1.4", headers, content_type="application/pdf")
        self.assertEqual(self.problems(pdf), [])
        cached = record("GET", path, 200, "x", dict(headers, **{"cache-control": "public"}),
                        content_type="image/png")
        self.assertIn("cache-control", self.problems(cached)[0].lower())
        plain = record("GET", "/guilds/G/search", 400, "missing q", content_type="text/plain")
        self.assertEqual(self.problems(plain), [])
        html = record("GET", "/guilds/G/search", 400, "x", content_type="text/html")
        self.assertIn("content type", self.problems(html)[0])

    def test_path_matching_follows_the_router(self):
        match = self.doc.match_path
        self.assertEqual(match("/guilds/public"), "/guilds/public")
        self.assertEqual(match("/guilds/X/channels"), "/guilds/{guild_id}/channels")
        self.assertIsNone(match("/guilds//channels"))
        self.assertIsNone(match("/guilds/"))
        self.assertIsNone(match("guilds"))


class DocumentCheckTest(unittest.TestCase):
    def setUp(self):
        with open(openapi_check.DEFAULT_DOCUMENT, encoding="utf-8") as f:
            self.data = yaml.safe_load(f)

    def lint(self, data):
        return openapi_check.Document(data=data).lint()

    def test_the_document_passes_and_mutations_fail(self):
        self.assertEqual(self.lint(self.data), [])
        no_429 = copy.deepcopy(self.data)
        del no_429["paths"]["/guilds"]["get"]["responses"]["429"]
        self.assertIn("GET /guilds: must list 429", " ".join(self.lint(no_429)))
        bad_schema = copy.deepcopy(self.data)
        bad_schema["components"]["schemas"]["Guild"]["type"] = "objekt"
        self.assertIn("Guild", " ".join(self.lint(bad_schema)))
        undeclared = copy.deepcopy(self.data)
        undeclared["paths"]["/guilds/{guild_id}/join"]["parameters"].pop()
        self.assertIn("path parameters", " ".join(self.lint(undeclared)))
        dangling = copy.deepcopy(self.data)
        dangling["components"]["schemas"]["Guild"]["properties"]["name"] = {
            "$ref": "#/components/schemas/NoSuchName"}
        self.assertIn("NoSuchName", " ".join(self.lint(dangling)))

    def test_the_routes_comparison_names_both_sides(self):
        documented = openapi_check.Document(data=self.data).operations()
        router = set(documented) | {("DELETE", "/guilds/{guild_id}")}
        router.discard(("GET", "/health"))
        problems = openapi_check.compare_routes(router, documented)
        self.assertEqual(problems, [
            "the router has DELETE /guilds/{guild_id}, docs/openapi.yaml does not",
            "docs/openapi.yaml has GET /health, the router does not"])

    def test_the_openapi_validator_rejects_a_broken_document(self):
        broken = copy.deepcopy(self.data)
        del broken["info"]
        broken["paths"]["/health"]["get"]["responses"]["200"]["content"] = "json"
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump(broken, f)
        try:
            self.assertTrue(openapi_check.run_node_validator(f.name))
        finally:
            os.unlink(f.name)
        self.assertEqual(openapi_check.run_node_validator(openapi_check.DEFAULT_DOCUMENT), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

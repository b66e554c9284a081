#!/usr/bin/env python3
"""Writes the seed corpora of tools/fuzz (corpus/<target>/<name>), deterministically.

Each seed carries the target's input prefix (see the header comment of <target>_fuzz.cpp)
followed by a real input: requests, frames, envelopes, headers and payloads shaped exactly
as the code produces or accepts them (event payloads from schema/events.yaml). Rerun after
changing a target's input format: tools/fuzz/make_corpus.py (it replaces corpus/*/seed-*).
The libFuzzer runs of tools/fuzz/run.sh never write here; crash reproducers are added by
hand as corpus/<target>/crash-<what> and are kept by this script.
"""
import json
import os
import struct
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ULID = "01HZX3F4G5H6J7K8M9N0P1Q2R3"
SPLITS = bytes([0, 3, 7, 1, 12, 30, 2, 5])  # 8 chunk-size bytes of the split targets


def ws_frame(opcode, payload, fin=True, mask=b"\x11\x22\x33\x44"):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def http_seeds():
    reqs = [
        b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n",
        b"POST /guilds HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        b"Content-Length: 16\r\n\r\n{\"name\":\"Demo\"}",
        b"POST /auth/login HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nTrailer: t\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        b"GET /gateway/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        b"PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
        b"GET / HTTP/1.0\r\n\r\n",
        b"HEAD /users/@me HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer t\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    ]
    return {f"req{i}": bytes([32]) + SPLITS + r for i, r in enumerate(reqs)}


def ws_seeds():
    frames = [
        ws_frame(1, b'{"v":1,"t":"subscribe","d":{}}'),
        ws_frame(1, "h\u00e9llo".encode(), fin=False) + ws_frame(0, b" world"),
        ws_frame(9, b"ping") + ws_frame(10, b""),
        ws_frame(8, struct.pack(">H", 1000) + b"bye"),
        ws_frame(2, bytes(range(200))),
        ws_frame(1, b"a", fin=False) + ws_frame(9, b"p") + ws_frame(0, b"b"),
    ]
    return {f"frame{i}": bytes([64]) + SPLITS + f for i, f in enumerate(frames)}


def json_seeds():
    bodies = [
        {"name": "Demo", "visibility": "public"},
        {"content": "hi", "ids": [ULID, ULID], "flag": True, "n": 5},
        {"a": None, "b": "x", "kind": "text"},
        {"name": "\u00e9\u20ac", "n": -7, "content": "", "ids": []},
    ]
    out = {f"body{i}": bytes([0, 0x00, 0x51, 0x82, 0x13, 0x64, 0x35, 0x76, 0x07]) +
           json.dumps(b, separators=(",", ":")).encode() for i, b in enumerate(bodies)}
    out["nested"] = bytes([1]) + bytes(8) + b'{"a":[[[[{"b":[1,2.5e3,"\\u00e9"]}]]]]}'
    return out


def router_seeds():
    paths = [
        (0, "/guilds/%s/channels/%s/messages?limit=50&before=%s" % (ULID, ULID, ULID)),
        (1, "/guilds/%s/channels/%s/messages/%s/reactions/%%F0%%9F%%91%%8D" % (ULID, ULID, ULID)),
        (0, "/guilds/public?q=a+b&cursor=%20x"),
        (2, "/users/@me"),
        (3, "/friends/%s/" % ULID),
        (0, "/users/%E2%82%AC/avatar?x&y=&z=-12"),
    ]
    return {f"path{i}": bytes([m]) + p.encode() for i, (m, p) in enumerate(paths)}


def gateway_seeds():
    frames = [
        {"v": 1, "t": "subscribe", "d": {"guild_id": ULID, "channel_id": ULID}},
        {"v": 1, "t": "message_create",
         "d": {"guild_id": ULID, "channel_id": ULID, "content": "hello"}},
        {"v": 1, "t": "message_create",
         "d": {"guild_id": ULID, "channel_id": ULID, "content": "",
               "attachment_ids": [ULID, ULID.lower()]}},
        {"v": 1, "t": "presence_sync", "d": None},
        {"v": 2, "t": "subscribe", "d": {}},
    ]
    return {f"env{i}": json.dumps(f, separators=(",", ":")).encode()
            for i, f in enumerate(frames)}


def pg_seeds():
    sep = b"\xff"
    stream = ("guild:" + ULID).encode()
    rec = [ULID.encode(), b"message_posted", b'{"content":"hi"}']
    return {
        "batch": sep.join([struct.pack("<q", (1 << 32) | 3), stream] + rec + rec),
        "extreme": sep.join([struct.pack("<q", 2**63 - 1), stream] + rec),
        "text": sep.join([b"\x00" * 8, "\u00e9\"\\,{}".encode(), b"\xc3", b"-42"]),
    }


def kafka_seeds():
    names = ["ce_specversion", "ce_id", "ce_type", "ce_time", "ce_subject", "stream_version",
             "schema_version", "actor_user_id", "correlation_id", "causation_id", "ce_source",
             "content-type"]
    stream = "guild:" + ULID
    values = ["1.0", ULID, "message_posted", "2024-05-01T12:34:56.789Z", stream, "17", "1", ULID,
              "req-1", "cmd-1", "/filament", "application/json"]
    headers = b"".join(bytes([i]) + v.encode() + b"\xff" for i, v in enumerate(values))
    out = {"headers": b"\x01" + stream.encode() + b"\xff" + headers}
    times = ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+00:00",
             "2024-02-29T23:59:60.5-01:30"]
    alt = b"".join(bytes([3]) + t.encode() + b"\xff" for t in times)
    out["times"] = b"\x00" + b"\xff" + alt
    return out


def sample_value(spec, shapes):
    if isinstance(spec, str):
        spec = shapes.get(spec, {"type": spec})
    t = spec["type"]
    if t in shapes:
        return sample_value(shapes[t], shapes)
    if t == "ulid":
        return ULID
    if t in ("unix", "int", "uint"):
        return max(spec.get("min", 0), 1)
    if t == "bool":
        return True
    if t == "enum":
        return spec["values"][0]
    if t == "string":
        return "x" * max(spec.get("min_length", 0), 1)
    if t == "list":
        return [sample_value(spec["of"], shapes)]
    if t == "object":
        return {k: sample_value(v, shapes) for k, v in spec.get("fields", {}).items()}
    return None


def log_record_seeds():
    schema = yaml.safe_load(open(os.path.join(ROOT, "schema/events.yaml")))
    shapes = schema.get("shapes", {})
    out = {}
    for i, (name, ev) in enumerate(schema["domain_events"].items()):
        payload = {k: sample_value(v, shapes) for k, v in ev.get("fields", {}).items()}
        out[ev["type"]] = (f"{i % 4}:{i * 1000}".encode() + b"\xff" + bytes([4, i, ev["version"]]) +
                           json.dumps(payload, separators=(",", ":")).encode())
    return out


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def archive(records, partitions=2):
    """An archive as events/log_archive.cpp writes it (ADR 0053)."""
    def frame(kind, body):
        head = kind + struct.pack("<I", len(body))
        return head + body + struct.pack("<I", crc32c(head + body))
    ends = [0] * partitions
    frames, digest = [], 0
    for part, meta, payload in records:
        body = struct.pack("<iqiqq", part, ends[part], 1, ends[part] + 1, 1714566896789)
        for field in meta + [payload]:
            body += struct.pack("<I", len(field)) + field.encode()
        ends[part] += 1
        digest = crc32c(body, digest)
        frames.append(frame(b"R", body))
    header = {"format": "filament-log-archive", "version": 1, "partitions": partitions,
              "source": {"kind": "postgres", "name": "event_log"},
              "created_unix_ms": 1714566896789, "end_offsets": ends}
    trailer = {"records": len(records), "per_partition": ends, "records_crc32c": digest}
    dumps = lambda j: json.dumps(j, separators=(",", ":")).encode()
    return (b"FLMTLOG\n" + frame(b"H", dumps(header)) + b"".join(frames) +
            frame(b"T", dumps(trailer)))


def partition_for(stream, partitions):
    h = 2166136261
    for c in stream.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return 0 if partitions <= 1 else h % partitions


def log_archive_seeds():
    records = []
    for i, payload in enumerate(['{"content":"hi"}', "{}", '{"a":[1,2]}']):
        stream = "guild:" + ULID[:-1] + "ABC"[i]
        meta = [ULID, "message_posted", stream, ULID, "req-1", ""]
        records.append((partition_for(stream, 2), meta, payload))
    return {"empty": archive([]), "three": archive(records)}


def markdown_seeds():
    texts = [
        "# Hi\n\nsome *em* and **strong** and `code` text",
        "```rust\nfn main() {}\n```\n\n    indented\n",
        "1. one\n2. two\n   - nested\n\n- a\n\n- b",
        "> quote with [link](https://example.com \"t\") and ![img](http://x/y.png)",
        "bare https://example.com/a_(b). and mailto:me@example.com, <b>html</b>",
        "line\\\nbreak  \nhard\n***\n<div>\nblock\n</div>\n[ref]\n\n[ref]: http://r",
    ]
    out = {f"md{i}": t.encode() for i, t in enumerate(texts)}
    out["bytes"] = "\u00e9\u20ac \U0001F44D ".encode() + b"\x00 \xff \xed\xa0\x80 \xc0\x80"
    return out


def search_seeds():
    queries = ["release notes", '"hello world"~2 -spam', "deploy* de?loy dep*oy",
               "deploi~ deploi~2", "a OR b c NOT d +e AND f", "\u3000hello\u00a0",
               "a: b", '"unterminated']
    return {f"q{i}": bytes([i & 1]) + q.encode() for i, q in enumerate(queries)}


TARGETS = {
    "http_request": http_seeds, "ws_frame": ws_seeds, "json_body": json_seeds,
    "router": router_seeds, "gateway_envelope": gateway_seeds, "pg_codec": pg_seeds,
    "kafka_codec": kafka_seeds, "log_record": log_record_seeds, "log_archive": log_archive_seeds,
    "markdown": markdown_seeds,
    "search_query": search_seeds,
}


def write_log_record_dict():
    """Event wire types and field names, as a libFuzzer dictionary (log_record.dict)."""
    schema = yaml.safe_load(open(os.path.join(ROOT, "schema/events.yaml")))
    words = set()
    for ev in schema["domain_events"].values():
        words.add(ev["type"])
        words.update(ev.get("fields", {}))
    lines = ["# Generated by tools/fuzz/make_corpus.py from schema/events.yaml."]
    lines += ['"\\"%s\\""' % w for w in sorted(words)]
    with open(os.path.join(HERE, "log_record.dict"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    write_log_record_dict()
    for target, make in TARGETS.items():
        folder = os.path.join(HERE, "corpus", target)
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            if old.startswith("seed-"):
                os.remove(os.path.join(folder, old))
        for name, data in make().items():
            with open(os.path.join(folder, f"seed-{name}"), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

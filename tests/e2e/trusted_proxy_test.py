#!/usr/bin/python3
"""End-to-end: behind a trusted proxy every forwarded client address is its own client (issue #14).

The server trusts every peer (FILAMENT_TRUSTED_PROXY_CIDRS=0.0.0.0/0,::/0), so the address it
keys limiters (and IP bans) by comes from CF-Connecting-IP or the first X-Forwarded-For entry
(REST_API.md §1.1). With one login per minute per route and address, a client's first failed
login is 401 and its second 429. A dangling view of the header once made the resolved address
depend on the header's length; these cases cover addresses and headers of every length, and are
also run against an AddressSanitizer build (tools/dev/asan.sh).

Usage: trusted_proxy_test.py --binary build/filament
"""
import ipaddress
import random
import socket
import unittest

from filament_harness import Server, run_tests

ARGS = None
TRUST_ALL = "0.0.0.0/0,::/0"
WRONG_LOGIN = {"username": "nobody", "password": "wrong password!!"}
# The exact sequence of issue #14 (observed then: 401, 401, 401, 429, 429, 401).
ISSUE_SEQUENCE = ["1.1.1.1", "1.1.1.2", "100.100.100.100", "100.100.100.101", "11.22.33.44",
                  "1.2.3.44"]
# An address whose bucket is kept spent during the sweep: forms that must ignore it carry it.
SPENT = "198.18.0.1"


def server(**env):
    env = {"FILAMENT_TRUSTED_PROXY_CIDRS": TRUST_ALL, **env}
    return Server(ARGS.binary, env={k: str(v) for k, v in env.items()}).start()


def login(s, headers):
    return s.request("POST", "/auth/login", WRONG_LOGIN, headers=headers)[0]


def ipv4_of_every_length(rng):
    """Three distinct public-looking IPv4 addresses per text length 7..15."""
    by_length = {n: set() for n in range(7, 16)}
    while any(len(v) < 3 for v in by_length.values()):
        text = ".".join(str(rng.choice([rng.randrange(1, 10), rng.randrange(10, 100),
                                        rng.randrange(100, 256)])) for _ in range(4))
        if not text.startswith(("127.", "198.18.")) and len(by_length[len(text)]) < 3:
            by_length[len(text)].add(text)
    return [a for n in sorted(by_length) for a in sorted(by_length[n])]


def ipv6_of_every_length(rng):
    """One IPv6 address per compressed text length 3..39, plus two 44/45-char texts with an
    embedded dotted quad. Returned as the text to send."""
    def group(digits):
        return rng.choice("23456789abcdef") + "".join(rng.choice("0123456789abcdef")
                                                     for _ in range(digits - 1))

    def groups(count, digits):  # `count` nonzero groups holding `digits` hex digits in all
        sizes = [1] * count
        for _ in range(digits - count):
            sizes[rng.choice([i for i in range(count) if sizes[i] < 4])] += 1
        return [group(n) for n in sizes]

    texts = []
    for length in range(3, 40):
        if length <= 6:
            text = "::" + group(length - 2)
        elif length <= 10:
            g = groups(2, length - 2)
            text = f"{g[0]}::{g[1]}"
        elif length <= 14:
            g = groups(4, length - 4)
            text = f"{g[0]}:{g[1]}::{g[2]}:{g[3]}"
        else:
            text = ":".join(groups(8, length - 7))
        assert ipaddress.IPv6Address(text).compressed == text and len(text) == length, text
        texts.append(text)
    return texts + ["2001:db8:ffff:ffff:ffff:ffff:198.51.100.200",
                    "ffff:ffff:ffff:ffff:ffff:fffe:255.255.255.255"]


# Header forms: each maps an address spelling to the headers of one request.
def xff_single(text):
    return {"X-Forwarded-For": text}


def xff_padded_entry(text):
    """The first entry padded with spaces to the 64-char entry cap (the HTTP parser would strip
    spaces at the ends of the header, so they go before the comma)."""
    return {"X-Forwarded-For": text + " " * (64 - len(text)) + ", 10.9.8.7"}


def xff_long_chain(text):
    """Proxies appended, then spaces after the first comma: the header is exactly 512 chars."""
    hops = [f"10.{i}.{i * 7 % 256}.{i * 13 % 256}" for i in range(1, 200)]
    rest = ""
    while len(text) + 2 + len(rest) + len(hops[0]) + 2 <= 512:
        rest += ", " + hops.pop(0)
    return {"X-Forwarded-For": text + "," + " " * (512 - len(text) - len(rest)) + rest[1:]}


def cf_over_spent_xff(text):
    """CF-Connecting-IP wins over X-Forwarded-For (whose address is spent)."""
    return {"CF-Connecting-IP": text, "X-Forwarded-For": SPENT}


def bad_cf_then_xff(text):
    """An unusable CF-Connecting-IP (a port) falls back to X-Forwarded-For."""
    return {"CF-Connecting-IP": SPENT + ":443", "X-Forwarded-For": text + ",2001:db8::dead"}


FORMS = [xff_single, xff_long_chain, cf_over_spent_xff, xff_padded_entry, bad_cf_then_xff]


def spellings(text):
    """`text` first, then other spellings of the same address (IPv6: exploded, upper case)."""
    address = ipaddress.ip_address(text)
    if address.version == 4:
        return [text]
    others = [address.exploded.upper(), address.compressed.upper(), address.exploded]
    return list(dict.fromkeys([text] + others))


# Headers a trusted proxy's request is resolved to the peer with (whose bucket is spent).
TO_THE_PEER = [
    {"X-Forwarded-For": "203.0.113.1:8080, 203.0.113.2"},  # a port: not a bare IP
    {"X-Forwarded-For": "[2001:db8::1]"},
    {"X-Forwarded-For": "203.0.113.3," + " " * 493 + "10.0.0.1"},  # 513 chars: ignored
    {"X-Forwarded-For": "203.0.113.4" + " " * 54 + ", 10.0.0.1"},  # first entry 65 chars
    {"CF-Connecting-IP": "203.0.113.5, 203.0.113.6"},  # not a bare IP, and no X-Forwarded-For
    {"X-Forwarded-For": "garbage, 203.0.113.6"},  # only the first entry counts
]


class TrustedProxyTest(unittest.TestCase):
    def test_issue_sequence_gives_each_address_its_own_bucket(self):
        s = server(FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE=1)
        try:
            first = [login(s, xff_single(a)) for a in ISSUE_SEQUENCE]
            self.assertEqual(first, [401] * 6, list(zip(ISSUE_SEQUENCE, first)))
            second = [login(s, xff_single(a)) for a in ISSUE_SEQUENCE]
            self.assertEqual(second, [429] * 6, list(zip(ISSUE_SEQUENCE, second)))
        finally:
            s.stop()

    def test_every_length_and_header_form_is_its_own_bucket(self):
        """Per address: first login (one form) 401, second (another form and spelling) 429.

        Right before each address the peer's bucket and SPENT's are used up, so a first login
        that falls back to the peer, or reads a header that must lose, is a 429; a key that is
        not the address makes the second a 401. A bucket refills a minute after its token is
        taken, so each address's logins are sent back to back (slow Argon2 under load)."""
        rng = random.Random(14)
        texts = ipv4_of_every_length(rng) + ipv6_of_every_length(rng)
        cases = []  # (address, headers of the first login, headers of the second)
        for i, text in enumerate(texts):
            names = spellings(text)
            cases.append((text, FORMS[i % len(FORMS)](names[0]),
                          FORMS[(i + 1) % len(FORMS)](names[1 % len(names)])))
        # An IPv4-mapped IPv6 address is the IPv4 client (the same bucket by design).
        cases.append(("::ffff:203.0.113.77", xff_single("::ffff:203.0.113.77"),
                      cf_over_spent_xff("203.0.113.77")))
        self.assertEqual(len({ipaddress.ip_address(t) for t, _, _ in cases}), len(cases))
        s = server(FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE=1)
        try:
            self.assertEqual(login(s, {}), 401)
            self.assertEqual(login(s, {}), 429, "the peer's own bucket")
            wrong = []
            for text, first, second in cases:
                spend_peer_and_spent(s)
                got = (login(s, first), login(s, second))
                if got != (401, 429):
                    wrong.append((text, first, second, got))
            self.assertEqual(wrong, [], f"{len(wrong)} of {len(cases)} addresses: not (401, 429)")
            fallbacks = []
            for headers in TO_THE_PEER:
                spend_peer_and_spent(s)
                fallbacks.append(login(s, headers))
            self.assertEqual(fallbacks, [429] * len(TO_THE_PEER), TO_THE_PEER)
        finally:
            s.stop()

    def test_gateway_upgrade_is_limited_per_forwarded_address(self):
        """The upgrade request is under the global limiter, keyed by the resolved address."""
        s = server(FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE=1)
        try:
            addresses = ISSUE_SEQUENCE + ["2001:db8:85a3::8a2e:370:7334", "::2"]
            first = [upgrade_status(s, a) for a in addresses]
            self.assertEqual(first, [401] * len(addresses), list(zip(addresses, first)))
            second = [upgrade_status(s, a) for a in addresses]
            self.assertEqual(second, [429] * len(addresses), list(zip(addresses, second)))
        finally:
            s.stop()


def spend_peer_and_spent(s):
    """Leaves no token in the peer's bucket nor in SPENT's (each holds at most one)."""
    login(s, {})
    login(s, xff_single(SPENT))


def upgrade_status(s, forwarded_for):
    """Status of a gateway upgrade with an invalid token (raw socket: urllib would replace the
    Connection header)."""
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as conn:
        conn.sendall(b"GET /gateway/ws?access_token=x HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: Upgrade\r\nUpgrade: websocket\r\n"
                     b"Sec-WebSocket-Version: 13\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"X-Forwarded-For: " + forwarded_for.encode() + b"\r\n\r\n")
        reply = conn.recv(4096).decode()
    return int(reply.split(" ", 2)[1])


if __name__ == "__main__":
    run_tests(with_log=False)

#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace filament::api {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are stored as IPv4, so
// a dual-stack listener and an IPv4 proxy header give the same key.
struct IpAddress {
  bool is_v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes

  // Parses a bare address: dotted quad without leading zeros, or RFC 4291 IPv6 text. No port,
  // brackets, zone id or whitespace. nullopt when invalid.
  static std::optional<IpAddress> Parse(std::string_view text);
  // Canonical text: dotted quad, or RFC 5952 lower-case compressed IPv6.
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// A network: "10.0.0.0/8", "2001:db8::/32", or a bare address (/32 or /128). Host bits after
// the prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8). An IPv4 network matches IPv4 addresses
// only and an IPv6 network IPv6 only (IPv4-mapped addresses count as IPv4).
class CidrBlock {
 public:
  static std::optional<CidrBlock> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const;
  int prefix_length() const { return prefix_; }
  const IpAddress& network() const { return network_; }

 private:
  IpAddress network_;
  int prefix_ = 0;
};

// Looks up a request header by lower-case name; nullopt when absent. Returns an owned copy, so
// a lookup that builds its result on the fly (as http::HttpRequest::Header does) is safe: a
// view-returning lookup let std::function turn that temporary into a dangling view (issue #14).
using HeaderLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Resolves the client IP used by IP-keyed limiters, IP bans and audit (REST_API.md §1.1):
// the TCP peer, unless the peer is a trusted proxy, in which case `cf-connecting-ip` (a bare
// IP of at most 64 chars) and then the first entry of `x-forwarded-for` (header at most
// 512 chars, entry at most 64 chars, bare IP without port) are honoured, in that order.
// Immutable after construction; thread-safe.
class ClientIpResolver {
 public:
  // No trusted proxies: the peer is always the client.
  ClientIpResolver() = default;

  // Parses FILAMENT_TRUSTED_PROXY_CIDRS: a comma-separated list of CIDRs or bare IPs
  // (whitespace around entries and empty entries ignored). Any invalid entry ->
  // kInvalidArgument naming it (start-up must fail).
  static core::Result<ClientIpResolver> FromConfig(std::string_view trusted_proxy_cidrs);

  // `peer_ip` is the transport's bare peer address ("" when there is none, as in in-process
  // tests). Returns the canonical text of the client address, or "unknown" when there is no
  // usable peer address.
  std::string Resolve(std::string_view peer_ip, const HeaderLookup& header) const;

  bool IsTrustedProxy(const IpAddress& peer) const;

 private:
  std::vector<CidrBlock> trusted_;
};

}  // namespace filament::api

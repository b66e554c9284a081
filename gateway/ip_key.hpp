#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace filament::gateway {

// A canonical key for a bare IPv4 or IPv6 address: its family and network-order bytes, so
// "2001:DB8::1" and "2001:db8:0::1" compare equal. IPv4 and IPv4-mapped IPv6 stay distinct,
// as PostgreSQL's inet equality keeps them (the REST gate compares there). nullopt when `text`
// is not a bare address (e.g. "unknown", or with a prefix length or port).
std::optional<std::string> IpKey(std::string_view text);

}  // namespace filament::gateway

#include "api/support/client_ip.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>

#include "core/config.hpp"

namespace filament::api {
namespace {

constexpr size_t kMaxForwardedEntry = 64;
constexpr size_t kMaxForwardedHeader = 512;
constexpr size_t kMaxAddressText = 45;  // longest IPv6 text (with an embedded dotted quad)

std::string_view Trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// A bare address in at most `max_len` chars (surrounding whitespace included), else nullopt.
std::optional<IpAddress> ParseBounded(std::string_view text, size_t max_len) {
  if (text.size() > max_len) return std::nullopt;
  return IpAddress::Parse(Trim(text));
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char buffer[kMaxAddressText + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(address.bytes.data(), kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    return address;
  }
  address.is_v6 = true;
  return address;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

std::optional<CidrBlock> CidrBlock::Parse(std::string_view text) {
  size_t slash = text.find('/');
  std::optional<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  int max_prefix = address->is_v6 ? 128 : 32;
  int64_t prefix = max_prefix;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.size() > 3 || !core::ParseInt64Strict(digits, prefix) || prefix > max_prefix) {
      return std::nullopt;
    }
  }
  CidrBlock block;
  block.prefix_ = static_cast<int>(prefix);
  block.network_ = *address;
  for (int bit = block.prefix_; bit < max_prefix; ++bit) {
    block.network_.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return block;
}

bool CidrBlock::Contains(const IpAddress& address) const {
  if (address.is_v6 != network_.is_v6) return false;
  int full_bytes = prefix_ / 8;
  if (std::memcmp(address.bytes.data(), network_.bytes.data(), full_bytes) != 0) return false;
  int rest = prefix_ % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xffu << (8 - rest));
  return (address.bytes[full_bytes] & mask) == network_.bytes[full_bytes];
}

core::Result<ClientIpResolver> ClientIpResolver::FromConfig(std::string_view trusted_proxy_cidrs) {
  ClientIpResolver resolver;
  while (!trusted_proxy_cidrs.empty()) {
    size_t comma = trusted_proxy_cidrs.find(',');
    std::string_view entry = Trim(trusted_proxy_cidrs.substr(0, comma));
    trusted_proxy_cidrs.remove_prefix(comma == std::string_view::npos ? trusted_proxy_cidrs.size()
                                                                      : comma + 1);
    if (entry.empty()) continue;
    std::optional<CidrBlock> block = CidrBlock::Parse(entry);
    if (!block) {
      return core::InvalidArgument("FILAMENT_TRUSTED_PROXY_CIDRS: invalid CIDR or IP '" +
                                   std::string(entry) + "'");
    }
    resolver.trusted_.push_back(*block);
  }
  return resolver;
}

bool ClientIpResolver::IsTrustedProxy(const IpAddress& peer) const {
  return std::any_of(trusted_.begin(), trusted_.end(),
                     [&](const CidrBlock& block) { return block.Contains(peer); });
}

std::string ClientIpResolver::Resolve(std::string_view peer_ip, const HeaderLookup& header) const {
  std::optional<IpAddress> peer = IpAddress::Parse(peer_ip);
  if (!peer) return "unknown";
  if (!IsTrustedProxy(*peer) || !header) return peer->ToString();
  if (std::optional<std::string> cf = header("cf-connecting-ip")) {
    if (auto address = ParseBounded(*cf, kMaxForwardedEntry)) return address->ToString();
  }
  std::optional<std::string> forwarded = header("x-forwarded-for");
  if (forwarded && forwarded->size() <= kMaxForwardedHeader) {
    std::string_view first = std::string_view(*forwarded).substr(0, forwarded->find(','));
    if (auto address = ParseBounded(first, kMaxForwardedEntry)) return address->ToString();
  }
  return peer->ToString();
}

}  // namespace filament::api

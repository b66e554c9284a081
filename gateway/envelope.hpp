#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Gateway protocol v1 envelopes {v,t,d} (GATEWAY.md §3–§4): strict ingress parsing and
// egress building. Pure functions; thread-safe.
namespace filament::gateway {

struct SubscribeCommand {
  std::string guild_id;  // canonical (upper-case) ULID
  std::string channel_id;
};

struct MessageCreateCommand {
  std::string guild_id;
  std::string channel_id;
  std::string content;                      // 0–2000 bytes; empty only with attachments
  std::vector<std::string> attachment_ids;  // <= 5 canonical ULIDs, duplicates removed
};

struct UnknownCommand {
  std::string type;  // matches the event-type pattern
};

using IngressCommand = std::variant<SubscribeCommand, MessageCreateCommand, UnknownCommand>;

enum class IngressRejection {
  kInvalidEnvelope,              // not exactly {v,t,d}, v != 1, bad t, bad JSON
  kInvalidSubscribePayload,      // §4.1
  kInvalidMessageCreatePayload,  // §4.2
};

// The contract's disconnect-reason / metric label for a rejection.
std::string_view RejectionReason(IngressRejection rejection);

// Parses one ingress frame (its size is checked by the caller). Unknown `t` values are not a
// rejection: they come back as UnknownCommand.
std::variant<IngressCommand, IngressRejection> ParseIngress(std::string_view frame);

// `t` rule: 1–64 characters of [a-z0-9_.].
bool IsValidEventType(std::string_view type);

// {"v":1,"t":type,"d":payload_json}. `payload_json` must already be serialized JSON (the
// caller's responsibility); nullopt when `type` breaks the pattern.
std::optional<std::string> BuildEnvelope(std::string_view type, std::string_view payload_json);

}  // namespace filament::gateway

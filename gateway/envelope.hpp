#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/resume_cursor.hpp"

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

// v2 only (ADR 0060): the first command of a resuming connection.
struct ResumeCommand {
  ResumeCursor cursor;
  std::vector<SubscribeCommand> subscriptions;  // <= kMaxResumeSubscriptions, duplicates removed
};
inline constexpr size_t kMaxResumeSubscriptions = 256;

using IngressCommand =
    std::variant<SubscribeCommand, MessageCreateCommand, UnknownCommand, ResumeCommand>;

enum class IngressRejection {
  kInvalidEnvelope,              // not exactly {v,t,d}, v != 1, bad t, bad JSON
  kInvalidSubscribePayload,      // §4.1
  kInvalidMessageCreatePayload,  // §4.2
  kInvalidResumePayload,         // v2 resume (ADR 0060)
};

// The contract's disconnect-reason / metric label for a rejection.
std::string_view RejectionReason(IngressRejection rejection);

// Parses one ingress frame (its size is checked by the caller). Unknown `t` values are not a
// rejection: they come back as UnknownCommand. `version` is the connection's protocol: the
// envelope's `v` must equal it, and `resume` is a command only in version 2.
std::variant<IngressCommand, IngressRejection> ParseIngress(std::string_view frame,
                                                            int version = 1);

// `t` rule: 1–64 characters of [a-z0-9_.].
bool IsValidEventType(std::string_view type);

// {"v":1,"t":type,"d":payload_json}. `payload_json` must already be serialized JSON (the
// caller's responsibility); nullopt when `type` breaks the pattern.
std::optional<std::string> BuildEnvelope(std::string_view type, std::string_view payload_json);
// The same with "v":2 (a v2 connection's non-log frames).
std::optional<std::string> BuildEnvelopeV2(std::string_view type, std::string_view payload_json);
// A v2 log event: {"v":2,"t":type,"d":payload_json,"pos":pos,"cursor":cursor}. `pos` and
// `cursor` must be JSON-safe (they are "P:O" and FormatCursor output). Type checked by caller.
std::string BuildLogEnvelopeV2(std::string_view type, std::string_view payload_json,
                               std::string_view pos, std::string_view cursor);

}  // namespace filament::gateway

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// Gateway v2 (ADR 0060): what the hub keeps of each log record in its replay window.
namespace filament::gateway {

// Who may see what in one guild as of one log position: an immutable snapshot of the guild
// fold (implemented in bridge/ over commands::GuildState). Thread-safe.
class AccessView {
 public:
  virtual ~AccessView() = default;
  // create_message on the channel as of the snapshot's position.
  virtual bool Visible(const std::string& user_id, const std::string& channel_id) const = 0;
  // A non-banned member (or the server owner) as of the snapshot's position.
  virtual bool IsMember(const std::string& user_id) const = 0;
};

// One gateway event of a record, with its recipients' scope (as bridge GatewayMessage).
struct LogEvent {
  enum class Scope { kChannel, kGuild, kUser };
  Scope scope = Scope::kGuild;
  std::string guild_id;
  std::string channel_id;
  std::string user_id;  // user scope: the recipient; guild scope: the member it removes, or ""
  std::string type;
  std::string payload;  // the `d` object, JSON
};

// One log record as the hub replays it: its position, its events (possibly none), and the
// access snapshot of its guild after the record (nullptr = everyone may see it).
struct ReplayEntry {
  int32_t partition = 0;
  int64_t offset = 0;
  std::vector<LogEvent> events;
  std::shared_ptr<const AccessView> access;
};

}  // namespace filament::gateway

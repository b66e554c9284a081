#pragma once

#include <optional>
#include <string>

#include "adapters/livekit/livekit_token.hpp"
#include "api/support/rate_limit.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace filament::commands {
struct Appended;
struct CommandContext;
class CommandService;
}  // namespace filament::commands

// Voice / media (REST_API.md §4.14, ADR 0054): the LiveKit settings and the per-process media
// limiters the three voice routes share.
namespace filament::api {

struct VoiceSettings {
  std::optional<livekit::Credentials> credentials;  // nullopt: not configured (token → 500)
  std::string livekit_url = "ws://127.0.0.1:7880";
};

// FILAMENT_LIVEKIT_API_KEY / _SECRET (both or neither; blank = unset, trimmed) and
// FILAMENT_LIVEKIT_URL (ws:// or wss://, at most 256 bytes; empty = the default).
// Errors: kInvalidArgument naming the setting.
core::Result<VoiceSettings> MakeVoiceSettings(const std::string& api_key,
                                              const std::string& api_secret,
                                              const std::string& url);

// The media limiters (sliding 60 s, key ip:user:guild:channel) and the settings. Thread-safe.
class VoiceGate {
 public:
  VoiceGate(const core::Clock& clock, const core::Limits& limits, VoiceSettings settings)
      : settings_(std::move(settings)),
        token_(clock, limits.media_token_requests_per_minute),
        publish_(clock, limits.media_publish_requests_per_minute) {}
  const VoiceSettings& settings() const { return settings_; }
  bool AllowToken(const std::string& key) { return token_.Check(key).allowed; }
  bool AllowPublish(const std::string& key) { return publish_.Check(key).allowed; }

 private:
  const VoiceSettings settings_;
  SlidingWindowLimiter token_;
  SlidingWindowLimiter publish_;
};

// Kick/ban (REST_API.md §4.6): the removed member's voice participation in that guild ends
// (unpublish×N + leave), after the removal's own events. Best effort: a failure is logged and
// the voice sweeper removes the participant at its next pass (it can no longer see the channel).
void EndVoiceOfRemovedMembers(commands::CommandService& commands,
                              const commands::CommandContext& ctx,
                              const commands::Appended& appended);

}  // namespace filament::api

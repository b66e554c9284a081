#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

// Ports the gateway hub calls to execute ingress commands. Implementations may block (they
// usually query the database); the hub calls them on its worker threads, never on a reactor
// thread, one command at a time per connection. They must be thread-safe.
namespace filament::gateway {

class SubscribeAuthorizer {
 public:
  virtual ~SubscribeAuthorizer() = default;
  // Whether `user_id` may view (subscribe to) the channel: the contract's create_message bit.
  // false → the subscribe is silently ignored. An error is treated like false (fail closed).
  virtual core::Result<bool> MayView(const std::string& user_id, const std::string& guild_id,
                                     const std::string& channel_id) = 0;
};

class IngressMessagePoster {
 public:
  virtual ~IngressMessagePoster() = default;
  // Posts a message exactly like POST /guilds/{g}/channels/{c}/messages. Any error disconnects
  // the connection with `message_rejected`, or `ip_banned` when error().reason == "ip_banned".
  // `attachment_ids` are canonical ULIDs without duplicates (at most 5).
  virtual core::Status Post(const std::string& user_id, const std::string& guild_id,
                            const std::string& channel_id, const std::string& content,
                            const std::vector<std::string>& attachment_ids,
                            const std::string& client_ip) = 0;
};

// Optional: the guild IP-ban gate for `subscribe` (REST_API.md §3.7).
class IpBanGate {
 public:
  virtual ~IpBanGate() = default;
  // true → the connection is dropped with `ip_banned`; the gate has recorded the hit
  // (`moderation.ip_ban.hit`, target `user_id`) where it can. An error lets the subscribe
  // proceed to the authorizer.
  virtual core::Result<bool> IsBanned(const std::string& user_id, const std::string& guild_id,
                                      const std::string& client_ip) = 0;
};

// One guild IP ban seen on the log, with the address its IP observation names (ADR 0032).
struct IpBanEntry {
  std::string ban_id;
  std::string address;  // as stored in the side store, e.g. "10.0.0.7" or "2001:db8::1"
  std::optional<int64_t> expires_at_unix;
};

// Optional: resolves the IP observations a ban names to their addresses, from the erasable side
// store (ADR 0006 addendum). Called by the log bridge when an IpBansUpdated{upsert} arrives.
class IpObservationResolver {
 public:
  virtual ~IpObservationResolver() = default;
  // One entry per id, in order: the address, or nullopt when the observation is unknown or
  // was erased (that ban matches nothing). Errors: kUnavailable.
  virtual core::Result<std::vector<std::optional<std::string>>> AddressesOf(
      const std::vector<std::string>& observation_ids) = 0;
};

// One change of the presence other gateway processes hold: `user_id` became present
// (`present`) or absent in `guild_id` on the processes other than this one, taken together.
struct PresenceChange {
  std::string guild_id;
  std::string user_id;
  bool present = false;
};

// What a PresenceDirectory reports to the hub (ADR 0057). Called from the directory's own
// thread, one call at a time, in the order the directory saw the changes, and never from inside
// a PresenceDirectory method (the hub calls those under its lock).
class PresenceListener {
 public:
  virtual ~PresenceListener() = default;
  virtual void OnRemotePresence(const std::vector<PresenceChange>& changes) = 0;
  // `user_id` has no gateway connection left in any process (its last one closed, or the
  // process holding it died and its lease expired). Decided by the directory across processes;
  // at least once (normally once) per such moment, so the handler must be idempotent.
  virtual void OnUserGone(const std::string& user_id) = 0;
};

// Where a gateway process publishes its presence so that several processes on one log give
// clients the presence one process would (GATEWAY.md §7, ADR 0057). The hub calls the four
// announcements under its lock on this process's transitions only (first / last local
// connection of a user, first / last present local connection of a user in a guild), so they
// must not block: implementations queue them. Thread-safe.
class PresenceDirectory {
 public:
  virtual ~PresenceDirectory() = default;
  virtual void Announce(const std::string& guild_id, const std::string& user_id) = 0;
  virtual void Withdraw(const std::string& guild_id, const std::string& user_id) = 0;
  virtual void Connected(const std::string& user_id) = 0;
  virtual void Disconnected(const std::string& user_id) = 0;
  // Where reports go (nullptr: nowhere). Once this returns, no call to the previous listener
  // is running or will start.
  virtual void SetListener(PresenceListener* listener) = 0;
  // Whether `user_id` holds a live gateway connection in any process as far as the directory
  // can tell now; nullopt when it cannot (e.g. its database is down). May block on I/O: never
  // called under the hub lock. Default: cannot tell.
  virtual std::optional<bool> ConnectedAnywhere(const std::string& /*user_id*/) {
    return std::nullopt;
  }
};

// Optional: told when a user has no gateway connection left — the trigger for removing that
// user's voice participations (GATEWAY.md §8, ADR 0054). One process: the hub's local
// connection count reaching zero. Across gateway processes this is where a cross-process
// presence signal plugs in. Called without the hub lock; must not block (queue the work).
class ConnectionObserver {
 public:
  virtual ~ConnectionObserver() = default;
  virtual void OnUserGone(const std::string& user_id) = 0;
};

// One entry of voice_participant_sync (GATEWAY.md §6.1 VoiceParticipant).
struct VoiceParticipantView {
  std::string user_id;
  std::string identity;
  int64_t joined_at_unix = 0;
  int64_t updated_at_unix = 0;
  bool is_muted = false;
  bool is_deafened = false;
  bool is_speaking = false;
  bool is_video_enabled = false;
  bool is_screen_share_enabled = false;
};

// Optional: the voice participants of a channel as the log has them (the bridge's fold,
// ADR 0054), for voice_participant_sync on subscribe. Thread-safe; must not block.
class VoiceRosterView {
 public:
  virtual ~VoiceRosterView() = default;
  // Unexpired participants (expiry > now_unix: the lazy prune of §4.1 step 6), sorted by
  // joined_at_unix, then identity.
  virtual std::vector<VoiceParticipantView> Participants(const std::string& guild_id,
                                                         const std::string& channel_id,
                                                         int64_t now_unix) = 0;
};

}  // namespace filament::gateway

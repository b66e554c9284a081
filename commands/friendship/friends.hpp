#pragma once

#include <cstdint>
#include <string>

#include "commands/friendship/friendship_state.hpp"
#include "core/result.hpp"

// Friend requests and friendships (REST_API.md §4.4), decided on the pair's stream so that the
// rules spanning two users hold under concurrency (ADR 0021): one pending request per pair in
// either direction, no friendship twice, accept only by the recipient.
namespace filament::commands {

struct SendFriendRequest {
  std::string request_id;
  std::string sender_user_id;
  std::string sender_username;
  std::string recipient_user_id;
  std::string recipient_username;
  int64_t now_unix = 0;
};

struct AcceptFriendRequest {
  std::string request_id;
  std::string actor_user_id;
  std::string actor_username;  // current names of both parties, for the gateway payloads
  std::string other_username;
  int64_t now_unix = 0;
};

struct DeleteFriendRequest {
  std::string request_id;
  std::string actor_user_id;
  int64_t now_unix = 0;
};

struct RemoveFriend {
  std::string actor_user_id;
  std::string friend_user_id;
  int64_t now_unix = 0;
};

// Errors: kInvalidArgument (to oneself, already friends, a request pending either way).
core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const SendFriendRequest& cmd);
// Errors: kNotFound (not this pair's pending request, or the actor is not its recipient).
core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const AcceptFriendRequest& cmd);
// Errors: kNotFound (not this pair's pending request, or the actor is neither party).
core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const DeleteFriendRequest& cmd);
// Idempotent: no friendship decides to no events. Errors: kInvalidArgument (oneself).
core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const RemoveFriend& cmd);

}  // namespace filament::commands

#include "commands/friendship/friends.hpp"

namespace filament::commands {

core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const SendFriendRequest& cmd) {
  if (cmd.sender_user_id == cmd.recipient_user_id) {
    return core::InvalidArgument("friend request to oneself");
  }
  if (pair.friends) return core::InvalidArgument("already friends");
  if (pair.pending) return core::InvalidArgument("a friend request is already pending");
  return FriendshipEvents{events::FriendRequestSent{
      .pair_key = FriendPairKey(cmd.sender_user_id, cmd.recipient_user_id),
      .request_id = cmd.request_id,
      .sender_user_id = cmd.sender_user_id,
      .sender_username = cmd.sender_username,
      .recipient_user_id = cmd.recipient_user_id,
      .recipient_username = cmd.recipient_username,
      .created_at_unix = cmd.now_unix}};
}

core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const AcceptFriendRequest& cmd) {
  if (!pair.pending || pair.pending->request_id != cmd.request_id ||
      pair.pending->recipient_user_id != cmd.actor_user_id) {
    return core::NotFound("no such friend request for this user");
  }
  const auto& request = *pair.pending;
  return FriendshipEvents{events::FriendRequestAccepted{
      .pair_key = FriendPairKey(request.sender_user_id, request.recipient_user_id),
      .request_id = request.request_id,
      .sender_user_id = request.sender_user_id,
      .sender_username = cmd.other_username,
      .recipient_user_id = request.recipient_user_id,
      .recipient_username = cmd.actor_username,
      .accepted_at_unix = cmd.now_unix}};
}

core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const DeleteFriendRequest& cmd) {
  if (!pair.pending || pair.pending->request_id != cmd.request_id ||
      (pair.pending->sender_user_id != cmd.actor_user_id &&
       pair.pending->recipient_user_id != cmd.actor_user_id)) {
    return core::NotFound("no such friend request for this user");
  }
  const auto& request = *pair.pending;
  return FriendshipEvents{events::FriendRequestDeleted{
      .pair_key = FriendPairKey(request.sender_user_id, request.recipient_user_id),
      .request_id = request.request_id,
      .sender_user_id = request.sender_user_id,
      .recipient_user_id = request.recipient_user_id,
      .deleted_at_unix = cmd.now_unix}};
}

core::Result<FriendshipEvents> Decide(const FriendshipState& pair, const RemoveFriend& cmd) {
  if (cmd.actor_user_id == cmd.friend_user_id) return core::InvalidArgument("oneself");
  if (!pair.friends) return FriendshipEvents{};
  return FriendshipEvents{
      events::FriendshipRemoved{.pair_key = FriendPairKey(cmd.actor_user_id, cmd.friend_user_id),
                                .user_id = cmd.actor_user_id,
                                .friend_user_id = cmd.friend_user_id,
                                .removed_at_unix = cmd.now_unix}};
}

}  // namespace filament::commands

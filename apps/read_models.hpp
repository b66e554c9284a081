#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "projections/audit/audit_projection.hpp"
#include "projections/friends/friends_projection.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::app {

// Every read model of the server, by name. New projections are added here only.
struct ReadModels {
  projections::UsersProjection users;
  projections::GuildsProjection guilds;
  projections::MessagesProjection messages;
  projections::FriendsProjection friends;
  projections::AuditProjection audit;

  std::vector<projections::Projection*> All() {
    return {&users, &guilds, &messages, &friends, &audit};
  }
  // The named ones (all when `names` is empty). Errors: kInvalidArgument naming an unknown one.
  core::Result<std::vector<projections::Projection*>> Select(const std::vector<std::string>& names);
  static std::vector<std::string> Names();
  // The names of the read models a record with `meta` can change (Projection::Ignores): the
  // ones a reader of its effect waits for (ADR 0097). Thread-safe (Ignores is const).
  std::vector<std::string> Changing(const events::RecordMeta& meta);
};

}  // namespace filament::app

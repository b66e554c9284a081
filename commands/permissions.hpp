#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace filament::commands {

// The 12 permissions of contract §3.1; the enumerator value is the storage bit.
enum class Permission : uint8_t {
  kManageRoles = 0,
  kManageMemberRoles = 1,
  kManageWorkspaceRoles = 2,
  kManageChannelOverrides = 3,
  kDeleteMessage = 4,
  kBanMember = 5,
  kViewAuditLog = 6,
  kManageIpBans = 7,
  kCreateMessage = 8,
  kPublishVideo = 9,
  kPublishScreenShare = 10,
  kSubscribeStreams = 11,
};
inline constexpr int kPermissionCount = 12;

// A set of permissions as a bit mask. Unknown bits are masked off on construction.
class PermissionSet {
 public:
  static constexpr uint64_t kAllBits = (uint64_t{1} << kPermissionCount) - 1;
  constexpr PermissionSet() = default;
  static constexpr PermissionSet FromBits(uint64_t bits) { return PermissionSet(bits & kAllBits); }
  static constexpr PermissionSet All() { return PermissionSet(kAllBits); }
  static PermissionSet Of(std::initializer_list<Permission> permissions);

  constexpr uint64_t bits() const { return bits_; }
  constexpr bool Has(Permission p) const { return (bits_ >> static_cast<int>(p)) & 1; }
  constexpr bool empty() const { return bits_ == 0; }
  PermissionSet operator|(PermissionSet o) const { return PermissionSet(bits_ | o.bits_); }
  PermissionSet operator&(PermissionSet o) const { return PermissionSet(bits_ & o.bits_); }
  PermissionSet Without(PermissionSet o) const { return PermissionSet(bits_ & ~o.bits_); }
  bool operator==(const PermissionSet&) const = default;

  // Names in bit order (the order every response uses).
  std::vector<std::string_view> Names() const;

 private:
  constexpr explicit PermissionSet(uint64_t bits) : bits_(bits) {}
  uint64_t bits_ = 0;
};

std::string_view PermissionName(Permission p);
std::optional<Permission> ParsePermission(std::string_view name);
// Names → set; names that are not permissions are skipped (events hold only valid names).
PermissionSet PermissionsFromNames(const std::vector<std::string>& names);
// Set → names in bit order (the form events and responses carry).
std::vector<std::string> PermissionNameList(PermissionSet set);

// The legacy per-membership role of contract §3.3.
enum class LegacyRole { kMember = 1, kModerator = 2, kOwner = 3 };
std::string_view LegacyRoleName(LegacyRole role);
std::optional<LegacyRole> ParseLegacyRole(std::string_view name);

// The fixed permission sets of the legacy checks (contract §3.3) and the legacy rank.
PermissionSet LegacyPermissions(LegacyRole role);
inline int LegacyRank(LegacyRole role) { return static_cast<int>(role); }

// Default allow sets of the seeded roles (contract §3.1).
PermissionSet EveryoneDefaultPermissions();
PermissionSet MemberRolePermissions();
PermissionSet ModeratorRolePermissions();

struct RoleFacts {
  std::string role_id;
  int32_t position = 0;
  std::string system_key;  // "everyone", "workspace_owner", "moderator", "member" or ""
  PermissionSet allow;
};

struct OverrideFacts {
  PermissionSet allow;
  PermissionSet deny;
};

struct MemberFacts {
  LegacyRole legacy_role = LegacyRole::kMember;
  std::set<std::string> assigned_role_ids;  // explicit assignments
};

// Everything permission evaluation needs about one guild. Built by the command side from its
// state fold and by the query side from read models, so both decide identically.
struct GuildAuthz {
  std::string everyone_role_id;
  std::string owner_role_id;
  std::string moderator_role_id;
  std::string member_role_id;
  std::map<std::string, RoleFacts> roles;      // by role id
  std::map<std::string, MemberFacts> members;  // by user id (may hold just the caller)
  std::set<std::string> banned_user_ids;
  struct Channel {
    std::map<std::string, OverrideFacts> role_overrides;    // by role id
    std::map<std::string, OverrideFacts> member_overrides;  // by user id
  };
  std::map<std::string, Channel> channels;  // by channel id (may hold just one)
};

// Contract §3.4 step 3: explicit assignments of roles that still exist ∪ the seeded role of
// the legacy role.
std::set<std::string> AssignedRoles(const GuildAuthz& guild, const MemberFacts& member);

struct Effective {
  LegacyRole role = LegacyRole::kMember;
  PermissionSet permissions;
};

// Contract §3.4 steps 2–4 for `user_id` (the server-owner bypass is the caller's concern).
// Errors: kPermissionDenied when the user is not a member or is banned.
core::Result<Effective> EvaluateGuild(const GuildAuthz& guild, const std::string& user_id);

// Contract §3.4 steps 2–5: guild permissions, then the three override layers of `channel_id`.
// Errors: kPermissionDenied (not a member / banned), kNotFound (unknown channel).
core::Result<Effective> EvaluateChannel(const GuildAuthz& guild, const std::string& user_id,
                                        const std::string& channel_id);

}  // namespace filament::commands

#pragma once

// The synthetic log of log_gen and snapshot_bench: users, guilds with channels and members,
// then messages posted in runs of one guild stream, some deleted, a few bans. Every record is
// a valid event at the right stream version.

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tools/bench/bench_util.hpp"

namespace filament::bench {

inline constexpr int64_t kUnix = 1700000000;

struct Guild {
  std::string id;
  std::string owner;
  std::vector<std::string> channels;
  std::vector<std::string> members;
  std::vector<std::pair<std::string, std::string>> recent;  // live (message, channel), newest last
  int64_t version = 0;
};

// Emits records through `sink(position-less record)`; called twice (count, then write) with
// the same seed, so both passes place the same streams in the same partitions.
class Generator {
 public:
  Generator(int64_t events, int32_t partitions, uint32_t seed)
      : events_(events), partitions_(partitions), rng_(seed) {}

  template <typename Sink>
  void Run(Sink&& sink) {
    rng_.seed(seed_);
    RecordFactory ids;
    const int users = static_cast<int>(std::max<int64_t>(50, events_ / 2000));
    const int guilds = static_cast<int>(std::max<int64_t>(4, events_ / 20000));
    EnsureIds(ids, users, guilds);
    guilds_ = initial_guilds_;
    int64_t emitted = 0;
    auto emit = [&](const events::Event& e, int64_t version, const std::string& actor) {
      sink(ids.Make(e, version, (kUnix + emitted) * 1000, actor));
      ++emitted;
    };
    for (size_t i = 0; i < users_.size(); ++i) {
      emit(events::UserRegistered{users_[i], "user" + std::to_string(i), kUnix}, 1, users_[i]);
    }
    for (auto& g : guilds_) CreateGuild(g, emit);
    while (emitted < events_) {
      Guild& g = guilds_[rng_() % guilds_.size()];
      const int64_t run = std::min<int64_t>(1 + rng_() % 100, events_ - emitted);
      for (int64_t i = 0; i < run; ++i) Activity(g, ids, emit);
    }
  }

  int64_t users() const { return static_cast<int64_t>(users_.size()); }

 private:
  void EnsureIds(RecordFactory& ids, int users, int guilds) {
    if (!users_.empty()) return;
    for (int i = 0; i < users; ++i) users_.push_back(ids.NewId());
    for (int i = 0; i < guilds; ++i) {
      Guild g{.id = ids.NewId(), .owner = users_[static_cast<size_t>(i) % users_.size()]};
      for (int c = 0; c < 5; ++c) g.channels.push_back(ids.NewId());
      for (size_t m = 0; m < 40 && m < users_.size(); ++m) {
        const std::string& u = users_[(static_cast<size_t>(i) * 7 + m) % users_.size()];
        if (u != g.owner) g.members.push_back(u);
      }
      role_ids_.push_back({ids.NewId(), ids.NewId(), ids.NewId(), ids.NewId()});
      initial_guilds_.push_back(std::move(g));
    }
  }

  template <typename Emit>
  void CreateGuild(Guild& g, Emit& emit) {
    const auto& r = role_ids_[static_cast<size_t>(&g - guilds_.data())];
    emit(events::GuildCreated{g.id, "guild", "public", g.owner, r[0], r[1], r[2], r[3], kUnix},
         ++g.version, g.owner);
    for (size_t c = 0; c < g.channels.size(); ++c) {
      emit(events::ChannelCreated{g.id, g.channels[c], "channel-" + std::to_string(c), "text",
                                  kUnix},
           ++g.version, g.owner);
    }
    for (const auto& m : g.members) {
      emit(events::MemberJoined{g.id, m, "member", "directory", kUnix, std::nullopt}, ++g.version,
           m);
    }
  }

  template <typename Emit>
  void Activity(Guild& g, RecordFactory& ids, Emit& emit) {
    const uint32_t roll = rng_() % 100;
    if (roll < 8 && !g.recent.empty()) {  // delete one of the recent messages
      const size_t at = rng_() % g.recent.size();
      events::MessageDeleted d{g.id,  g.recent[at].second, g.recent[at].first, g.owner,
                               kUnix, std::nullopt,        std::nullopt,       std::nullopt};
      g.recent.erase(g.recent.begin() + static_cast<std::ptrdiff_t>(at));
      emit(d, ++g.version, g.owner);
      return;
    }
    if (roll == 99 && g.members.size() > 5) {  // ban a member (rare)
      const std::string banned = g.members.back();
      g.members.pop_back();
      emit(events::MemberBanned{g.id, banned, kUnix}, ++g.version, g.owner);
      emit(events::MemberRemoved{g.id, banned, "ban", kUnix}, ++g.version, g.owner);
      return;
    }
    const std::string& author = g.members[rng_() % g.members.size()];
    events::MessagePosted p{g.id,
                            g.channels[rng_() % g.channels.size()],
                            ids.NewId(),
                            author,
                            "hello **everyone**, see `make bench` and https://example.com/x",
                            {},
                            kUnix};
    g.recent.emplace_back(p.message_id, p.channel_id);
    if (g.recent.size() > 64) g.recent.erase(g.recent.begin());
    emit(p, ++g.version, author);
  }

  int64_t events_;
  int32_t partitions_;
  uint32_t seed_ = 42;
  std::mt19937 rng_;
  std::vector<std::string> users_;
  std::vector<Guild> initial_guilds_;
  std::vector<Guild> guilds_;
  std::vector<std::array<std::string, 4>> role_ids_;
};

}  // namespace filament::bench

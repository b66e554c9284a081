#include "tools/bench/replay_corpus.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <random>
#include <thread>

#include "tools/bench/bench_util.hpp"

namespace filament::bench {
namespace {

constexpr int64_t kUnix = 1700000000;
constexpr int kThreads = 4;

constexpr std::array<const char*, 24> kWords = {
    "deploy", "build",  "review", "merge",    "the",    "a",       "release", "server",
    "client", "fix",    "today",  "meeting",  "notes",  "latency", "cache",   "index",
    "query",  "thanks", "lunch",  "tomorrow", "ticket", "design",  "docs",    "tests"};
constexpr std::array<const char*, 6> kEmoji = {"👍", "🎉", "❤️", "😂", "👀", ":ok:"};

// A chat line with the markdown people write: emphasis, code, links, lists, quotes, blocks.
std::string MarkdownLine(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> word(0, kWords.size() - 1), pct(0, 99), len(3, 40);
  std::string text;
  int words = len(rng);
  for (int i = 0; i < words; ++i) {
    std::string w = kWords[word(rng)];
    int p = pct(rng);
    if (p < 6)
      w = "**" + w + "**";
    else if (p < 10)
      w = "_" + w + "_";
    else if (p < 14)
      w = "`" + w + "()`";
    else if (p < 16)
      w = "[" + w + "](https://example.com/" + w + ")";
    else if (p < 17)
      w = "it's \"" + w + "\" C:\\dir\ttab";  // quotes, backslash, tab
    text += (i == 0 ? "" : " ") + w;
  }
  int shape = pct(rng);
  if (shape < 5) return "> " + text;
  if (shape < 10) return text + "\n- " + kWords[word(rng)] + "\n- " + kWords[word(rng)];
  if (shape < 13) return text + "\n```\nmake " + kWords[word(rng)] + " -j2\n```";
  if (shape < 18) return "# " + text;
  return text;
}

class Appender {
 public:
  Appender(events::EventLog& log, std::string stream, size_t batch)
      : log_(log), stream_(std::move(stream)), batch_(batch) {}
  void Add(const events::Event& event, const std::string& actor, int64_t unix) {
    pending_.push_back(ids_.Make(event, version_ + pending_.size() + 1, unix * 1000, actor));
    if (pending_.size() >= batch_) Flush();
  }
  void Flush() {
    if (pending_.empty()) return;
    events::AppendBatch batch{stream_, version_, std::move(pending_)};
    Unwrap(log_.Append(batch), "append " + stream_);
    version_ += static_cast<int64_t>(batch.records.size());
    pending_.clear();
  }
  std::string NewId() { return ids_.NewId(); }

 private:
  events::EventLog& log_;
  std::string stream_;
  size_t batch_;
  RecordFactory ids_;
  std::vector<events::LogRecord> pending_;
  int64_t version_ = 0;
};

struct Shared {
  const CorpusOptions& options;
  std::vector<std::string> users;
  std::mutex mu;
  CorpusStats stats;
  void Count(const std::map<std::string, int64_t>& local) {
    std::lock_guard lock(mu);
    for (const auto& [type, n] : local) {
      stats.by_type[type] += n;
      stats.records += n;
    }
  }
};

// One guild's history: creation, channels, members, then the chat mix up to `budget` records.
class GuildHistory {
 public:
  GuildHistory(events::EventLog& log, Shared& shared, int index, int64_t budget)
      : shared_(shared),
        guild_(RecordFactory().NewId()),
        out_(log, "guild:" + guild_, shared.options.batch_records),
        rng_(shared.options.seed * 7919 + static_cast<uint64_t>(index)),
        budget_(budget) {}

  void Run() {
    const auto& users = shared_.users;
    owner_ = users[rng_() % users.size()];
    Add(events::GuildCreated{guild_, "guild " + guild_.substr(20), "public", owner_, out_.NewId(),
                             out_.NewId(), out_.NewId(), out_.NewId(), now_},
        owner_);
    members_.push_back(owner_);
    for (int c = 0; c < shared_.options.channels_per_guild; ++c) AddChannel();
    for (const auto& user : users) {
      if (user != owner_ && rng_() % 2 == 0) Join(user);
    }
    while (written_ < budget_) Step();
    out_.Flush();
    shared_.Count(by_type_);
  }

 private:
  void Add(const events::Event& event, const std::string& actor) {
    out_.Add(event, actor, now_);
    ++by_type_[std::string(events::TypeOf(event))];
    ++written_;
    if (rng_() % 4 == 0) ++now_;
  }
  void AddChannel() {
    channels_.push_back(out_.NewId());
    Add(events::ChannelCreated{guild_, channels_.back(),
                               "channel-" + std::to_string(channels_.size()), "text", now_},
        owner_);
  }
  void Join(const std::string& user) {
    members_.push_back(user);
    Add(events::MemberJoined{guild_, user, "member", "directory", now_, std::nullopt}, user);
  }
  const std::string& AnyMember() { return members_[rng_() % members_.size()]; }

  void Step() {
    int p = static_cast<int>(rng_() % 1000);
    if (p < 830 || live_.empty()) return Post();
    if (p < 880) return Edit();
    if (p < 910) return Delete();
    if (p < 975) return React();
    if (p < 999) return Churn();
    AddChannel();
  }
  void Post() {
    const std::string& author = AnyMember();
    std::string channel = channels_[rng_() % channels_.size()];
    live_.push_back({out_.NewId(), channel});
    Add(
        events::MessagePosted{
            guild_, channel, live_.back().first, author, MarkdownLine(rng_), {}, now_},
        author);
  }
  void Edit() {
    const auto& [id, channel] = live_[rng_() % live_.size()];
    const std::string& editor = AnyMember();
    Add(events::MessageEdited{guild_, channel, id, editor, MarkdownLine(rng_), now_, editor, false},
        editor);
  }
  void Delete() {
    size_t i = rng_() % live_.size();
    auto [id, channel] = live_[i];
    live_[i] = live_.back();
    live_.pop_back();
    const std::string& by = AnyMember();
    Add(events::MessageDeleted{guild_, channel, id, by, now_, by, false, std::nullopt}, by);
  }
  void React() {
    const auto& [id, channel] = live_[rng_() % live_.size()];
    const std::string& user = AnyMember();
    bool add = rng_() % 5 != 0;
    Add(events::MessageReactionChanged{guild_, channel, id, user, kEmoji[rng_() % kEmoji.size()],
                                       add ? "add" : "remove", add ? 1 : 0, now_},
        user);
  }
  // A member leaves (kicked) or a non-member joins.
  void Churn() {
    if (rng_() % 2 == 0 && members_.size() > 2) {
      size_t i = 1 + rng_() % (members_.size() - 1);  // never the owner (index 0)
      std::string user = members_[i];
      members_[i] = members_.back();
      members_.pop_back();
      Add(events::MemberRemoved{guild_, user, "kick", now_}, owner_);
      return;
    }
    const std::string& user = shared_.users[rng_() % shared_.users.size()];
    if (std::find(members_.begin(), members_.end(), user) == members_.end()) Join(user);
  }

  Shared& shared_;
  std::string guild_;
  Appender out_;
  std::mt19937_64 rng_;
  int64_t budget_;
  int64_t written_ = 0;
  int64_t now_ = kUnix;
  std::string owner_;
  std::vector<std::string> channels_, members_;
  std::vector<std::pair<std::string, std::string>> live_;  // (message id, channel id)
  std::map<std::string, int64_t> by_type_;
};

std::string Username(size_t i) { return "user" + std::to_string(i); }

// Each user's stream: registered, then a few profile updates (one append per user).
void FillUser(events::EventLog& log, Shared& shared, size_t i, std::map<std::string, int64_t>& n) {
  const std::string& id = shared.users[i];
  Appender out(log, "user:" + id, 1000);
  out.Add(events::UserRegistered{id, Username(i), kUnix}, id, kUnix);
  ++n["user_registered"];
  for (int k = 0; k < shared.options.profile_updates_per_user; ++k) {
    std::mt19937_64 rng(shared.options.seed + i * 31 + static_cast<uint64_t>(k));
    out.Add(
        events::ProfileUpdated{
            id, k % 2 == 0 ? std::optional(Username(i) + "_" + std::to_string(k)) : std::nullopt,
            MarkdownLine(rng), kUnix + k},
        id, kUnix + k);
    ++n["profile_updated"];
  }
  out.Flush();
}

// A friendship: sent and accepted, on the pair's stream.
void FillPair(events::EventLog& log, Shared& shared, size_t k, std::map<std::string, int64_t>& n) {
  // Distinct unordered pairs {a, a + d} while d < users / 2.
  size_t users = shared.users.size(), d = 1 + k / users;
  if (d >= users / 2) return;
  size_t a = k % users, b = (a + d) % users;
  std::string low = std::min(shared.users[a], shared.users[b]);
  std::string high = std::max(shared.users[a], shared.users[b]);
  std::string pair = low + "." + high;
  Appender out(log, "friendship:" + pair, 10);
  std::string request = out.NewId();
  const std::string& sender = shared.users[a];
  const std::string& recipient = shared.users[b];
  out.Add(
      events::FriendRequestSent{pair, request, sender, Username(a), recipient, Username(b), kUnix},
      sender, kUnix);
  out.Add(events::FriendRequestAccepted{pair, request, sender, Username(a), recipient, Username(b),
                                        kUnix + 1},
          recipient, kUnix + 1);
  out.Flush();
  n["friend_request_sent"] += 1;
  n["friend_request_accepted"] += 1;
}

void FillIdentities(events::EventLog& log, Shared& shared) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::map<std::string, int64_t> n;
      for (size_t i = t; i < shared.users.size(); i += 8) FillUser(log, shared, i, n);
      for (size_t k = t; k < static_cast<size_t>(shared.options.friend_pairs); k += 8) {
        FillPair(log, shared, k, n);
      }
      shared.Count(n);
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace

CorpusStats FillReplayCorpus(events::EventLog& log, const CorpusOptions& options) {
  Shared shared{options, {}, {}, {}};
  RecordFactory ids;
  for (int i = 0; i < options.users; ++i) shared.users.push_back(ids.NewId());
  FillIdentities(log, shared);
  int64_t left = std::max<int64_t>(0, options.events - shared.stats.records);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int g = t; g < options.guilds; g += kThreads) {
        GuildHistory(log, shared, g, left / options.guilds).Run();
      }
    });
  }
  for (auto& t : threads) t.join();
  return shared.stats;
}

}  // namespace filament::bench

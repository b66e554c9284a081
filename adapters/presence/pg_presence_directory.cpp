#include "adapters/presence/pg_presence_directory.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "adapters/presence/presence_sql.hpp"
#include "core/thread_name.hpp"

namespace filament::presence {

using internal::Key;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kRetryDelay = std::chrono::milliseconds(500);
constexpr auto kListenSlice = std::chrono::milliseconds(100);

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, std::string self, std::vector<std::string>& guilds)
      : pqxx::notification_receiver(c, "filament_presence"),
        self_(std::move(self)),
        guilds_(guilds) {}
  // payload: "<instance> <guild>"; our own changes are not news to us.
  void operator()(const std::string& payload, int) override {
    const size_t space = payload.find(' ');
    if (space == std::string::npos || payload.compare(0, space, self_) == 0) return;
    guilds_.push_back(payload.substr(space + 1));
  }

 private:
  const std::string self_;
  std::vector<std::string>& guilds_;
};

}  // namespace

class PgPresenceDirectory::Impl {
 public:
  explicit Impl(PgPresenceOptions options) : options_(std::move(options)) {}

  core::Status Register() {
    try {
      pqxx::connection c(options_.conninfo);
      internal::WriteLeases(c, options_.instance_id, options_.ttl_ms, {}, {});
      return core::OkStatus();
    } catch (const std::exception& e) {
      return core::Unavailable(std::string("presence directory: ") + e.what());
    }
  }
  void StartThreads() {
    writer_ = core::NamedThread("presence-write", [this] { WriterLoop(); });
    listener_thread_ = core::NamedThread("presence-listen", [this] { ListenerLoop(); });
  }
  void Finish(bool clean) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      clean_ = clean;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (listener_thread_.joinable()) listener_thread_.join();
  }
  void Set(const Key& key, bool present) {
    std::lock_guard lock(mu_);
    if (present) {
      desired_.insert(key);
    } else {
      desired_.erase(key);
    }
    dirty_.insert(key);
    cv_.notify_all();
  }
  void SetListener(gateway::PresenceListener* listener) {
    std::lock_guard lock(callback_mu_);
    listener_ = listener;
    reset_mirror_ = true;  // the new listener hears everything present, from scratch
  }

 private:
  void Log(const std::string& what, const std::exception& e) {
    if (options_.log) options_.log("presence directory: " + what + ": " + e.what());
  }
  void ReportGone(const std::vector<std::string>& users) {
    std::lock_guard lock(callback_mu_);
    if (listener_ == nullptr) return;
    for (const std::string& user : users) listener_->OnUserGone(user);
  }
  void WriterLoop();
  bool WriteOnce(std::unique_ptr<pqxx::connection>& c, bool heartbeat);
  void ListenerLoop();
  void ListenOnce(std::unique_ptr<pqxx::connection>& c, std::unique_ptr<Receiver>& receiver);

 public:
  // A short query on its own connection (opened on first use, dropped after an error).
  std::optional<bool> ConnectedAnywhere(const std::string& user) {
    std::lock_guard lock(query_mu_);
    try {
      if (!query_) query_ = std::make_unique<pqxx::connection>(options_.conninfo);
      return internal::HasLiveConnection(*query_, user);
    } catch (const std::exception& e) {
      Log("connected anywhere", e);
      query_.reset();
      return std::nullopt;
    }
  }

 private:
  bool Stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  const PgPresenceOptions options_;
  std::mutex mu_;  // guards the fields below up to the callback mutex
  std::condition_variable cv_;
  std::set<Key> desired_;  // this process's leases as the hub announced them
  std::set<Key> dirty_;    // keys changed since the last successful write
  bool stopping_ = false;
  bool clean_ = true;

  std::mutex query_mu_;  // guards query_
  std::unique_ptr<pqxx::connection> query_;

  std::mutex callback_mu_;  // held while the listener is called
  gateway::PresenceListener* listener_ = nullptr;
  bool reset_mirror_ = false;

  internal::Mirror mirror_;            // listener thread only
  Clock::time_point next_full_;        // listener thread only
  std::vector<std::string> notified_;  // listener thread only (filled by the receiver)
  std::thread writer_;
  std::thread listener_thread_;
};

// Writes dirty keys as they come (batched), renews and sweeps every heartbeat.
void PgPresenceDirectory::Impl::WriterLoop() {
  std::unique_ptr<pqxx::connection> c;
  auto next_heartbeat = Clock::now() + std::chrono::milliseconds(options_.heartbeat_ms);
  while (true) {
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_heartbeat, [&] { return stopping_ || !dirty_.empty(); });
      stopping = stopping_;
      if (stopping && !clean_) return;  // abandoned: leave the rows, like kill -9
    }
    const bool heartbeat = Clock::now() >= next_heartbeat;
    if (heartbeat) next_heartbeat = Clock::now() + std::chrono::milliseconds(options_.heartbeat_ms);
    const bool ok = WriteOnce(c, heartbeat);
    if (stopping) break;
    if (!ok) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kRetryDelay, [&] { return stopping_; });
    }
  }
  try {
    if (!c) c = std::make_unique<pqxx::connection>(options_.conninfo);
    ReportGone(internal::RemoveInstance(*c, options_.instance_id));
  } catch (const std::exception& e) {
    Log("remove instance", e);
  }
}

bool PgPresenceDirectory::Impl::WriteOnce(std::unique_ptr<pqxx::connection>& c, bool heartbeat) {
  std::set<Key> dirty;
  internal::LeaseWrite write;
  std::vector<Key> all;
  {
    std::lock_guard lock(mu_);
    dirty.swap(dirty_);
    for (const Key& key : dirty)
      (desired_.count(key) > 0 ? write.add : write.remove).push_back(key);
    all.assign(desired_.begin(), desired_.end());  // only used when the instance was swept
  }
  try {
    if (!c) c = std::make_unique<pqxx::connection>(options_.conninfo);
    ReportGone(internal::WriteLeases(*c, options_.instance_id, options_.ttl_ms, write, all));
    if (heartbeat) ReportGone(internal::SweepDead(*c));
    return true;
  } catch (const std::exception& e) {
    Log("write", e);
    c.reset();
    std::lock_guard lock(mu_);
    dirty_.insert(dirty.begin(), dirty.end());  // written again next time, as they are then
    return false;
  }
}

void PgPresenceDirectory::Impl::ListenerLoop() {
  std::unique_ptr<pqxx::connection> c;
  std::unique_ptr<Receiver> receiver;
  while (!Stopping()) {
    try {
      ListenOnce(c, receiver);
    } catch (const std::exception& e) {
      Log("listen", e);
      receiver.reset();
      c.reset();
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kRetryDelay, [&] { return stopping_; });
    }
  }
  receiver.reset();
}

// Connects and LISTENs if needed, then one full read (on connect, on a new listener, every
// heartbeat) or a read of the guilds others notified, and reports the differences.
void PgPresenceDirectory::Impl::ListenOnce(std::unique_ptr<pqxx::connection>& c,
                                           std::unique_ptr<Receiver>& receiver) {
  bool full = false;
  if (!c) {
    c = std::make_unique<pqxx::connection>(options_.conninfo);
    receiver = std::make_unique<Receiver>(*c, options_.instance_id, notified_);
    full = true;  // LISTEN is on before this read: nothing falls in between
  }
  {
    std::lock_guard lock(callback_mu_);
    if (reset_mirror_) {
      reset_mirror_ = false;
      mirror_.clear();
      full = true;
    }
  }
  if (!full && Clock::now() < next_full_) {
    const auto left = std::min<Clock::duration>(kListenSlice, next_full_ - Clock::now());
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
    c->await_notification(static_cast<long>(us / 1'000'000), static_cast<long>(us % 1'000'000));
    if (notified_.empty() && Clock::now() < next_full_) return;
  }
  std::vector<std::string> guilds;
  guilds.swap(notified_);
  if (full || Clock::now() >= next_full_) {
    next_full_ = Clock::now() + std::chrono::milliseconds(options_.heartbeat_ms);
    full = true;
  }
  const std::vector<std::string>* only = full ? nullptr : &guilds;
  const internal::Mirror fresh = internal::ReadRemote(*c, options_.instance_id, only);
  std::lock_guard lock(callback_mu_);
  if (reset_mirror_) return;  // a new listener: the next round reads everything for it
  std::vector<gateway::PresenceChange> changes = internal::Replace(mirror_, fresh, only);
  if (!changes.empty() && listener_ != nullptr) listener_->OnRemotePresence(changes);
}

PgPresenceDirectory::PgPresenceDirectory(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PgPresenceDirectory::~PgPresenceDirectory() { Stop(); }

core::Result<std::unique_ptr<PgPresenceDirectory>> PgPresenceDirectory::Start(
    PgPresenceOptions options) {
  if (options.instance_id.empty() || options.instance_id.find(' ') != std::string::npos) {
    return core::InvalidArgument("presence directory: instance id must be a non-empty word");
  }
  if (options.heartbeat_ms < 1 || options.heartbeat_ms >= options.ttl_ms) {
    return core::InvalidArgument(
        "FILAMENT_GATEWAY_PRESENCE_HEARTBEAT_MS must be below FILAMENT_GATEWAY_PRESENCE_TTL_MS");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  FILAMENT_RETURN_IF_ERROR(impl->Register());
  impl->StartThreads();
  return std::unique_ptr<PgPresenceDirectory>(new PgPresenceDirectory(std::move(impl)));
}

void PgPresenceDirectory::Stop() { impl_->Finish(true); }
void PgPresenceDirectory::Abandon() { impl_->Finish(false); }

void PgPresenceDirectory::Announce(const std::string& guild_id, const std::string& user_id) {
  impl_->Set({guild_id, user_id}, true);
}
void PgPresenceDirectory::Withdraw(const std::string& guild_id, const std::string& user_id) {
  impl_->Set({guild_id, user_id}, false);
}
void PgPresenceDirectory::Connected(const std::string& user_id) { impl_->Set({"", user_id}, true); }
void PgPresenceDirectory::Disconnected(const std::string& user_id) {
  impl_->Set({"", user_id}, false);
}
void PgPresenceDirectory::SetListener(gateway::PresenceListener* listener) {
  impl_->SetListener(listener);
}
std::optional<bool> PgPresenceDirectory::ConnectedAnywhere(const std::string& user_id) {
  return impl_->ConnectedAnywhere(user_id);
}

struct PgPresenceReader::Connection : pqxx::connection {
  using pqxx::connection::connection;
};

PgPresenceReader::PgPresenceReader(std::string conninfo) : conninfo_(std::move(conninfo)) {}

PgPresenceReader::~PgPresenceReader() = default;

std::optional<bool> PgPresenceReader::ConnectedAnywhere(const std::string& user_id) {
  std::lock_guard lock(mu_);
  try {
    if (!connection_) connection_ = std::make_unique<Connection>(conninfo_);
    return internal::HasLiveConnection(*connection_, user_id);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "presence: connected anywhere: %s\n", e.what());
    connection_.reset();
    return std::nullopt;
  }
}

}  // namespace filament::presence

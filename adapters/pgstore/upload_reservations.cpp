#include "adapters/pgstore/upload_reservations.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include <pqxx/pqxx>

#include "core/thread_name.hpp"

namespace filament::pgstore {
namespace {

// The user's lock, shared by every process on the database; released at commit or rollback.
constexpr const char* kLockUser =
    "SELECT pg_advisory_xact_lock(hashtextextended('filament.upload_reservations:' || $1, 0))";
// A hold counts while the session that made it lives.
constexpr const char* kDeleteDead =
    "DELETE FROM upload_reservations r WHERE r.user_id = $1 AND NOT EXISTS ("
    "SELECT 1 FROM pg_stat_activity a WHERE a.pid = r.holder_pid "
    "AND a.backend_start = r.holder_start)";
constexpr const char* kSumLive =
    "SELECT coalesce(sum(bytes), 0) FROM upload_reservations "
    "WHERE user_id = $1";
constexpr const char* kAddToHold =
    "INSERT INTO upload_reservations (hold_id, user_id, bytes, holder_pid, holder_start) "
    "SELECT $1, $2, $3, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid() "
    "ON CONFLICT (hold_id) DO UPDATE SET bytes = upload_reservations.bytes + EXCLUDED.bytes";
// A hold of a lost session, stamped with the new one.
constexpr const char* kPutHold =
    "INSERT INTO upload_reservations (hold_id, user_id, bytes, holder_pid, holder_start) "
    "SELECT $1, $2, $3, pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid() "
    "ON CONFLICT (hold_id) DO UPDATE SET bytes = EXCLUDED.bytes, "
    "holder_pid = EXCLUDED.holder_pid, holder_start = EXCLUDED.holder_start";

int64_t AsParam(uint64_t bytes) {
  return bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(bytes);
}

}  // namespace

struct PgUploadReservations::Connection : pqxx::connection {
  using pqxx::connection::connection;
};

PgUploadReservations::PgUploadReservations(std::string conninfo)
    : conninfo_(std::move(conninfo)),
      releaser_(core::NamedThread("upload-release", [this] { RunReleases(); })) {}

PgUploadReservations::~PgUploadReservations() {
  {
    std::lock_guard lock(released_mutex_);
    stopping_ = true;
  }
  released_changed_.notify_all();
  releaser_.join();  // deletes what was released before it stops
}

core::Status PgUploadReservations::Connect() {
  if (connection_ && connection_->is_open()) return core::OkStatus();
  connection_.reset();
  try {
    auto connection = std::make_unique<Connection>(conninfo_);
    // The holds of the lost session died with it: this session takes them over.
    pqxx::work tx(*connection);
    for (const auto& [hold_id, hold] : holds_) {
      tx.exec_params(kPutHold, hold_id, hold.user_id, AsParam(hold.bytes));
    }
    tx.commit();
    connection_ = std::move(connection);
    return core::OkStatus();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postgres: upload reservations: %s\n", e.what());
    return core::Unavailable("database unreachable");
  }
}

core::Result<uint64_t> PgUploadReservations::Reserve(
    const std::string& user_id, const std::string& hold_id, uint64_t at_least, uint64_t at_most,
    uint64_t quota, const std::function<core::Result<uint64_t>()>& used) {
  std::lock_guard lock(mutex_);
  FILAMENT_RETURN_IF_ERROR(Connect());
  try {
    pqxx::work tx(*connection_);
    tx.exec_params(kLockUser, user_id);
    tx.exec_params(kDeleteDead, user_id);
    auto held = tx.exec_params1(kSumLive, user_id)[0].as<int64_t>();
    // After the sum: an upload whose hold was dropped before it is in the log by now.
    auto folded = used();
    if (!folded.ok()) return folded.error();
    uint64_t taken = *folded + static_cast<uint64_t>(std::max<int64_t>(held, 0));
    uint64_t left = taken >= quota ? 0 : quota - taken;
    if (left < at_least || left == 0) return uint64_t{0};  // rolls back, unlocks
    uint64_t granted = std::min(left, at_most);
    tx.exec_params(kAddToHold, hold_id, user_id, AsParam(granted));
    tx.commit();
    Hold& hold = holds_[hold_id];
    hold.user_id = user_id;
    hold.bytes += granted;
    return granted;
  } catch (const pqxx::broken_connection& e) {
    connection_.reset();
    std::fprintf(stderr, "postgres: upload reservations: connection lost: %s\n", e.what());
    return core::Unavailable("database connection lost");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postgres: upload reservations: %s\n", e.what());
    return core::Internal("database error");
  }
}

core::Status PgUploadReservations::Release(const std::string& hold_id) {
  {
    std::lock_guard lock(released_mutex_);
    released_.push_back(hold_id);
  }
  released_changed_.notify_all();
  return core::OkStatus();
}

void PgUploadReservations::Flush() {
  std::unique_lock lock(released_mutex_);
  released_changed_.wait(lock, [this] { return released_.empty() && releasing_ == 0; });
}

void PgUploadReservations::RunReleases() {
  std::unique_lock lock(released_mutex_);
  while (true) {
    released_changed_.wait(lock, [this] { return stopping_ || !released_.empty(); });
    if (released_.empty()) return;  // stopping, nothing left
    std::string hold_id = std::move(released_.front());
    released_.pop_front();
    ++releasing_;
    lock.unlock();
    {
      std::lock_guard db(mutex_);
      Delete(hold_id);
    }
    lock.lock();
    --releasing_;
    released_changed_.notify_all();
  }
}

// Best effort: a hold that cannot be deleted dies with this instance's session.
void PgUploadReservations::Delete(const std::string& hold_id) {
  if (holds_.erase(hold_id) == 0) return;  // never held, or released twice
  // A lost connection took the hold with it; Connect re-inserts only the remaining ones.
  if (!Connect().ok()) return;
  try {
    pqxx::work tx(*connection_);
    tx.exec_params("DELETE FROM upload_reservations WHERE hold_id = $1", hold_id);
    tx.commit();
  } catch (const pqxx::broken_connection&) {
    connection_.reset();  // the hold died with the session
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postgres: upload reservations: hold %s not deleted: %s\n",
                 hold_id.c_str(), e.what());
  }
}

}  // namespace filament::pgstore

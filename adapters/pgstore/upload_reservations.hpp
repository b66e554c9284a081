#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "commands/ports.hpp"
#include "core/result.hpp"

namespace filament::pgstore {

// Upload reservations shared by the api processes of one database (migration 0059,
// ADR 0096). Each instance holds one connection of its own: its holds are rows stamped with
// that session (pid, start time), and count for as long as the session lives, so a process
// that dies takes its holds with it. A reservation locks the user (a transaction-scoped
// advisory lock), deletes the user's dead holds, sums the live ones, then calls `used()`.
// After a lost connection the next call reconnects and re-inserts this instance's holds.
// Release never blocks: a thread of its own deletes released holds (a released hold that
// still counts for a moment only refuses early). Thread-safe; database work is serialized on
// the one connection.
class PgUploadReservations final : public commands::UploadReservations {
 public:
  explicit PgUploadReservations(std::string conninfo);
  ~PgUploadReservations() override;

  core::Result<uint64_t> Reserve(const std::string& user_id, const std::string& hold_id,
                                 uint64_t at_least, uint64_t at_most, uint64_t quota,
                                 const std::function<core::Result<uint64_t>()>& used) override;
  core::Status Release(const std::string& hold_id) override;

  // Waits until every hold released so far is deleted (tests).
  void Flush();

 private:
  struct Hold {
    std::string user_id;
    uint64_t bytes = 0;
  };
  core::Status Connect();  // mutex_ held
  void RunReleases();
  void Delete(const std::string& hold_id);  // mutex_ held

  std::mutex mutex_;  // the connection and holds_
  const std::string conninfo_;
  struct Connection;  // a pqxx::connection (libpqxx stays out of this header)
  std::unique_ptr<Connection> connection_;
  std::unordered_map<std::string, Hold> holds_;  // this instance's live ones, by hold id

  std::mutex released_mutex_;
  std::condition_variable released_changed_;
  std::deque<std::string> released_;  // hold ids to delete, in order
  size_t releasing_ = 0;              // popped, not yet deleted
  bool stopping_ = false;
  std::thread releaser_;
};

}  // namespace filament::pgstore

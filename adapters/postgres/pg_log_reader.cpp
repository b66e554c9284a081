#include "adapters/postgres/pg_log_reader.hpp"

#include <algorithm>

#include "adapters/postgres/pg_codec.hpp"

namespace filament::postgres::internal {
namespace {

constexpr const char* kReadStatement = "filament_log_read";

// One round trip for all partitions: each partition's next rows, partitions in `ord` order.
// Offsets are dense, so a partition's next $3 rows are the offsets [o, o + $3). The upper bound
// keeps every plan bounded (ADR 0101). Without it, a plan made on poor statistics (a young
// log has none; event_log grows past its histogram) expected fewer rows than $3 and read, then
// sorted on disk, the whole rest of each partition to keep $3 of them: 1.2 s instead of 35 ms
// per poll at 250 000 rows a partition.
std::string ReadSql() {
  return std::string("SELECT ") + kRecordColumns +
         " FROM unnest($1::int[], $2::bigint[]) WITH ORDINALITY AS s(p, o, ord)"
         " CROSS JOIN LATERAL (SELECT * FROM event_log WHERE partition_id = s.p"
         " AND log_offset >= s.o AND log_offset < s.o + $3 ORDER BY log_offset LIMIT $3) e"
         " ORDER BY s.ord, e.log_offset";
}

}  // namespace

class PgLogReader::Wakeup final : public pqxx::notification_receiver {
 public:
  explicit Wakeup(pqxx::connection_base& conn)
      : pqxx::notification_receiver(conn, "filament_log") {}
  void operator()(const std::string&, int) override {}  // waking up is all it is for
};

PgLogReader::PgLogReader(std::string conninfo, int32_t partitions,
                         std::vector<events::Position> start)
    : partitions_(partitions),
      next_(std::move(start)),
      conn_(
          std::move(conninfo),
          [this](pqxx::connection& c) {
            c.prepare(kReadStatement, ReadSql());
            wakeup_ = std::make_unique<Wakeup>(c);  // LISTEN before the first read
            at_end_ = false;  // notifications sent while disconnected are lost: read first
          },
          [this] { wakeup_.reset(); }) {}

PgLogReader::~PgLogReader() { conn_.Reset(); }

int64_t PgLogReader::NextOffset(int32_t partition) const {
  // Rows read ahead have not been returned yet: the first of them is where the reader stands.
  for (const auto& record : ahead_) {
    if (record.position.partition == partition) return record.position.offset;
  }
  for (const auto& next : next_) {
    if (next.partition == partition) return next.offset;
  }
  return -1;
}

core::Result<std::vector<events::StoredRecord>> PgLogReader::Poll(size_t max_records,
                                                                  std::chrono::milliseconds wait) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  max_records = std::min(max_records, kMaxRecordsPerPoll);
  if (max_records == 0 || next_.empty()) return std::vector<events::StoredRecord>{};
  if (!ahead_.empty()) {
    std::vector<events::StoredRecord> out;
    while (!ahead_.empty() && out.size() < max_records) {
      out.push_back(std::move(ahead_.front()));
      ahead_.pop_front();
    }
    return out;
  }
  // A poll that may not wait reads (what is in the log now); one that may wait reads only when
  // the last read did not reach the end, and otherwise once woken.
  bool read = !at_end_ || wait.count() <= 0;
  while (true) {
    if (read) {
      auto records = ReadAvailable(max_records);
      if (!records.ok() || !records->empty()) return records;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::vector<events::StoredRecord>{};
    const auto slice = std::min(left, kFallbackPoll);
    auto notified = Wait(slice);
    if (!notified.ok()) return notified.error();
    // Read again after a notification, a whole fallback slice without one, or a reconnect.
    read = *notified || slice == kFallbackPoll || !at_end_;
  }
}

core::Result<std::vector<events::StoredRecord>> PgLogReader::ReadAvailable(size_t max_records) {
  auto conn = conn_.Get();
  if (!conn.ok()) return conn.error();
  size_t n = next_.size();
  size_t first = rotation_++ % n;
  std::vector<int64_t> partitions, offsets;
  for (size_t k = 0; k < n; ++k) {
    partitions.push_back(next_[(first + k) % n].partition);
    offsets.push_back(next_[(first + k) % n].offset);
  }
  pqxx::result rows;
  try {
    pqxx::nontransaction tx(**conn);
    rows = tx.exec_prepared(kReadStatement, IntArrayLiteral(partitions), IntArrayLiteral(offsets),
                            static_cast<int64_t>(max_records));
  } catch (const std::exception& e) {
    return conn_.Fail(e, "read log");
  }
  std::vector<events::StoredRecord> out;
  // Each partition read up to `max_records` rows: fewer in all means fewer in each, so every
  // partition was read to its end as of this statement's snapshot (unless a row is skipped).
  at_end_ = rows.size() < max_records;
  for (const auto& row : rows) {
    auto record = DecodeRow(row, partitions_);
    if (!record.ok()) {
      at_end_ = false;
      if (out.empty()) return record.error();
      break;  // hand out what came before; this row is read (and fails) again next time
    }
    auto slot = std::find_if(next_.begin(), next_.end(), [&](const events::Position& p) {
      return p.partition == record->position.partition;
    });
    // Offsets are dense: anything but the next offset would be a gap, which commit order rules
    // out. Skip it rather than ever hand out a gap; it is read again later.
    if (slot == next_.end() || slot->offset != record->position.offset) {
      at_end_ = false;
      continue;
    }
    ++slot->offset;
    if (out.size() < max_records) {
      out.push_back(std::move(*record));
    } else {
      ahead_.push_back(std::move(*record));
    }
  }
  return out;
}

core::Result<bool> PgLogReader::Wait(std::chrono::milliseconds slice) {
  auto conn = conn_.Get();
  if (!conn.ok()) return conn.error();
  try {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(slice).count();
    return (*conn)->await_notification(static_cast<long>(us / 1'000'000),
                                       static_cast<long>(us % 1'000'000)) > 0;
  } catch (const std::exception& e) {
    return conn_.Fail(e, "wait for log");
  }
}

}  // namespace filament::postgres::internal

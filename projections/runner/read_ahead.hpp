#pragma once

// Internal to the runner library: the rebuild pipeline's front (ADR 0074). A reader thread polls
// the log ahead of the writer; decoder threads run Projection::Prepare on each chunk; Next()
// hands the chunks to the writer in log order.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/projection.hpp"

namespace filament::projections {

struct ReadChunk {
  std::vector<events::StoredRecord> records;
  std::vector<std::unique_ptr<Prepared>> prepared;  // parallel to records; empty = none
};

class ReadAhead {
 public:
  // Reads `reader` (opened at the cursor's positions) up to `until` (end offsets per partition,
  // exclusive), in chunks of up to `chunk_records`, keeping at most `max_chunks` ahead.
  // `decoders` threads prepare records when projection.Prepares().
  ReadAhead(std::unique_ptr<events::LogReader> reader, const Projection& projection,
            std::vector<events::Position> start, std::vector<int64_t> until, size_t chunk_records,
            size_t max_chunks, int decoders);
  ~ReadAhead();  // stops and joins the threads
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next chunk in log order; nullopt once `until` is reached. Errors: the reader's
  // (kUnavailable: open a new ReadAhead from the checkpoint; kInternal).
  core::Result<std::optional<ReadChunk>> Next();

 private:
  struct Slot {
    ReadChunk chunk;
    bool claimed = false;  // a decoder took it
    bool ready = false;    // prepared (or nothing to prepare)
  };
  void ReadLoop();
  void DecodeLoop();
  bool Reached() const;

  std::unique_ptr<events::LogReader> reader_;
  const Projection& projection_;
  std::vector<int64_t> next_;  // reader thread only
  const std::vector<int64_t> until_;
  const size_t chunk_records_;
  const size_t max_chunks_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Slot>> slots_;
  bool stop_ = false;
  bool end_ = false;                   // the reader reached `until`
  std::optional<core::Error> failed_;  // the reader failed
  std::vector<std::thread> threads_;
};

}  // namespace filament::projections

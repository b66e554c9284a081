#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/log_record.hpp"

// The log's archive format (ADR 0053): what `filament log export` writes, `filament log import`
// reads, and `filament backup` carries. A file is the 8-byte magic "FLMTLOG\n" followed by
// frames; a frame is kind (1 byte: 'H' header, 'R' record, 'T' trailer), body length (u32 LE),
// body, CRC-32C (u32 LE) of kind + length + body. The header and trailer bodies are JSON, a
// record body is binary (see log_archive.cpp). Decoding is strict and bounded: every length is
// checked before use, offsets must be dense from 0 per partition, and the trailer's counts and
// digest must match what was read, so a truncated, reordered or corrupted file is an error.
namespace filament::events {

inline constexpr char kArchiveFormat[] = "filament-log-archive";
inline constexpr int kArchiveVersion = 1;
inline constexpr uint32_t kMaxArchiveFrameBytes = 32u << 20;  // one record's frame
inline constexpr uint32_t kMaxArchiveJsonBytes = 1u << 20;    // header or trailer

struct ArchiveHeader {
  int32_t partitions = 0;
  std::string source_kind;  // "postgres", "kafka", "memory"
  std::string source_name;  // the Kafka topic, or the PostgreSQL table
  int64_t created_unix_ms = 0;
  std::vector<int64_t> end_offsets;  // index = partition; records [0, end) of each are in it
};

struct ArchiveCounts {
  int64_t records = 0;
  std::vector<int64_t> per_partition;  // index = partition
};

// CRC-32C (Castagnoli), as in iSCSI/ext4; `crc` chains calls.
uint32_t Crc32c(std::string_view bytes, uint32_t crc = 0);

// Writes one archive to `out`: Begin, then Add for each record (each partition in offset order
// from 0, partitions may interleave), then Finish (checks every partition reached its end and
// writes the trailer). Errors: kInvalidArgument (records out of order or beyond the header's
// end offsets, an oversized record), kUnavailable (the stream failed).
class ArchiveWriter {
 public:
  explicit ArchiveWriter(std::ostream& out) : out_(out) {}
  core::Status Begin(const ArchiveHeader& header);
  core::Status Add(const Position& position, const LogRecord& record);
  core::Result<ArchiveCounts> Finish();

 private:
  core::Status WriteFrame(char kind, const std::string& body);
  std::ostream& out_;
  ArchiveHeader header_;
  ArchiveCounts counts_;
  uint32_t digest_ = 0;
};

// Reads one archive from `in`: ReadHeader, then Next until it returns nullopt (the trailer was
// read, matched, and the file ended there). Any error means the file is not a complete, intact
// archive; the message names the byte offset and what was wrong. Errors: kInvalidArgument.
class ArchiveReader {
 public:
  explicit ArchiveReader(std::istream& in) : in_(in) {}
  core::Result<ArchiveHeader> ReadHeader();
  core::Result<std::optional<StoredRecord>> Next();
  const ArchiveCounts& counts() const { return counts_; }
  int64_t bytes_read() const { return bytes_read_; }

 private:
  struct Frame {
    char kind = 0;
    std::string body;
  };
  core::Result<Frame> ReadFrame(uint32_t max_body);
  core::Status ReadExact(char* data, size_t size, const char* what);
  core::Status CheckTrailer(const std::string& body);
  core::Error Corrupt(const std::string& what) const;
  std::istream& in_;
  ArchiveHeader header_;
  ArchiveCounts counts_;
  uint32_t digest_ = 0;
  int64_t bytes_read_ = 0;
  bool done_ = false;
};

}  // namespace filament::events

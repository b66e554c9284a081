#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

// The backup file of `filament backup` / `filament restore` (ADR 0065): named byte sections —
// the log archive (ADR 0053) and one section per side store — in one checked container. Framed
// like the log archive (kind 1 byte | length u32 LE | body | CRC-32C of kind+length+body):
//   file = magic "FLMTBAK\n", 'H', then per section: 'S' 'D'* 'E', then 'T', then end of file
//   'H' JSON {"format":"filament-backup","version":1,"created_unix_ms":T,"sections":[names]}
//   'S' JSON {"name":N}            the next declared section, in header order
//   'D' up to 1 MiB of the section's bytes
//   'E' JSON {"name":N,"bytes":B,"crc32c":C}   C chains CRC-32C over the section's bytes
//   'T' JSON {"sections":[{"name","bytes","crc32c"}...]}  the manifest: must equal every 'E'
// Reading is strict and bounded: lengths are checked before allocation, every frame's checksum,
// every section's size and digest, the section order and the end of file. Checksums detect
// damage, not tampering: protect the file itself (it holds secrets).
namespace filament::events {

inline constexpr char kBackupFormat[] = "filament-backup";
inline constexpr int kBackupVersion = 1;
inline constexpr uint32_t kMaxBackupChunkBytes = 1u << 20;  // one 'D' frame's body
inline constexpr uint32_t kMaxBackupJsonBytes = 1u << 20;   // 'H', 'S', 'E', 'T' bodies
inline constexpr size_t kMaxBackupSections = 64;

struct BackupHeader {
  int64_t created_unix_ms = 0;
  std::vector<std::string> sections;  // names, in file order; 1..64 bytes of [a-z0-9_]
};

struct BackupSection {
  std::string name;
  int64_t bytes = 0;
  uint32_t crc32c = 0;
};

// Writes a backup to `out`: Begin, then for each declared section BeginSection (returns a
// stream to write its bytes to) and EndSection, then Finish. Errors: kInvalidArgument (a
// section out of order, a bad name), kUnavailable (writing failed).
class BackupWriter {
 public:
  explicit BackupWriter(std::ostream& out);
  ~BackupWriter();
  core::Status Begin(const BackupHeader& header);
  core::Result<std::ostream*> BeginSection(const std::string& name);
  core::Status EndSection();
  core::Result<std::vector<BackupSection>> Finish();

 private:
  class ChunkBuf;
  core::Status WriteFrame(char kind, const std::string& body);
  std::ostream& out_;
  BackupHeader header_;
  std::vector<BackupSection> done_;
  std::unique_ptr<ChunkBuf> buf_;
  std::unique_ptr<std::ostream> section_;
};

// Reads a backup from `in`: ReadHeader, then NextSection until it returns nullopt (the
// manifest matched and the file ended). After NextSection returns a name, section() yields
// exactly that section's bytes and then end of file; a damaged section makes the stream fail
// and error() name the byte offset. NextSection skips what the caller did not read.
// Errors: kInvalidArgument ("backup corrupt at byte N: ...").
class BackupReader {
 public:
  explicit BackupReader(std::istream& in);
  ~BackupReader();
  core::Result<BackupHeader> ReadHeader();
  core::Result<std::optional<std::string>> NextSection();
  std::istream& section();
  // The first error met inside a section (OK while the bytes were intact).
  core::Status error() const;

 private:
  class ChunkBuf;
  friend class ChunkBuf;
  struct Frame {
    char kind = 0;
    std::string body;
  };
  core::Result<Frame> ReadFrame(uint32_t max_body);
  core::Status CheckSectionEnd(const std::string& body);
  core::Status CheckTrailer(const std::string& body);
  core::Error Corrupt(const std::string& what) const;
  std::istream& in_;
  BackupHeader header_;
  std::vector<BackupSection> done_;
  BackupSection current_;
  bool in_section_ = false;
  bool section_ended_ = false;
  core::Status error_;
  int64_t bytes_read_ = 0;
  std::unique_ptr<ChunkBuf> buf_;
  std::unique_ptr<std::istream> section_;
};

}  // namespace filament::events

// Fuzz target: the log archive reader (events/log_archive.*, the `filament log import` and
// backup format), the input as an archive file. Before reading, the harness rewrites the
// CRC-32C of every complete frame so that mutations reach the body decoders instead of dying
// at the checksum.
// Invariants: reading stops (bounded records); an archive read to its end writes back through
// ArchiveWriter into an archive that reads to the same header and records.

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "events/log_archive.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

namespace ev = filament::events;

uint32_t LoadU32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

void StoreU32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// Walks magic, then kind | length | body | crc frames, fixing each complete frame's CRC.
void FixChecksums(std::string& file) {
  size_t at = 8;
  while (at + 5 <= file.size()) {
    const uint64_t length = LoadU32(file, at + 1);
    if (at + 5 + length + 4 > file.size()) return;
    StoreU32(file, at + 5 + length, ev::Crc32c(std::string_view(file).substr(at, 5 + length)));
    at += 5 + length + 4;
  }
}

struct Archive {
  ev::ArchiveHeader header;
  std::vector<ev::StoredRecord> records;
  bool complete = false;
};

Archive Read(const std::string& file) {
  Archive out;
  std::istringstream in(file);
  ev::ArchiveReader reader(in);
  auto header = reader.ReadHeader();
  if (!header.ok()) return out;
  out.header = *header;
  for (int i = 0; i < 100000; ++i) {
    auto next = reader.Next();
    if (!next.ok()) return out;
    if (!next->has_value()) {
      out.complete = true;
      return out;
    }
    out.records.push_back(std::move(**next));
  }
  FUZZ_CHECK(false);  // more records than the input can hold
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file(reinterpret_cast<const char*>(data), size);
  FixChecksums(file);
  const Archive first = Read(file);
  if (!first.complete) return 0;

  std::ostringstream out;
  ev::ArchiveWriter writer(out);
  FUZZ_CHECK(writer.Begin(first.header).ok());
  for (const auto& r : first.records) FUZZ_CHECK(writer.Add(r.position, r.record).ok());
  FUZZ_CHECK(writer.Finish().ok());
  const Archive second = Read(out.str());
  FUZZ_CHECK(second.complete && second.records.size() == first.records.size());
  FUZZ_CHECK(second.header.partitions == first.header.partitions &&
             second.header.end_offsets == first.header.end_offsets &&
             second.header.source_kind == first.header.source_kind &&
             second.header.source_name == first.header.source_name &&
             second.header.created_unix_ms == first.header.created_unix_ms);
  for (size_t i = 0; i < first.records.size(); ++i) {
    FUZZ_CHECK(second.records[i].position == first.records[i].position);
    FUZZ_CHECK(second.records[i].record == first.records[i].record);
  }
  return 0;
}

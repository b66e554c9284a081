#include "events/log_archive.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "events/log_scan.hpp"
#include "events/log_transfer.hpp"
#include "events/testing/in_memory_event_log.hpp"

namespace filament::events {
namespace {

using testing::InMemoryEventLog;

LogRecord Record(const std::string& stream, int64_t version, int i) {
  LogRecord r;
  r.meta = {.event_id = "01J" + std::to_string(1000000 + i) + stream,
            .type = "thing_happened",
            .schema_version = 1 + i % 2,
            .stream = stream,
            .stream_version = version,
            .time_unix_ms = 1700000000000 + i,
            .actor_user_id = i % 3 ? "01J1A00000000000000000A11C" : "",
            .correlation_id = "req-" + std::to_string(i),
            .causation_id = "cmd-" + std::to_string(i)};
  r.payload = "{\"i\":" + std::to_string(i) + ",\"bytes\":\"\\u00e9\xc3\xa9\"}";
  return r;
}

// 4 partitions, several streams, batches of 1..3 records.
void Fill(EventLog& log, int batches) {
  std::map<std::string, int64_t> versions;
  for (int i = 0; i < batches; ++i) {
    std::string stream = "guild:" + std::to_string(i % 7);
    AppendBatch batch{stream, versions[stream], {}};
    for (int k = 0; k < 1 + i % 3; ++k)
      batch.records.push_back(Record(stream, ++versions[stream], i * 10 + k));
    ASSERT_TRUE(log.Append(batch).ok());
  }
}

std::vector<StoredRecord> All(EventLog& log) {
  std::vector<StoredRecord> out;
  auto ends = log.EndOffsets();
  EXPECT_TRUE(ends.ok());
  EXPECT_TRUE(ReadLogUpTo(log, *ends, [&](const StoredRecord& r) {
                out.push_back(r);
                return core::OkStatus();
              }).ok());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.position < b.position; });
  return out;
}

std::string Export(EventLog& log, std::vector<int64_t> up_to = {}) {
  std::ostringstream out;
  auto counts = ExportLog(log, {"memory", "test", std::move(up_to), 42}, out);
  EXPECT_TRUE(counts.ok()) << counts.error().message;
  return out.str();
}

core::Status Import(EventLog& log, const std::string& bytes, ImportProgress& progress) {
  std::istringstream in(bytes);
  auto counts = ImportLog(log, in, progress);
  return counts.ok() ? core::OkStatus() : core::Status(counts.error());
}

core::Status Verify(const std::string& bytes) {
  std::istringstream in(bytes);
  ArchiveCounts counts;
  auto header = VerifyArchive(in, counts);
  return header.ok() ? core::OkStatus() : core::Status(header.error());
}

TEST(LogArchive, RoundTripsEveryFieldPositionAndStreamVersion) {
  InMemoryEventLog source(4);
  Fill(source, 60);
  std::string bytes = Export(source);
  ASSERT_TRUE(Verify(bytes).ok());
  InMemoryEventLog copy(4);
  ImportProgress progress;
  auto status = Import(copy, bytes, progress);
  ASSERT_TRUE(status.ok()) << status.error().message;
  auto want = All(source);
  auto got = All(copy);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].position, want[i].position);
    EXPECT_EQ(got[i].record, want[i].record);
  }
  EXPECT_EQ(progress.records, static_cast<int64_t>(want.size()));
}

TEST(LogArchive, HeaderDescribesTheSource) {
  InMemoryEventLog source(3);
  Fill(source, 10);
  std::istringstream in(Export(source));
  ArchiveReader reader(in);
  auto header = reader.ReadHeader();
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->partitions, 3);
  EXPECT_EQ(header->source_kind, "memory");
  EXPECT_EQ(header->created_unix_ms, 42);
  EXPECT_EQ(header->end_offsets, *source.EndOffsets());
}

TEST(LogArchive, UpToExportsAPrefix) {
  InMemoryEventLog source(4);
  Fill(source, 20);
  auto ends = *source.EndOffsets();
  std::vector<int64_t> half;
  for (auto e : ends) half.push_back(e / 2);
  std::string bytes = Export(source, half);
  InMemoryEventLog copy(4);
  ImportProgress progress;
  ASSERT_TRUE(Import(copy, bytes, progress).ok());
  EXPECT_EQ(*copy.EndOffsets(), half);
  std::ostringstream out;
  std::vector<int64_t> beyond = ends;
  beyond[0] += 1;
  EXPECT_FALSE(ExportLog(source, {"memory", "t", beyond, 0}, out).ok());
}

TEST(LogArchive, EveryTruncationIsDetected) {
  InMemoryEventLog source(2);
  Fill(source, 8);
  std::string bytes = Export(source);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto status = Verify(bytes.substr(0, cut));
    EXPECT_FALSE(status.ok()) << "cut at " << cut;
  }
  EXPECT_FALSE(Verify(bytes + "x").ok());
}

TEST(LogArchive, EveryFlippedByteIsDetected) {
  InMemoryEventLog source(2);
  Fill(source, 8);
  std::string bytes = Export(source);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_FALSE(Verify(bad).ok()) << "byte " << i;
  }
}

std::string Frame(char kind, const std::string& body) {
  std::string head(1, kind);
  for (int i = 0; i < 4; ++i) head.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xFF));
  uint32_t crc = Crc32c(body, Crc32c(head));
  std::string tail;
  for (int i = 0; i < 4; ++i) tail.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return head + body + tail;
}

constexpr char kMagic[] = "FLMTLOG\n";

TEST(LogArchive, OversizedLengthIsRefusedBeforeAllocating) {
  std::string head(kMagic);
  head += 'H';
  head += std::string("\xff\xff\xff\x7f", 4);  // ~2 GiB header
  auto status = Verify(head);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("over the limit"), std::string::npos);
}

TEST(LogArchive, WrongVersionIsRefusedClearly) {
  std::string bytes = std::string(kMagic) +
                      Frame('H', R"({"format":"filament-log-archive","version":2,"partitions":1,)"
                                 R"("source":{"kind":"memory","name":""},"created_unix_ms":0,)"
                                 R"("end_offsets":[0]})");
  auto status = Verify(bytes);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("unsupported archive version 2"), std::string::npos);
}

TEST(LogArchive, HostileHeadersAreRefused) {
  for (
      const char* body :
      {"", "[]", "{\"format\":1}", R"({"format":"filament-log-archive","version":"1"})",
       R"({"format":"filament-log-archive","version":1,"partitions":2,"source":{"kind":"m","name":""},"created_unix_ms":0,"end_offsets":[0]})",
       R"({"format":"filament-log-archive","version":1,"partitions":1,"source":{"kind":"m","name":""},"created_unix_ms":0,"end_offsets":[-1]})",
       R"({"format":"filament-log-archive","version":1,"partitions":5000,"source":{"kind":"m","name":""},"created_unix_ms":0,"end_offsets":[]})"}) {
    EXPECT_FALSE(Verify(std::string(kMagic) + Frame('H', body)).ok()) << body;
  }
  EXPECT_FALSE(Verify("GARBAGE!").ok());
  EXPECT_FALSE(Verify("").ok());
}

// Found by tools/fuzz (log_archive, corpus crash-source-without-kind): a "source" object
// without "kind" or "name" was read past its end (heap overflow under ASan).
TEST(LogArchive, HeaderSourceWithoutKindOrNameIsRefused) {
  for (const char* source :
       {R"({"kild":"m","name":""})", R"({"kind":"m"})", R"({})", R"({"kind":1,"name":""})"}) {
    const std::string body =
        std::string(R"({"format":"filament-log-archive","version":1,"partitions":1,"source":)") +
        source + R"(,"created_unix_ms":0,"end_offsets":[0]})";
    auto status = Verify(std::string(kMagic) + Frame('H', body));
    ASSERT_FALSE(status.ok()) << source;
    EXPECT_NE(status.error().message.find("bad header fields"), std::string::npos) << source;
  }
}

TEST(LogArchive, ImportRefusesANonEmptyLogOrOtherPartitionCount) {
  InMemoryEventLog source(4);
  Fill(source, 5);
  std::string bytes = Export(source);
  InMemoryEventLog other(2);
  ImportProgress progress;
  auto status = Import(other, bytes, progress);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kFailedPrecondition);
  InMemoryEventLog busy(4);
  Fill(busy, 1);
  status = Import(busy, bytes, progress);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("not empty"), std::string::npos);
  EXPECT_FALSE(progress.appending);
}

TEST(LogArchive, ImportOfACorruptTailSaysHowFarItGot) {
  InMemoryEventLog source(1);
  Fill(source, 40);
  std::string bytes = Export(source);
  bytes.resize(bytes.size() - 100);  // lose the trailer and the last record(s)
  InMemoryEventLog copy(1);
  ImportProgress progress;
  ASSERT_FALSE(Import(copy, bytes, progress).ok());
  EXPECT_EQ(progress.written.size(), 1u);
  EXPECT_EQ(progress.written[0], (*copy.EndOffsets())[0]);
  EXPECT_LT(progress.written[0], (*source.EndOffsets())[0]);
}

// A log that looks empty but puts records elsewhere (as a Kafka topic holding another
// producer's transaction markers would).
class ShiftedLog final : public EventLog {
 public:
  explicit ShiftedLog(InMemoryEventLog& inner) : inner_(inner) {}
  int32_t Partitions() const override { return inner_.Partitions(); }
  core::Result<std::vector<Position>> Append(const AppendBatch& batch) override {
    return inner_.Append(batch);
  }
  core::Result<std::unique_ptr<LogReader>> OpenReader(const std::vector<Position>& s) override {
    return inner_.OpenReader(s);
  }
  core::Result<std::vector<int64_t>> EndOffsets() override {
    return std::vector<int64_t>(static_cast<size_t>(Partitions()), 0);
  }

 private:
  InMemoryEventLog& inner_;
};

TEST(LogArchive, ImportStopsWhenTheLogPutsARecordElsewhere) {
  InMemoryEventLog source(1);
  Fill(source, 10);
  InMemoryEventLog inner(1);
  ASSERT_TRUE(inner.Append({"other", 0, {Record("other", 1, 500)}}).ok());
  ShiftedLog shifted(inner);
  ImportProgress progress;
  auto status = Import(shifted, Export(source), progress);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(status.error().message.find("offsets differ"), std::string::npos);
  EXPECT_EQ(progress.records, 0);
  EXPECT_TRUE(progress.appending);
}

TEST(LogArchive, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  // Every length and alignment (the hardware path takes 8 bytes at a time), and chaining: the
  // CRC of a whole equals the CRC continued piece by piece.
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes.push_back(static_cast<char>(i * 37 + 11));
  const uint32_t whole = Crc32c(bytes);
  for (size_t cut = 0; cut <= bytes.size(); cut += 7) {
    EXPECT_EQ(Crc32c(std::string_view(bytes).substr(cut), Crc32c(bytes.substr(0, cut))), whole)
        << cut;
  }
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
}

}  // namespace
}  // namespace filament::events

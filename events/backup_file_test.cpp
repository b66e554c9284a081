#include "events/backup_file.hpp"

#include <map>
#include <sstream>

#include <gtest/gtest.h>

namespace filament::events {
namespace {

std::string Write(const std::map<std::string, std::string>& sections) {
  std::ostringstream out;
  BackupWriter writer(out);
  BackupHeader header{.created_unix_ms = 1234};
  for (const auto& [name, bytes] : sections) header.sections.push_back(name);
  EXPECT_TRUE(writer.Begin(header).ok());
  for (const auto& [name, bytes] : sections) {
    auto stream = writer.BeginSection(name);
    EXPECT_TRUE(stream.ok());
    **stream << bytes;
    EXPECT_TRUE(writer.EndSection().ok());
  }
  EXPECT_TRUE(writer.Finish().ok());
  return out.str();
}

// Reads every section; the sections' bytes, or the first error.
core::Result<std::map<std::string, std::string>> ReadAll(const std::string& file) {
  std::istringstream in(file);
  BackupReader reader(in);
  auto header = reader.ReadHeader();
  if (!header.ok()) return header.error();
  std::map<std::string, std::string> out;
  for (;;) {
    auto name = reader.NextSection();
    if (!name.ok()) return name.error();
    if (!*name) return out;
    std::ostringstream bytes;
    bytes << reader.section().rdbuf();
    FILAMENT_RETURN_IF_ERROR(reader.error());
    out[**name] = bytes.str();
  }
}

TEST(BackupFile, RoundTripsSectionsOfAnySize) {
  std::string big(3 * kMaxBackupChunkBytes + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
  std::map<std::string, std::string> sections{{"a_log", big}, {"b_empty", ""}, {"c", "abc"}};
  auto read = ReadAll(Write(sections));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, sections);
}

TEST(BackupFile, EveryTruncationIsRefused) {
  std::string file = Write({{"log", std::string(300, 'l')}, {"credentials", "pw"}});
  for (size_t n = 0; n < file.size(); ++n) {
    EXPECT_FALSE(ReadAll(file.substr(0, n)).ok()) << "cut at " << n;
  }
}

TEST(BackupFile, EveryFlippedByteIsRefused) {
  std::string file = Write({{"log", std::string(100, 'l')}, {"blobs", "bytes"}});
  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(ReadAll(bad).ok()) << "flip at " << i;
  }
}

TEST(BackupFile, TrailingBytesAndOversizedFramesAreRefused) {
  std::string file = Write({{"log", "x"}});
  auto extra = ReadAll(file + "z");
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().message.find("after the manifest"), std::string::npos);
  std::string huge = file.substr(0, 8) + std::string("H\xff\xff\xff\x7f", 5);
  auto oversized = ReadAll(huge);
  ASSERT_FALSE(oversized.ok());
  EXPECT_NE(oversized.error().message.find("over the limit"), std::string::npos);
}

TEST(BackupFile, UnreadSectionBytesAreStillChecked) {
  std::string file = Write({{"a_log", std::string(5000, 'l')}, {"b_keys", "k"}});
  file[1000] = static_cast<char>(file[1000] ^ 0x40);  // inside the log section's data
  std::istringstream in(file);
  BackupReader reader(in);
  ASSERT_TRUE(reader.ReadHeader().ok());
  ASSERT_TRUE(reader.NextSection().ok());
  EXPECT_FALSE(reader.NextSection().ok());  // skipping the unread bytes finds the damage
}

TEST(BackupFile, WriterRefusesSectionsOutOfOrder) {
  std::ostringstream out;
  BackupWriter writer(out);
  ASSERT_TRUE(writer.Begin({.created_unix_ms = 1, .sections = {"a", "b"}}).ok());
  EXPECT_FALSE(writer.BeginSection("b").ok());
  EXPECT_FALSE(writer.Finish().ok());
  EXPECT_FALSE(writer.Begin({.created_unix_ms = 1, .sections = {"Bad-Name"}}).ok());
}

}  // namespace
}  // namespace filament::events

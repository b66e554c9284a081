#include "adapters/upload/mime_sniffer.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/upload/testing/sample_media.hpp"

namespace filament::upload {
namespace {

namespace samples = testing;

std::string Sniff(std::string_view bytes) {
  auto mime = SniffMime(bytes);
  EXPECT_TRUE(mime.ok()) << mime.error().message;
  return mime.ok() ? *mime : "<error>";
}

TEST(SniffMime, ProfileImageFormats) {
  EXPECT_EQ(Sniff(samples::Png()), "image/png");
  EXPECT_EQ(Sniff(samples::Jpeg()), "image/jpeg");
  EXPECT_EQ(Sniff(samples::Gif()), "image/gif");
  EXPECT_EQ(Sniff(samples::Webp()), "image/webp");
  EXPECT_EQ(Sniff(samples::Avif()), "image/avif");
}

TEST(SniffMime, DocumentsAndArchives) {
  EXPECT_EQ(Sniff(samples::Pdf()), "application/pdf");
  EXPECT_EQ(Sniff(samples::Zip()), "application/zip");
}

TEST(SniffMime, TextIsPlainTextWhateverItLooksLike) {
  EXPECT_EQ(Sniff(samples::PlainText()), "text/plain");
  EXPECT_EQ(Sniff("#include <stdio.h>\nint main(void) { return 0; }\n"), "text/plain");
  EXPECT_EQ(Sniff("#!/usr/bin/env python3\nimport sys\nprint(sys.argv)\n"), "text/plain");
}

TEST(SniffMime, StructuredTextKeepsItsType) {
  EXPECT_EQ(Sniff("{\"a\": 1, \"b\": [true, null]}\n"), "application/json");
  EXPECT_EQ(Sniff("<!DOCTYPE html>\n<html><body>x</body></html>\n"), "text/html");
}

TEST(SniffMime, EmptyAndUnknownBytesAreUnrecognised) {
  EXPECT_EQ(Sniff(""), "");
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245 + 12345;
    noise.push_back(static_cast<char>(x >> 24));
  }
  EXPECT_EQ(Sniff(noise), "");
}

// Sniffing sees only the magic: a PNG cut after its header still reads as PNG. The profile
// rules catch it with IsCompleteImage (image_integrity_test.cpp).
TEST(SniffMime, ATruncatedPngStillSniffsAsPng) {
  EXPECT_EQ(Sniff(samples::Png().substr(0, 30)), "image/png");
}

TEST(SniffMime, OnlyTheFirst8192BytesCount) {
  std::string text(kSniffBytes, 'a');
  EXPECT_EQ(Sniff(text + std::string(4096, '\0')), "text/plain");
  // A UTF-8 sequence cut at the window's edge is still text.
  EXPECT_EQ(Sniff(std::string(kSniffBytes - 1, 'a') + "\xc3\xa9"), "text/plain");
}

TEST(SniffMime, IsSafeFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> wrong(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (SniffMime(samples::Png()).value() != "image/png") ++wrong[t];
        if (SniffMime(samples::PlainText()).value() != "text/plain") ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : wrong) EXPECT_EQ(count, 0);
}

}  // namespace
}  // namespace filament::upload

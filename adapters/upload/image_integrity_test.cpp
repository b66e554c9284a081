#include "adapters/upload/image_integrity.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "adapters/upload/mime_sniffer.hpp"
#include "adapters/upload/testing/sample_media.hpp"

namespace filament::upload {
namespace {

namespace samples = testing;

class StringBytes final : public RandomAccessBytes {
 public:
  explicit StringBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  int64_t size() const override { return static_cast<int64_t>(bytes_.size()); }
  core::Result<size_t> ReadAt(int64_t offset, std::span<char> out) const override {
    if (offset >= size()) return size_t{0};
    size_t n = std::min(out.size(), bytes_.size() - static_cast<size_t>(offset));
    std::copy_n(bytes_.data() + offset, n, out.data());
    return n;
  }

 private:
  std::string bytes_;
};

bool Complete(std::string bytes, std::string_view mime) {
  auto result = IsCompleteImage(StringBytes(std::move(bytes)), mime);
  EXPECT_TRUE(result.ok());
  return result.ok() && *result;
}

struct Sample {
  const char* mime;
  std::string bytes;
};

std::vector<Sample> AllSamples() {
  return {{"image/png", samples::Png()},
          {"image/jpeg", samples::Jpeg()},
          {"image/gif", samples::Gif()},
          {"image/webp", samples::Webp()},
          {"image/avif", samples::Avif()}};
}

TEST(IsCompleteImage, AcceptsEveryWholeSample) {
  for (const auto& sample : AllSamples()) {
    EXPECT_TRUE(Complete(sample.bytes, sample.mime)) << sample.mime;
  }
}

TEST(IsCompleteImage, RejectsEveryTruncation) {
  for (const auto& sample : AllSamples()) {
    for (size_t length = 0; length < sample.bytes.size(); ++length) {
      EXPECT_FALSE(Complete(sample.bytes.substr(0, length), sample.mime))
          << sample.mime << " cut to " << length << " of " << sample.bytes.size();
    }
  }
}

TEST(IsCompleteImage, AllowsTrailingBytesAfterTheEndMarker) {
  EXPECT_TRUE(Complete(samples::Png() + "trailer", "image/png"));
  EXPECT_TRUE(Complete(samples::Jpeg() + std::string(100, '\0'), "image/jpeg"));
  EXPECT_TRUE(Complete(samples::Gif() + "x", "image/gif"));
}

TEST(IsCompleteImage, RejectsBrokenStructure) {
  std::string png = samples::Png();
  png[8 + 3] = 0x7f;  // IHDR length runs past the end
  EXPECT_FALSE(Complete(png, "image/png"));
  std::string no_ihdr = samples::Png();
  no_ihdr[12] = 'X';
  EXPECT_FALSE(Complete(no_ihdr, "image/png"));
  std::string jpeg = samples::Jpeg();
  EXPECT_FALSE(Complete(jpeg.substr(0, jpeg.size() - 2) + "\x00\x00", "image/jpeg"));
  std::string webp = samples::Webp();
  webp[4] = static_cast<char>(webp[4] + 2);  // RIFF size past the end
  EXPECT_FALSE(Complete(webp, "image/webp"));
  std::string avif = samples::Avif() + "junk";  // boxes no longer tile the file
  EXPECT_FALSE(Complete(avif, "image/avif"));
  EXPECT_FALSE(Complete(samples::Png(), "image/gif"));
}

TEST(IsCompleteImage, KnowsOnlyTheProfileTypes) {
  EXPECT_FALSE(Complete(samples::Pdf(), "application/pdf"));
  EXPECT_FALSE(Complete(samples::PlainText(), "text/plain"));
}

// A real encoder's AVIF, when Debian's avifenc (package libavif-bin) is installed.
TEST(IsCompleteImage, AcceptsAnAvifencFile) {
  if (std::system("command -v avifenc >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "avifenc (libavif-bin) not installed";
  }
  char dir[] = "/tmp/filament-avif-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string png_path = std::string(dir) + "/in.png", avif_path = std::string(dir) + "/out.avif";
  std::ofstream(png_path, std::ios::binary) << samples::Png();
  std::string command = "avifenc " + png_path + " " + avif_path + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::stringstream avif;
  avif << std::ifstream(avif_path, std::ios::binary).rdbuf();
  std::remove(png_path.c_str());
  std::remove(avif_path.c_str());
  std::remove(dir);
  EXPECT_EQ(SniffMime(avif.str()).value(), "image/avif");
  EXPECT_TRUE(Complete(avif.str(), "image/avif"));
  EXPECT_FALSE(Complete(avif.str().substr(0, avif.str().size() - 1), "image/avif"));
}

}  // namespace
}  // namespace filament::upload

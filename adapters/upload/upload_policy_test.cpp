#include "adapters/upload/upload_policy.hpp"

#include <gtest/gtest.h>

#include "adapters/upload/testing/sample_media.hpp"

namespace filament::upload {
namespace {

namespace samples = testing;
using core::ErrorCode;

SpooledUpload Spooled(std::string_view body) {
  auto spool = UploadSpool::Create(SpoolOptions{"/tmp", 1 << 20});
  FILAMENT_CHECK(spool.ok());
  FILAMENT_CHECK(spool->Append(body).ok());
  auto upload = spool->Finish();
  FILAMENT_CHECK(upload.ok());
  return std::move(*upload);
}

std::optional<std::string> None() { return std::nullopt; }
std::optional<std::string> Declared(std::string essence) { return essence; }

TEST(ParseMediaTypeEssence, AcceptsWhatRfc9110Allows) {
  EXPECT_EQ(*ParseMediaTypeEssence("image/png"), "image/png");
  EXPECT_EQ(*ParseMediaTypeEssence("IMAGE/PNG"), "image/png");
  EXPECT_EQ(*ParseMediaTypeEssence(" text/plain ; charset=utf-8 "), "text/plain");
  EXPECT_EQ(*ParseMediaTypeEssence("text/plain;charset=\"utf-8\";format=flowed"), "text/plain");
  EXPECT_EQ(*ParseMediaTypeEssence("text/plain; name=\"a \\\"b\\\"\""), "text/plain");
  EXPECT_EQ(*ParseMediaTypeEssence("application/vnd.api+json;"), "application/vnd.api+json");
}

TEST(ParseMediaTypeEssence, RejectsAnythingElse) {
  for (std::string_view bad :
       {"", " ", "image", "image/", "/png", "image /png", "image/ png", "image/png/x",
        "image/png charset=x", "image/png; charset", "image/png; charset=", "image/png; =x",
        "image/png; charset=\"open", "image/pn(g", "ima ge/png", "image/png;\x01=x",
        "text/plain; a=\"\x01\""}) {
    auto essence = ParseMediaTypeEssence(bad);
    ASSERT_FALSE(essence.ok()) << bad;
    EXPECT_EQ(essence.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(ParseDeclaredContentType, AbsentIsFine) {
  auto absent = ParseDeclaredContentType(std::nullopt);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  EXPECT_EQ(**ParseDeclaredContentType(std::string("Image/GIF")), "image/gif");
  EXPECT_FALSE(ParseDeclaredContentType(std::string("gif")).ok());
}

TEST(AcceptAttachment, TakesAnythingRecognisedAndStoresTheSniffedType) {
  EXPECT_EQ(*AcceptAttachment(Spooled(samples::PlainText()), None()), "text/plain");
  EXPECT_EQ(*AcceptAttachment(Spooled(samples::Pdf()), Declared("application/pdf")),
            "application/pdf");
  EXPECT_EQ(*AcceptAttachment(Spooled(samples::Zip()), None()), "application/zip");
  EXPECT_EQ(*AcceptAttachment(Spooled(samples::Png().substr(0, 30)), None()), "image/png");
}

TEST(AcceptAttachment, RejectsEmptyUnknownAndMismatchedUploads) {
  EXPECT_EQ(AcceptAttachment(Spooled(""), None()).error().code, ErrorCode::kInvalidArgument);
  std::string noise(3000, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919) >> 3);
  EXPECT_EQ(AcceptAttachment(Spooled(noise), None()).error().code, ErrorCode::kInvalidArgument);
  // The contract's own example: GIF bytes declared as text/plain.
  auto mismatch = AcceptAttachment(Spooled(samples::Gif()), Declared("text/plain"));
  EXPECT_EQ(mismatch.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(mismatch.error().reason, "");  // -> 400 invalid_request
}

TEST(AcceptProfileImage, TakesEveryAllowlistedFormat) {
  EXPECT_EQ(*AcceptProfileImage(Spooled(samples::Png()), Declared("image/png")), "image/png");
  EXPECT_EQ(*AcceptProfileImage(Spooled(samples::Jpeg()), None()), "image/jpeg");
  EXPECT_EQ(*AcceptProfileImage(Spooled(samples::Gif()), None()), "image/gif");
  EXPECT_EQ(*AcceptProfileImage(Spooled(samples::Webp()), None()), "image/webp");
  EXPECT_EQ(*AcceptProfileImage(Spooled(samples::Avif()), None()), "image/avif");
}

TEST(AcceptProfileImage, RejectsWhatIsNotAWholeAllowlistedImage) {
  for (const std::string& body :
       {samples::Pdf(), samples::PlainText(), samples::Zip(), samples::Png().substr(0, 40),
        samples::Jpeg().substr(0, 100), std::string()}) {
    auto accepted = AcceptProfileImage(Spooled(body), None());
    ASSERT_FALSE(accepted.ok());
    EXPECT_EQ(accepted.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(AcceptProfileImage(Spooled(samples::Png()), Declared("image/jpeg")).ok());
}

}  // namespace
}  // namespace filament::upload

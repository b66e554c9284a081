#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "adapters/http/http_types.hpp"
#include "adapters/upload/upload_spool.hpp"

namespace filament::api {

// The body of an avatar or banner upload, streamed into an UploadSpool as it arrives: a
// declared or counted size over `max_bytes` is answered 413 payload_too_large at once, without
// reading the rest (REST_API.md §4.3). After OnEnd, upload() holds the spooled bytes with their
// size, SHA-256 and sniffed MIME. One sink per request (see http::BodySink for the threads).
class UploadSink final : public http::BodySink {
 public:
  UploadSink(int64_t max_bytes, std::string spool_directory)
      : max_bytes_(max_bytes), spool_directory_(std::move(spool_directory)) {}

  std::optional<http::HttpResponse> OnBegin(std::optional<int64_t> declared_length) override;
  std::optional<http::HttpResponse> OnChunk(std::string_view bytes) override;
  std::optional<http::HttpResponse> OnEnd() override;

  const std::optional<upload::SpooledUpload>& upload() const { return upload_; }

 private:
  int64_t max_bytes_;
  std::string spool_directory_;
  std::optional<upload::UploadSpool> spool_;
  std::optional<upload::SpooledUpload> upload_;
};

}  // namespace filament::api

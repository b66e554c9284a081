#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "adapters/http/http_types.hpp"
#include "adapters/upload/upload_spool.hpp"
#include "api/routes/auth_service.hpp"
#include "core/result.hpp"

namespace filament::api {

// What an upload route decided from the request head alone, before any body byte.
struct AdmittedUpload {
  Principal who;
  std::optional<std::string> declared_mime;  // the declared Content-Type's essence, if any
};

// The body of an avatar or banner upload (REST_API.md §4.3). OnBegin — on a worker, before any
// body byte is read — runs the route's admission (auth-route limiter, token, Content-Type) and
// then the declared-length cap: a refusal is answered at once and creates no spool. An
// admitted body streams into an UploadSpool as it arrives; a counted size over `max_bytes` is
// answered 413 payload_too_large without reading the rest. After OnEnd, upload() holds the
// spooled bytes with their size, SHA-256 and sniffed MIME. One sink per request (see
// http::BodySink for the threads).
class UploadSink final : public http::BodySink {
 public:
  using Admit = std::function<core::Result<AdmittedUpload>()>;
  using Answer = std::function<http::HttpResponse(const core::Error&)>;
  // `answer` maps an error to the response (null: the contract mapping of api/support/errors).
  UploadSink(int64_t max_bytes, std::string spool_directory, Admit admit, Answer answer = nullptr)
      : max_bytes_(max_bytes),
        spool_directory_(std::move(spool_directory)),
        admit_(std::move(admit)),
        answer_(std::move(answer)) {}

  std::optional<http::HttpResponse> OnBegin(std::optional<int64_t> declared_length) override;
  std::optional<http::HttpResponse> OnChunk(std::string_view bytes) override;
  std::optional<http::HttpResponse> OnEnd() override;

  // Set once OnBegin admitted the request.
  const std::optional<AdmittedUpload>& admitted() const { return admitted_; }
  const std::optional<upload::SpooledUpload>& upload() const { return upload_; }

 private:
  http::HttpResponse Fail(const core::Error& error) const;

  int64_t max_bytes_;
  std::string spool_directory_;
  Admit admit_;
  Answer answer_;
  std::optional<AdmittedUpload> admitted_;
  std::optional<upload::UploadSpool> spool_;
  std::optional<upload::SpooledUpload> upload_;
};

}  // namespace filament::api

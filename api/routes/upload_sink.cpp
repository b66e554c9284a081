#include "api/routes/upload_sink.hpp"

#include "api/routes/error_response.hpp"
#include "api/support/errors.hpp"

namespace filament::api {
namespace {

core::Error TooLarge() {
  return core::MakeError(core::ErrorCode::kResourceExhausted, "upload over its cap",
                         "payload_too_large");
}

}  // namespace

http::HttpResponse UploadSink::Fail(const core::Error& error) const {
  if (answer_) return answer_(error);
  return FromReply(MapError(error));
}

std::optional<http::HttpResponse> UploadSink::OnBegin(std::optional<int64_t> declared_length) {
  if (admit_) {
    auto admitted = admit_();
    if (!admitted.ok()) return Fail(admitted.error());
    admitted_.emplace(std::move(*admitted));
  } else {
    admitted_.emplace();
  }
  if (declared_length && *declared_length > max_bytes_) return Fail(TooLarge());
  auto spool = upload::UploadSpool::Create({spool_directory_, max_bytes_});
  if (!spool.ok()) return Fail(spool.error());
  spool_.emplace(std::move(*spool));
  return std::nullopt;
}

std::optional<http::HttpResponse> UploadSink::OnChunk(std::string_view bytes) {
  auto appended = spool_->Append(bytes);
  if (!appended.ok()) return Fail(appended.error());
  return std::nullopt;
}

std::optional<http::HttpResponse> UploadSink::OnEnd() {
  auto finished = spool_->Finish();
  if (!finished.ok()) return Fail(finished.error());
  upload_.emplace(std::move(*finished));
  spool_.reset();
  return std::nullopt;
}

}  // namespace filament::api

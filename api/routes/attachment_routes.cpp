// Attachments (contract §4.12): streamed upload, download, delete. ADR 0040 explains where the
// quota is decided and why attachment facts live on the guild stream.
#include <algorithm>

#include "adapters/upload/upload_policy.hpp"
#include "adapters/upload/upload_spool.hpp"
#include "api/routes/governance_helpers.hpp"
#include "api/routes/route_helpers.hpp"
#include "commands/guild/attachments.hpp"
#include "core/blob_store.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "render/message_view.hpp"

namespace filament::api {
namespace {

core::Error QuotaExceeded() {
  return core::MakeError(core::ErrorCode::kResourceExhausted, "attachment quota exceeded",
                         "quota_exceeded");
}

core::Error TooLarge() {
  return core::MakeError(core::ErrorCode::kResourceExhausted, "attachment over the size cap",
                         "payload_too_large");
}

// Receives one upload body: spools it (cap checked first), holding a quota reservation for
// every byte accepted (the declared length up front, else piece by piece); releases what it
// reserved when it goes away.
class AttachmentSink final : public http::BodySink {
 public:
  AttachmentSink(ApiHandler& api, http::HttpRequest head, RouteMatch match)
      : api_(api), head_(std::move(head)), match_(std::move(match)) {}
  ~AttachmentSink() override { ReleaseReservation(); }

  std::optional<http::HttpResponse> OnBegin(std::optional<int64_t> declared_length) override;
  std::optional<http::HttpResponse> OnChunk(std::string_view bytes) override;
  std::optional<http::HttpResponse> OnEnd() override;

  // Best effort: a hold that cannot be dropped (the database is gone) dies with this
  // process's connection to it (ADR 0096).
  void ReleaseReservation() {
    if (reserved_ > 0) {
      (void)api_.deps().commands.attachment_quota().ReleaseUpload(user_id_, hold_id_, reserved_);
    }
    reserved_ = 0;
  }

  std::string user_id_;
  std::string filename_;
  std::optional<std::string> declared_;
  std::optional<upload::SpooledUpload> upload_;
  std::string mime_;

 private:
  std::optional<http::HttpResponse> Admit();
  core::Status Precheck();
  std::optional<http::HttpResponse> Fail(const core::Error& error) { return api_.Error(error); }
  // Reserves between `at_least` and `at_most` bytes more of the owner's quota; a refusal or
  // error response when it cannot.
  std::optional<http::HttpResponse> ReserveMore(uint64_t at_least, uint64_t at_most);

  ApiHandler& api_;
  http::HttpRequest head_;
  RouteMatch match_;
  std::optional<upload::UploadSpool> spool_;
  uint64_t reserved_ = 0;
  std::string hold_id_;  // names this upload's reservation (shared with several writers)
};

// Everything decidable before a body byte, in the contract's order: token, IP-ban gate
// (§3.7), query, Content-Type, channel access. Runs on a worker (OnBegin); no spool exists yet.
std::optional<http::HttpResponse> AttachmentSink::Admit() {
  RouteRequest request{head_, match_, ClientIpOf(api_.deps().client_ip, head_)};
  auto who = api_.Authenticate(request);
  if (!who.ok()) return Fail(who.error());
  user_id_ = who->user_id;
  if (auto refused = IpBanGate(api_, request, *who, std::string(match_.Param("guild_id")))) {
    return refused;
  }
  if (auto status = Precheck(); !status.ok()) return Fail(status.error());
  return std::nullopt;
}

// The head's own rules: query, Content-Type, channel access.
core::Status AttachmentSink::Precheck() {
  auto params = QueryParams::Parse(head_.query);
  if (!params.ok()) return params.error();
  FILAMENT_RETURN_IF_ERROR(params->RejectUnknown({"filename"}));
  auto filename = params->Get("filename");
  if (!filename.ok()) return filename.error();
  filename_ = filename->value_or("upload.bin");
  FILAMENT_RETURN_IF_ERROR(commands::ValidateAttachmentFilename(filename_));
  auto declared = upload::ParseDeclaredContentType(head_.Header("content-type"));
  if (!declared.ok()) return declared.error();
  declared_ = *declared;
  auto access = api_.deps().guilds.VisibleChannelAccess(
      std::string(match_.Param("guild_id")), std::string(match_.Param("channel_id")), user_id_);
  if (!access.ok() || !access->permissions.Has(commands::Permission::kCreateMessage)) {
    if (!access.ok() && access.error().code != core::ErrorCode::kNotFound &&
        access.error().code != core::ErrorCode::kPermissionDenied) {
      return access.error();
    }
    return core::PermissionDenied("no create_message in the channel");
  }
  return core::OkStatus();
}

std::optional<http::HttpResponse> AttachmentSink::OnBegin(std::optional<int64_t> declared_length) {
  if (auto refused = Admit()) return refused;
  const auto& limits = api_.deps().limits;
  if (declared_length && *declared_length > limits.max_attachment_bytes) return Fail(TooLarge());
  // A declared length is reserved whole, so parallel uploads are admitted first come, first
  // served instead of all holding a part of the quota. A chunked body reserves as it comes;
  // with several api processes (shared reservations, ADR 0096), where a reservation may
  // block but OnChunk must not, it reserves up to the size cap of what the quota leaves now.
  hold_id_ = api_.NewUploadId();
  if (declared_length) {
    uint64_t whole = std::max<uint64_t>(static_cast<uint64_t>(*declared_length), 1);
    if (auto refused = ReserveMore(whole, whole)) return refused;
  } else {
    const bool ahead = api_.deps().commands.attachment_quota().shares_reservations();
    uint64_t cap = static_cast<uint64_t>(std::max<int64_t>(limits.max_attachment_bytes, 1));
    if (auto refused = ReserveMore(1, ahead ? cap : 1)) return refused;
  }
  auto spool = upload::UploadSpool::Create(
      upload::SpoolOptions{api_.deps().spool_directory, limits.max_attachment_bytes});
  if (!spool.ok()) return Fail(spool.error());
  spool_.emplace(std::move(*spool));
  return std::nullopt;
}

std::optional<http::HttpResponse> AttachmentSink::OnChunk(std::string_view bytes) {
  // The size cap first, then the quota, on every piece (contract §4.12).
  if (auto status = spool_->Append(bytes); !status.ok()) return Fail(status.error());
  auto received = static_cast<uint64_t>(spool_->size());
  if (received <= reserved_) return std::nullopt;
  // Shared reservations took all the quota left up front (OnBegin).
  if (api_.deps().commands.attachment_quota().shares_reservations()) return Fail(QuotaExceeded());
  return ReserveMore(received - reserved_, received - reserved_);
}

std::optional<http::HttpResponse> AttachmentSink::ReserveMore(uint64_t at_least, uint64_t at_most) {
  auto granted =
      api_.deps().commands.attachment_quota().ReserveUpload(user_id_, hold_id_, at_least, at_most);
  if (!granted.ok()) return Fail(granted.error());
  if (*granted == 0) return Fail(QuotaExceeded());
  reserved_ += *granted;
  return std::nullopt;
}

std::optional<http::HttpResponse> AttachmentSink::OnEnd() {
  auto finished = spool_->Finish();
  if (!finished.ok()) return Fail(finished.error());
  auto mime = upload::AcceptAttachment(*finished, declared_);
  if (!mime.ok()) return Fail(mime.error());
  mime_ = *mime;
  upload_.emplace(std::move(*finished));
  return std::nullopt;
}

struct AttachmentPath {
  std::string guild_id;
  std::string channel_id;
  std::string attachment_id;
};

AttachmentPath PathOf(const RouteMatch& match) {
  return AttachmentPath{std::string(match.Param("guild_id")),
                        std::string(match.Param("channel_id")),
                        std::string(match.Param("attachment_id"))};
}

// Stores the spooled bytes, then records the upload; the reservation is released after the
// append counted the bytes as used (never a moment where neither holds them). The sink
// admitted the head (token, IP-ban gate, query, permission) before reading the body.
http::HttpResponse Upload(ApiHandler& api, RouteRequest& request) {
  auto* sink = dynamic_cast<AttachmentSink*>(request.http.streamed_body.get());
  if (sink == nullptr || !sink->upload_) return api.Error(core::InvalidArgument("no body"));
  AttachmentPath path = PathOf(request.match);
  std::string id = api.NewUploadId();
  std::string key = core::AttachmentBlobKey(id);
  const upload::SpooledUpload& spooled = *sink->upload_;
  auto source = spooled.NewSource();
  if (auto s = api.deps().blobs->Put(key, *source, spooled.Info(sink->mime_)); !s.ok()) {
    return api.Error(s.error());
  }
  auto appended = api.deps().commands.OnGuild(
      commands::CommandContext{sink->user_id_, request.http.request_id}, path.guild_id,
      [&](commands::Minter& m) {
        return commands::UploadAttachment{path.guild_id,
                                          path.channel_id,
                                          id,
                                          sink->user_id_,
                                          sink->filename_,
                                          sink->mime_,
                                          static_cast<uint64_t>(spooled.size()),
                                          spooled.sha256_hex(),
                                          m.NowUnix()};
      });
  sink->ReleaseReservation();
  if (!appended.ok()) {
    (void)api.deps().blobs->Delete(key);
    return api.Error(appended.error());
  }
  const auto& uploaded = std::get<events::AttachmentUploaded>(appended->events.at(0));
  return api.Mutation(*appended, render::AttachmentJson(render::ViewOf(uploaded)));
}

// The attachment named by the path, when the caller may see its channel.
core::Result<projections::StoredAttachment> VisibleAttachment(ApiHandler& api,
                                                              const AttachmentPath& path,
                                                              const std::string& user_id) {
  auto access = api.deps().guilds.VisibleChannelAccess(path.guild_id, path.channel_id, user_id);
  if (!access.ok()) {
    if (access.error().code == core::ErrorCode::kNotFound) return core::PermissionDenied("");
    return access.error();
  }
  if (!access->permissions.Has(commands::Permission::kCreateMessage)) {
    return core::PermissionDenied("no create_message in the channel");
  }
  auto stored = api.deps().messages.Attachment(path.attachment_id);
  if (!stored.ok()) return stored.error();
  if (!*stored || (*stored)->view.guild_id != path.guild_id ||
      (*stored)->view.channel_id != path.channel_id) {
    return core::NotFound("unknown attachment");
  }
  return **stored;
}

http::HttpResponse Download(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  AttachmentPath path = PathOf(request.match);
  if (auto refused = IpBanGate(api, request, *who, path.guild_id)) return *refused;
  auto stored = VisibleAttachment(api, path, who->user_id);
  if (!stored.ok()) return api.Error(stored.error());
  // Streamed (ADR 0041): the server reads the blob a chunk at a time as the client takes it.
  auto reader = api.deps().blobs->Open(core::AttachmentBlobKey(path.attachment_id));
  if (!reader.ok()) {
    if (reader.error().code == core::ErrorCode::kNotFound) return api.Error(core::NotFound(""));
    return api.Error(reader.error());
  }
  http::HttpResponse response;
  response.body_length = (*reader)->info().size;
  response.body_source = std::move(*reader);
  response.content_type = stored->view.mime_type;
  response.headers = {{"x-content-type-options", "nosniff"},
                      {"cache-control", "private, no-store"}};
  return response;
}

http::HttpResponse Delete(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  AttachmentPath path = PathOf(request.match);
  if (auto refused = IpBanGate(api, request, *who, path.guild_id)) return *refused;
  auto appended = api.deps().commands.OnGuild(
      ContextFor(*who, request), path.guild_id, [&](commands::Minter& m) {
        return commands::DeleteAttachment{path.guild_id, path.channel_id, path.attachment_id,
                                          who->user_id, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  api.DeleteAttachmentBytes({path.attachment_id});
  return api.Mutation(*appended, "", 204);
}

}  // namespace

void RegisterAttachmentRoutes(const AddRoute& add, const AddStreamedRoute& add_streamed) {
  constexpr std::string_view kBase = "/guilds/{guild_id}/channels/{channel_id}/attachments";
  add_streamed("POST", kBase, Upload,
               [](ApiHandler& api, const http::HttpRequest& head, const RouteMatch& match) {
                 return std::make_shared<AttachmentSink>(api, head, match);
               });
  add("GET", std::string(kBase) + "/{attachment_id}", Download);
  add("DELETE", std::string(kBase) + "/{attachment_id}", Delete);
}

}  // namespace filament::api

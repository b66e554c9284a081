// Avatars and banners (REST_API.md §4.3): raw-body uploads admitted from their head (limiter,
// token, Content-Type) before any body byte, then streamed into a spool (size counted as bytes
// arrive, SHA-256, libmagic sniffing), stored in the BlobStore at the user's fixed key,
// recorded in the log by metadata only; downloads are public and streamed from the BlobStore.
#include <array>
#include <functional>
#include <mutex>

#include "adapters/upload/upload_policy.hpp"
#include "adapters/upload/upload_spool.hpp"
#include "api/routes/route_helpers.hpp"
#include "api/routes/upload_sink.hpp"
#include "core/blob_store.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::api {
namespace {

using Kind = commands::ChangeProfileImage::Kind;

// Uploads of one user are serialized, so the blob under the user's fixed key and the last
// event about it always describe the same bytes.
std::mutex& UploadLock(const std::string& user_id) {
  static std::array<std::mutex, 64> locks;
  return locks[std::hash<std::string>{}(user_id) % locks.size()];
}

const char* LimiterRoute(Kind kind) {
  return kind == Kind::kAvatar ? "profile_avatar_upload" : "profile_banner_upload";
}

// Everything decided from the head, before any body byte (contract order: auth-route limiter,
// token, declared Content-Type; the sink then checks the declared length against the cap).
core::Result<AdmittedUpload> AdmitImage(ApiHandler& api, const http::HttpRequest& head,
                                        const RouteMatch& match, Kind kind) {
  RouteRequest request{head, match, ClientIpOf(api.deps().client_ip, head)};
  if (!api.AllowAuthRoute(LimiterRoute(kind), request.client_ip)) return RateLimited();
  auto who = api.Authenticate(request);
  if (!who.ok()) return who.error();
  auto declared = upload::ParseDeclaredContentType(head.Header("content-type"));
  if (!declared.ok()) return declared.error();
  return AdmittedUpload{std::move(*who), std::move(*declared)};
}

std::shared_ptr<http::BodySink> OpenImageSink(ApiHandler& api, const http::HttpRequest& head,
                                              const RouteMatch& match, Kind kind) {
  const auto& limits = api.deps().limits;
  return std::make_shared<UploadSink>(
      kind == Kind::kAvatar ? limits.max_profile_avatar_bytes : limits.max_profile_banner_bytes,
      api.deps().spool_directory,
      [&api, head, match, kind] { return AdmitImage(api, head, match, kind); },
      [&api](const core::Error& error) { return api.Error(error); });
}

core::Result<commands::Appended> StoreImage(ApiHandler& api, const AdmittedUpload& admitted,
                                            const RouteRequest& request, Kind kind,
                                            const upload::SpooledUpload& spooled) {
  const Principal& who = admitted.who;
  auto mime = upload::AcceptProfileImage(spooled, admitted.declared_mime);
  if (!mime.ok()) return mime.error();
  const std::string key =
      kind == Kind::kAvatar ? core::AvatarBlobKey(who.user_id) : core::BannerBlobKey(who.user_id);
  std::lock_guard lock(UploadLock(who.user_id));
  auto source = spooled.NewSource();
  FILAMENT_RETURN_IF_ERROR(api.deps().blobs->Put(key, *source, spooled.Info(*mime)));
  return api.deps().commands.OnUser(
      ContextFor(who, request), who.user_id, [&](commands::Minter& m) {
        return commands::ChangeProfileImage{
            kind, key, spooled.size(), *mime, spooled.sha256_hex(), m.NowUnix()};
      });
}

// The sink admitted the head (limiter, token, Content-Type) and spooled the body.
http::HttpResponse Upload(ApiHandler& api, RouteRequest& request, Kind kind) {
  auto* sink = dynamic_cast<UploadSink*>(request.http.streamed_body.get());
  if (sink == nullptr || !sink->upload() || !sink->admitted()) {
    return api.Error(core::InvalidArgument("no body"));
  }
  const AdmittedUpload& admitted = *sink->admitted();
  auto appended = StoreImage(api, admitted, request, kind, *sink->upload());
  if (!appended.ok()) return api.Error(appended.error());
  return api.MutationThen(*appended, [&]() -> core::Result<std::string> {
    auto profile = api.deps().users.FindById(admitted.who.user_id);
    if (!profile.ok()) return profile.error();
    if (!profile->has_value()) return core::Internal("profile vanished");
    return projections::ProfileJson(**profile);
  });
}

http::HttpResponse Download(ApiHandler& api, RouteRequest& request, Kind kind) {
  auto id = core::Ulid::Parse(request.match.Param("user_id"));
  if (!id) return api.Error(core::InvalidArgument("user_id is not a ULID"));
  const std::string user_id = id->ToString();
  auto image = api.deps().users.FindImage(user_id, kind == Kind::kAvatar
                                                       ? projections::ProfileImageKind::kAvatar
                                                       : projections::ProfileImageKind::kBanner);
  if (!image.ok()) return api.Error(image.error());
  if (!image->has_value()) return api.Error(core::NotFound("no image"));
  // Streamed (ADR 0041). The reader never mixes two objects (a replace mid-body ends the
  // connection), and the blob's own info, as of Open, names what is served.
  auto reader = api.deps().blobs->Open((*image)->blob_id);
  if (!reader.ok()) return api.Error(reader.error());
  const core::BlobInfo info = (*reader)->info();
  http::HttpResponse response;
  response.body_length = info.size;
  response.body_source = std::move(*reader);
  response.content_type = info.mime_type;
  response.headers = {{"x-content-type-options", "nosniff"},
                      {"cache-control", "public, max-age=300"},
                      {"etag", "\"" + info.sha256_hex + "\""}};
  return response;
}

}  // namespace

void RegisterUploadRoutes(const AddRoute& add, const AddStreamedRoute& add_streamed) {
  for (Kind kind : {Kind::kAvatar, Kind::kBanner}) {
    const char* pattern =
        kind == Kind::kAvatar ? "/users/me/profile/avatar" : "/users/me/profile/banner";
    add_streamed(
        "POST", pattern, [kind](ApiHandler& api, RouteRequest& r) { return Upload(api, r, kind); },
        [kind](ApiHandler& api, const http::HttpRequest& head, const RouteMatch& match) {
          return OpenImageSink(api, head, match, kind);
        });
  }
  add("GET", "/users/{user_id}/avatar",
      [](ApiHandler& api, RouteRequest& r) { return Download(api, r, Kind::kAvatar); });
  add("GET", "/users/{user_id}/banner",
      [](ApiHandler& api, RouteRequest& r) { return Download(api, r, Kind::kBanner); });
}

}  // namespace filament::api

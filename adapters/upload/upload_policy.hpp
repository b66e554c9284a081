#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapters/upload/upload_spool.hpp"
#include "core/result.hpp"

// The contract's acceptance rules for uploaded bytes (REST_API.md §4.3 and §4.12), shared by
// the avatar, banner and attachment routes. Every rejection here is kInvalidArgument with no
// reason, which api/support/errors maps to 400 invalid_request.
namespace filament::upload {

// Parses a Content-Type header value strictly (RFC 9110 §8.3.1: type "/" subtype, then
// `*( OWS ";" OWS [ token "=" ( token / quoted-string ) ] )`, surrounding OWS allowed) and
// returns its essence, lower-cased ("image/png"). Errors: kInvalidArgument when unparsable.
core::Result<std::string> ParseMediaTypeEssence(std::string_view header_value);

// As above for an optional header: nullopt stays nullopt (an absent Content-Type is fine).
core::Result<std::optional<std::string>> ParseDeclaredContentType(
    const std::optional<std::string>& header_value);

// The profile media allowlist: image/jpeg, image/png, image/webp, image/gif, image/avif.
bool IsProfileImageMime(std::string_view mime);

// Checks a finished attachment upload and returns the MIME to store (the sniffed one).
// Errors (kInvalidArgument): empty body; content not recognised; `declared_essence` given and
// not equal to the sniffed MIME. kInternal: as UploadSpool::Finish.
core::Result<std::string> AcceptAttachment(const SpooledUpload& upload,
                                           const std::optional<std::string>& declared_essence);

// Checks a finished avatar or banner upload and returns the MIME to store. Errors
// (kInvalidArgument): as AcceptAttachment, plus a sniffed type outside the allowlist and an
// image that is not structurally complete (IsCompleteImage: truncated or corrupt).
// kInternal: the spooled file cannot be read back.
core::Result<std::string> AcceptProfileImage(const SpooledUpload& upload,
                                             const std::optional<std::string>& declared_essence);

}  // namespace filament::upload

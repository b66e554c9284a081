#include "adapters/upload/upload_policy.hpp"

#include <algorithm>
#include <cstring>

namespace filament::upload {
namespace {

constexpr std::string_view kProfileImageTypes[] = {"image/jpeg", "image/png", "image/webp",
                                                   "image/gif", "image/avif"};

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

// A cursor over a header value; each Take* consumes on success only.
struct Parser {
  std::string_view rest;

  void SkipOws() {
    while (!rest.empty() && IsOws(rest.front())) rest.remove_prefix(1);
  }
  bool Take(char c) {
    if (rest.empty() || rest.front() != c) return false;
    rest.remove_prefix(1);
    return true;
  }
  std::string_view TakeToken() {
    size_t n = 0;
    while (n < rest.size() && IsTokenChar(rest[n])) ++n;
    std::string_view token = rest.substr(0, n);
    rest.remove_prefix(n);
    return token;
  }
  // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4).
  bool TakeQuotedString() {
    if (!Take('"')) return false;
    while (!rest.empty()) {
      unsigned char c = static_cast<unsigned char>(rest.front());
      rest.remove_prefix(1);
      if (c == '"') return true;
      if (c == '\\') {
        if (rest.empty()) return false;
        c = static_cast<unsigned char>(rest.front());
        rest.remove_prefix(1);
        if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
      } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
        return false;
      }
    }
    return false;
  }
  // OWS ";" OWS [ token "=" ( token / quoted-string ) ]
  bool TakeParameter() {
    SkipOws();
    if (!Take(';')) return false;
    SkipOws();
    if (rest.empty() || rest.front() == ';') return true;
    if (TakeToken().empty() || !Take('=')) return false;
    if (!rest.empty() && rest.front() == '"') return TakeQuotedString();
    return !TakeToken().empty();
  }
};

core::Error Rejected(std::string message) { return core::InvalidArgument(std::move(message)); }

// The rules both kinds share: not empty, recognised, declared matches sniffed.
core::Status CheckCommon(const SpooledUpload& upload, const std::optional<std::string>& declared) {
  if (upload.size() == 0) return Rejected("empty upload");
  if (upload.sniffed_mime().empty()) return Rejected("unrecognised content");
  if (declared && *declared != upload.sniffed_mime()) {
    return Rejected("declared Content-Type " + *declared + " but the bytes are " +
                    upload.sniffed_mime());
  }
  return core::OkStatus();
}

}  // namespace

core::Result<std::string> ParseMediaTypeEssence(std::string_view header_value) {
  Parser p{header_value};
  p.SkipOws();
  std::string_view type = p.TakeToken();
  if (type.empty() || !p.Take('/')) return Rejected("unparsable Content-Type");
  std::string_view subtype = p.TakeToken();
  if (subtype.empty()) return Rejected("unparsable Content-Type");
  while (true) {
    p.SkipOws();
    if (p.rest.empty()) break;
    if (!p.TakeParameter()) return Rejected("unparsable Content-Type");
  }
  std::string essence = std::string(type) + "/" + std::string(subtype);
  std::transform(essence.begin(), essence.end(), essence.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return essence;
}

core::Result<std::optional<std::string>> ParseDeclaredContentType(
    const std::optional<std::string>& header_value) {
  if (!header_value) return std::optional<std::string>();
  auto essence = ParseMediaTypeEssence(*header_value);
  if (!essence.ok()) return essence.error();
  return std::optional<std::string>(std::move(*essence));
}

bool IsProfileImageMime(std::string_view mime) {
  return std::find(std::begin(kProfileImageTypes), std::end(kProfileImageTypes), mime) !=
         std::end(kProfileImageTypes);
}

core::Result<std::string> AcceptAttachment(const SpooledUpload& upload,
                                           const std::optional<std::string>& declared_essence) {
  FILAMENT_RETURN_IF_ERROR(CheckCommon(upload, declared_essence));
  return upload.sniffed_mime();
}

core::Result<std::string> AcceptProfileImage(const SpooledUpload& upload,
                                             const std::optional<std::string>& declared_essence) {
  FILAMENT_RETURN_IF_ERROR(CheckCommon(upload, declared_essence));
  if (!IsProfileImageMime(upload.sniffed_mime())) {
    return Rejected("profile media must be JPEG, PNG, WebP, GIF or AVIF");
  }
  auto complete = IsCompleteImage(upload, upload.sniffed_mime());
  if (!complete.ok()) return complete.error();
  if (!*complete) return Rejected("truncated or corrupt image");
  return upload.sniffed_mime();
}

}  // namespace filament::upload

#include "adapters/webroot/static_site.hpp"

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include "adapters/webroot/file_source.hpp"

namespace filament::webroot {
namespace {

constexpr std::string_view kAssetsPrefix = "/assets/";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kNoCache = "no-cache";

struct TypeEntry {
  std::string_view extension;
  std::string_view type;
};
constexpr std::array<TypeEntry, 21> kTypes{{
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"webmanifest", "application/manifest+json"},
    {"htm", "text/html; charset=utf-8"},
}};

// The extension of the last segment ("" when it has none; a leading dot is no extension).
std::string_view ExtensionOf(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);  // npos + 1 == 0
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict percent-decoding ('+' stays '+' in a path); nullopt on a malformed escape.
std::optional<std::string> DecodePath(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    if (i + 2 >= raw.size()) return std::nullopt;
    int high = HexValue(raw[i + 1]);
    int low = HexValue(raw[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// A decoded path the site may look up: absolute, no NUL or backslash, no empty, ".", ".." or
// dot-file segment (a trailing slash is allowed: "/app/" is a client route).
bool SafePath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  if (path.find('\\') != std::string_view::npos) return false;
  size_t start = 1;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

std::string Hex(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value & 15]);
    value >>= 4;
  } while (value != 0);
  return out;
}

std::string EtagOf(const struct stat& st) {
  const uint64_t mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ull +
                            static_cast<uint64_t>(st.st_mtim.tv_nsec);
  return "\"" + Hex(static_cast<uint64_t>(st.st_size)) + "-" + Hex(mtime_ns) + "\"";
}

// If-None-Match (RFC 9110 §13.1.2, weak comparison): "*" or any listed tag equal to `etag`.
bool NoneMatchHits(std::string_view header, std::string_view etag) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    std::string_view tag =
        header.substr(pos, comma == std::string_view::npos ? header.npos : comma - pos);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

void AddSecurityHeaders(http::HttpResponse& response) {
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
}

http::HttpResponse Plain(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = "text/plain; charset=utf-8";
  response.headers.emplace_back("Cache-Control", std::string(kNoCache));
  AddSecurityHeaders(response);
  return response;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  const std::string extension = Lower(ExtensionOf(file_name));
  for (const auto& entry : kTypes) {
    if (entry.extension == extension) return entry.type;
  }
  return "application/octet-stream";
}

core::Result<std::unique_ptr<StaticSite>> StaticSite::Open(const std::string& root) {
  char resolved[PATH_MAX];
  if (::realpath(root.c_str(), resolved) == nullptr) {
    return core::InvalidArgument("web root " + root + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return core::InvalidArgument("web root " + root + ": not a directory");
  }
  std::unique_ptr<StaticSite> site(new StaticSite(resolved));
  if (site->root_ == "/") site->root_.clear();  // "/" + relative, not "//" + relative
  if (!site->Resolve("/index.html")) {
    return core::InvalidArgument("web root " + root + ": no index.html (give the built client's " +
                                 "dist/ directory)");
  }
  return site;
}

std::optional<std::string> StaticSite::Resolve(const std::string& relative) const {
  const std::string full = root_ + relative;
  char resolved[PATH_MAX];
  if (::realpath(full.c_str(), resolved) == nullptr) return std::nullopt;
  std::string_view real(resolved);
  // Inside the root: a symlink may point anywhere inside it, never outside.
  if (real.size() <= root_.size() || real.substr(0, root_.size()) != root_ ||
      real[root_.size()] != '/') {
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(resolved, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return std::string(real);
}

http::HttpResponse StaticSite::Serve(const http::HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    http::HttpResponse refused = Plain(405, "Method Not Allowed\n");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  auto decoded = DecodePath(request.path);
  if (!decoded) return Plain(400, "Bad Request\n");
  if (!SafePath(*decoded)) return Plain(404, "Not Found\n");
  if (*decoded == "/" || *decoded == "/index.html") return ServeIndex(request);
  if (auto real = Resolve(*decoded)) return ServeFile(*real, *decoded, request);
  const bool asset = decoded->starts_with(kAssetsPrefix);
  if (asset || !ExtensionOf(*decoded).empty()) return Plain(404, "Not Found\n");
  return ServeIndex(request);  // a client-side route (/login, /app/...)
}

http::HttpResponse StaticSite::ServeIndex(const http::HttpRequest& request) const {
  auto real = Resolve("/index.html");
  if (!real) return Plain(404, "Not Found\n");  // removed after start-up
  return ServeFile(*real, "/index.html", request);
}

http::HttpResponse StaticSite::ServeFile(const std::string& real_path, std::string_view url_path,
                                         const http::HttpRequest& request) const {
  auto source = FileSource::Open(real_path);
  if (!source.ok()) return Plain(404, "Not Found\n");  // gone since Resolve
  struct stat st {};
  if (::fstat((*source)->fd(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Plain(404, "Not Found\n");
  }
  http::HttpResponse response;
  const std::string etag = EtagOf(st);
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back(
      "Cache-Control", std::string(url_path.starts_with(kAssetsPrefix) ? kImmutable : kNoCache));
  AddSecurityHeaders(response);
  response.content_type = std::string(ContentTypeFor(url_path));
  auto none_match = request.Header("if-none-match");
  if (none_match && NoneMatchHits(*none_match, etag)) {
    response.status = 304;
    return response;
  }
  if (st.st_size > 0) {  // an empty file is an empty body
    response.body_length = static_cast<int64_t>(st.st_size);
    response.body_source = std::move(*source);
  }
  return response;
}

}  // namespace filament::webroot

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/http_types.hpp"
#include "core/result.hpp"

namespace filament::webroot {

// The Content-Type for a file name, by its extension (case-insensitive): the types a built
// web client ships (html, js, css, json, source maps, images, fonts, wasm, web manifest);
// application/octet-stream for anything else.
std::string_view ContentTypeFor(std::string_view file_name);

// A built single-page web client served from one directory (ADR 0051). Answers GET and HEAD:
//   - "/" and any path whose last segment has no extension and names no file → index.html
//     (client-side routes such as /login or /app/...), except under /assets/;
//   - an existing regular file inside the root → its bytes, streamed from disk;
//   - anything else → 404 (a missing file with an extension, a missing asset, a directory —
//     there is no listing — a dot-file, a path resolving outside the root through a symlink);
//   - a path that is not strictly percent-encoded, or holds NUL, '\\' or a ".." / "." segment
//     → 400 / 404 without touching the file system beyond the root.
// Every answer carries X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and
// X-Frame-Options: DENY. Files under /assets/ (content-hashed by the build) are cached for a
// year as immutable; everything else is `no-cache` (revalidated with its ETag, size and
// mtime, If-None-Match → 304). Thread-safe (no mutable state).
class StaticSite {
 public:
  // Errors: kInvalidArgument when `root` is not a readable directory holding an index.html.
  static core::Result<std::unique_ptr<StaticSite>> Open(const std::string& root);

  // Answers one GET or HEAD request (another method → 405 with Allow: GET, HEAD).
  http::HttpResponse Serve(const http::HttpRequest& request) const;

  const std::string& root() const { return root_; }

 private:
  explicit StaticSite(std::string root) : root_(std::move(root)) {}

  http::HttpResponse ServeFile(const std::string& real_path, std::string_view url_path,
                               const http::HttpRequest& request) const;
  http::HttpResponse ServeIndex(const http::HttpRequest& request) const;
  // The canonical path of `relative` under the root, when it is a regular file inside it.
  std::optional<std::string> Resolve(const std::string& relative) const;

  std::string root_;  // canonical (realpath), no trailing slash
};

}  // namespace filament::webroot

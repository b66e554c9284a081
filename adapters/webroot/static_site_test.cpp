#include "adapters/webroot/static_site.hpp"

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace filament::webroot {
namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string HeaderOf(const http::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

std::string BodyOf(const http::HttpResponse& response) {
  if (!response.body_source) return response.body;
  std::string out;
  char buffer[7];  // small pieces: the source is read until its end
  for (;;) {
    auto n = response.body_source->Read(buffer);
    if (!n.ok() || *n == 0) break;
    out.append(buffer, *n);
  }
  return out;
}

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/webroot-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    root_ = dir_ + "/dist";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/assets").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/sub").c_str(), 0755), 0);
    WriteFile(root_ + "/index.html", "<!doctype html><title>app</title>");
    WriteFile(root_ + "/assets/index-abc123.js", "console.log(1);");
    WriteFile(root_ + "/assets/index-abc123.css", "body{}");
    WriteFile(root_ + "/assets/font.woff2", "wOF2");
    WriteFile(root_ + "/favicon.ico", "ico");
    WriteFile(root_ + "/manifest.webmanifest", "{}");
    WriteFile(root_ + "/sub/page.html", "<p>sub</p>");
    WriteFile(root_ + "/.env", "SECRET=1");
    WriteFile(root_ + "/empty.txt", "");
    WriteFile(dir_ + "/outside.txt", "secret outside");
    ASSERT_EQ(::symlink((dir_ + "/outside.txt").c_str(), (root_ + "/escape.txt").c_str()), 0);
    ASSERT_EQ(::symlink("/etc", (root_ + "/etcdir").c_str()), 0);
    ASSERT_EQ(::symlink("sub/page.html", (root_ + "/inside.html").c_str()), 0);
    auto site = StaticSite::Open(root_);
    ASSERT_TRUE(site.ok()) << site.error().message;
    site_ = std::move(*site);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  http::HttpResponse Get(const std::string& path, const std::string& method = "GET",
                         const std::string& if_none_match = "") const {
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    if (!if_none_match.empty()) request.headers.emplace_back("if-none-match", if_none_match);
    return site_->Serve(request);
  }

  std::string dir_;
  std::string root_;
  std::unique_ptr<StaticSite> site_;
};

TEST(ContentTypeForTest, KnownAndUnknownExtensions) {
  EXPECT_EQ(ContentTypeFor("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/a/b.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.js.map"), "application/json");
  EXPECT_EQ(ContentTypeFor("x.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("x.jpeg"), "image/jpeg");
  EXPECT_EQ(ContentTypeFor("x.avif"), "image/avif");
  EXPECT_EQ(ContentTypeFor("x.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("x.wasm"), "application/wasm");
  EXPECT_EQ(ContentTypeFor("x.webmanifest"), "application/manifest+json");
  EXPECT_EQ(ContentTypeFor("x.exe"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("/a.b/noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor(".html"), "application/octet-stream");
}

TEST(StaticSiteOpenTest, RefusesAMissingDirectoryOrOneWithoutIndex) {
  EXPECT_FALSE(StaticSite::Open("/nonexistent/webroot").ok());
  char pattern[] = "/tmp/webroot-empty-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  auto site = StaticSite::Open(pattern);
  ASSERT_FALSE(site.ok());
  EXPECT_NE(site.error().message.find("index.html"), std::string::npos);
  WriteFile(std::string(pattern) + "/file", "x");
  EXPECT_FALSE(StaticSite::Open(std::string(pattern) + "/file").ok());
  std::system(("rm -rf '" + std::string(pattern) + "'").c_str());
}

TEST_F(StaticSiteTest, RootAndIndexServeIndexHtmlUncached) {
  for (const char* path : {"/", "/index.html"}) {
    auto response = Get(path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(BodyOf(response), "<!doctype html><title>app</title>");
    EXPECT_EQ(response.body_length, 33);
    EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache");
  }
}

TEST_F(StaticSiteTest, AssetsAreImmutableWithTheirType) {
  auto js = Get("/assets/index-abc123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(BodyOf(js), "console.log(1);");
  EXPECT_EQ(HeaderOf(js, "Cache-Control"), "public, max-age=31536000, immutable");
  auto css = Get("/assets/index-abc123.css");
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(Get("/assets/font.woff2").content_type, "font/woff2");
  auto ico = Get("/favicon.ico");
  EXPECT_EQ(ico.content_type, "image/x-icon");
  EXPECT_EQ(HeaderOf(ico, "Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/manifest.webmanifest").content_type, "application/manifest+json");
  EXPECT_EQ(BodyOf(Get("/sub/page.html")), "<p>sub</p>");
  auto empty = Get("/empty.txt");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(BodyOf(empty), "");
}

TEST_F(StaticSiteTest, EveryAnswerCarriesTheSecurityHeaders) {
  for (const char* path :
       {"/", "/assets/index-abc123.js", "/login", "/missing.js", "/%zz", "/../x"}) {
    auto response = Get(path);
    EXPECT_EQ(HeaderOf(response, "X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(HeaderOf(response, "Referrer-Policy"), "no-referrer") << path;
    EXPECT_EQ(HeaderOf(response, "X-Frame-Options"), "DENY") << path;
  }
}

TEST_F(StaticSiteTest, ClientRoutesFallBackToIndex) {
  for (const char* path :
       {"/login", "/app", "/app/", "/app/guilds/01H/channels/02J", "/sub", "/assets"}) {
    auto response = Get(path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache") << path;
  }
}

TEST_F(StaticSiteTest, MissingFilesWithAnExtensionAndMissingAssetsAre404) {
  EXPECT_EQ(Get("/missing.js").status, 404);
  EXPECT_EQ(Get("/app/missing.png").status, 404);
  EXPECT_EQ(Get("/assets/index-old.js").status, 404);
  EXPECT_EQ(Get("/assets/noext").status, 404);
  EXPECT_EQ(Get("/assets/").status, 404);
}

TEST_F(StaticSiteTest, TraversalAndDotFilesAreRefused) {
  for (const char* path : {"/../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E/outside.txt",
                           "/assets/%2e%2e/.env", "/assets/../index.html", "/./index.html", "/.env",
                           "/%2eenv", "/sub/.hidden", "/sub%2f..%2f..%2foutside.txt", "/a//b.js",
                           "/..%5coutside.txt", "/x%00.js", "/%5c..%5coutside.txt"}) {
    auto response = Get(path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(BodyOf(response).find("secret"), std::string::npos) << path;
  }
  EXPECT_EQ(Get("/%zz").status, 400);
  EXPECT_EQ(Get("/%2").status, 400);
  EXPECT_EQ(Get("/a%").status, 400);
}

TEST_F(StaticSiteTest, SymlinksMayNotLeaveTheRoot) {
  EXPECT_EQ(Get("/escape.txt").status, 404);
  // Through a symlinked directory: not a file of the site, so a route (index) or a 404.
  EXPECT_EQ(BodyOf(Get("/etcdir/passwd")), "<!doctype html><title>app</title>");
  EXPECT_EQ(Get("/etcdir/host.conf").status, 404);
  EXPECT_EQ(Get("/etcdir/").content_type, "text/html; charset=utf-8");
  auto inside = Get("/inside.html");
  EXPECT_EQ(inside.status, 200);
  EXPECT_EQ(BodyOf(inside), "<p>sub</p>");
}

TEST_F(StaticSiteTest, DirectoriesAreNeverListed) {
  EXPECT_EQ(Get("/sub/").content_type, "text/html; charset=utf-8");  // the client, not a list
  EXPECT_EQ(BodyOf(Get("/sub/")), "<!doctype html><title>app</title>");
}

TEST_F(StaticSiteTest, ETagRevalidatesWith304) {
  auto first = Get("/assets/index-abc123.js");
  const std::string etag = HeaderOf(first, "ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  auto again = Get("/assets/index-abc123.js", "GET", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body_source, nullptr);
  EXPECT_EQ(HeaderOf(again, "ETag"), etag);
  EXPECT_EQ(HeaderOf(again, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Get("/assets/index-abc123.js", "GET", "\"x\", W/" + etag).status, 304);
  EXPECT_EQ(Get("/assets/index-abc123.js", "GET", "*").status, 304);
  EXPECT_EQ(Get("/assets/index-abc123.js", "GET", "\"other\"").status, 200);
  // Another file's tag does not match; a changed file gets a new tag.
  EXPECT_EQ(Get("/", "GET", etag).status, 200);
  WriteFile(root_ + "/assets/index-abc123.js", "console.log(22);");
  EXPECT_EQ(Get("/assets/index-abc123.js", "GET", etag).status, 200);
}

TEST_F(StaticSiteTest, HeadAnswersLikeGet) {
  auto head = Get("/assets/index-abc123.js", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body_length, 15);
  EXPECT_EQ(head.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Get("/login", "HEAD").status, 200);
  EXPECT_EQ(Get("/missing.js", "HEAD").status, 404);
}

TEST_F(StaticSiteTest, OtherMethodsAre405) {
  auto post = Get("/", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(HeaderOf(post, "Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace filament::webroot

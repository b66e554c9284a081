// WebFront's split between the static site and the API (ADR 0052), with a fake API.
#include "apps/web_front.hpp"

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace filament::app {
namespace {

// Answers 299 with the path it got; its sink marks the request as streamed by the API.
class FakeApi final : public http::HttpHandler {
 public:
  http::HttpResponse Handle(const http::HttpRequest& request) override {
    return http::HttpResponse{299, "api:" + request.path, "text/plain", {}};
  }
  std::shared_ptr<http::BodySink> OpenBodySink(const http::HttpRequest&) override { return sink; }
  std::shared_ptr<http::BodySink> sink;
};

class NullSink final : public http::BodySink {
 public:
  std::optional<http::HttpResponse> OnChunk(std::string_view) override { return std::nullopt; }
};

class WebFrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/web-front-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ + "/index.html") << "index";
    auto site = webroot::StaticSite::Open(dir_);
    ASSERT_TRUE(site.ok());
    site_ = std::move(*site);
    api_.sink = std::make_shared<NullSink>();
    front_ = std::make_unique<WebFront>(
        api_, [](std::string_view path) { return path == "/health" || path == "/auth/login"; },
        *site_);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  http::HttpResponse Send(const std::string& method, const std::string& path) {
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    return front_->Handle(request);
  }

  std::string dir_;
  FakeApi api_;
  std::unique_ptr<webroot::StaticSite> site_;
  std::unique_ptr<WebFront> front_;
};

TEST_F(WebFrontTest, NonApiGetAndHeadGoToTheSite) {
  for (const char* method : {"GET", "HEAD"}) {
    for (const char* path : {"/", "/login", "/app/x", "/index.html", "/apix", "/apis/x"}) {
      auto response = Send(method, path);
      EXPECT_EQ(response.status, 200) << method << " " << path;
      EXPECT_EQ(response.content_type, "text/html; charset=utf-8") << path;
    }
    EXPECT_EQ(Send(method, "/missing.js").status, 404);
  }
}

TEST_F(WebFrontTest, ApiPathsPrefixAndOtherMethodsGoToTheApi) {
  for (const char* path : {"/api", "/api/", "/api/health", "/api/login", "/api/nope"}) {
    EXPECT_EQ(Send("GET", path).body, std::string("api:") + path);
  }
  EXPECT_EQ(Send("GET", "/health").body, "api:/health");
  EXPECT_EQ(Send("HEAD", "/auth/login").body, "api:/auth/login");
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    EXPECT_EQ(Send(method, "/login").body, "api:/login") << method;
  }
}

TEST_F(WebFrontTest, BodySinksAreTheApisOnly) {
  http::HttpRequest head;
  head.method = "POST";
  head.path = "/api/guilds/g/channels/c/attachments";
  EXPECT_EQ(front_->OpenBodySink(head), api_.sink);
  head.path = "/login";
  EXPECT_EQ(front_->OpenBodySink(head), api_.sink);
  head.method = "GET";
  EXPECT_EQ(front_->OpenBodySink(head), nullptr);
  head.path = "/api/health";
  EXPECT_EQ(front_->OpenBodySink(head), api_.sink);
}

}  // namespace
}  // namespace filament::app

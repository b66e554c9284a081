// UploadSink through the real HTTP server: a head its admission refuses is answered before the
// body is read, and no spool file is ever created for it (watched with inotify).
#include "api/routes/upload_sink.hpp"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/http_test_client.hpp"

namespace filament::api {
namespace {

using http::testing::ReadHttpResponse;
using http::testing::TestSocket;

constexpr int64_t kCap = 1 << 20;

// Admits `Authorization: Bearer good`; `x-forbid` answers 403 as a failed permission would.
class SinkHandler : public http::HttpHandler {
 public:
  explicit SinkHandler(std::string spool) : spool_(std::move(spool)) {}
  std::shared_ptr<http::BodySink> OpenBodySink(const http::HttpRequest& head) override {
    auto sink =
        std::make_shared<UploadSink>(kCap, spool_, [head]() -> core::Result<AdmittedUpload> {
          if (head.Header("authorization") != "Bearer good")
            return core::Unauthenticated("no token");
          if (head.Header("x-forbid")) return core::PermissionDenied("no permission");
          return AdmittedUpload{Principal{"U", "u"}, std::nullopt};
        });
    std::lock_guard lock(mu_);
    sinks_.push_back(sink);
    return sink;
  }
  http::HttpResponse Handle(const http::HttpRequest& request) override {
    auto* sink = dynamic_cast<UploadSink*>(request.streamed_body.get());
    return http::HttpResponse{200, std::to_string(sink->upload()->size()), "text/plain"};
  }
  std::shared_ptr<UploadSink> Sink(size_t i) {
    std::lock_guard lock(mu_);
    return i < sinks_.size() ? sinks_[i] : nullptr;
  }

 private:
  std::string spool_;
  std::mutex mu_;
  std::vector<std::shared_ptr<UploadSink>> sinks_;
};

class UploadSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/upload-sink-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    spool_ = pattern;
    inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_GE(inotify_, 0);
    ASSERT_GE(::inotify_add_watch(inotify_, spool_.c_str(), IN_CREATE), 0);
    handler_ = std::make_unique<SinkHandler>(spool_);
    http::HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.pool_threads = 2;
    auto started = http::HttpServer::Start(options, *handler_, nullptr);
    ASSERT_TRUE(started.ok());
    server_ = std::move(*started);
  }
  void TearDown() override {
    server_.reset();
    ::close(inotify_);
    ::rmdir(spool_.c_str());
  }
  // Files created in the spool directory since the last call.
  int Created() {
    alignas(inotify_event) char buffer[4096];
    int created = 0;
    for (;;) {
      const ssize_t n = ::read(inotify_, buffer, sizeof(buffer));
      if (n <= 0) return created;
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        if (event->mask & IN_CREATE) ++created;
        p += sizeof(inotify_event) + event->len;
      }
    }
  }
  // Sends the head of an 8 MiB upload and 64 KiB of its body; returns the answer's status.
  int RefusedUpload(const std::string& extra_headers) {
    TestSocket socket = TestSocket::Connect(server_->port());
    const std::string head =
        "POST /up HTTP/1.1\r\nHost: h\r\n" + extra_headers + "Content-Length: 8388608\r\n\r\n";
    EXPECT_TRUE(socket.Write(head + std::string(64 * 1024, 'x')));
    auto r = ReadHttpResponse(socket, 2000);
    EXPECT_TRUE(socket.WaitForEof(3000));  // closed: the rest of the body is never read
    return r ? r->status : 0;
  }

  std::string spool_;
  int inotify_ = -1;
  std::unique_ptr<SinkHandler> handler_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(UploadSinkTest, UnauthenticatedUploadCreatesNoSpoolAndStoresNoByte) {
  EXPECT_EQ(RefusedUpload(""), 401);
  EXPECT_EQ(RefusedUpload("Authorization: Bearer bad\r\n"), 401);
  EXPECT_EQ(Created(), 0);
  for (size_t i = 0; i < 2; ++i) {
    auto sink = handler_->Sink(i);
    ASSERT_TRUE(sink);
    EXPECT_FALSE(sink->admitted());
    EXPECT_FALSE(sink->upload());
  }
}

TEST_F(UploadSinkTest, ForbiddenUploadCreatesNoSpool) {
  EXPECT_EQ(RefusedUpload("Authorization: Bearer good\r\nX-Forbid: 1\r\n"), 403);
  EXPECT_EQ(Created(), 0);
}

// The admission answers before the declared-length cap (401, not 413), and an admitted head
// over the cap is 413 without a spool either.
TEST_F(UploadSinkTest, AdmissionComesBeforeTheDeclaredCap) {
  TestSocket socket = TestSocket::Connect(server_->port());
  ASSERT_TRUE(socket.Write("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n"));
  auto r = ReadHttpResponse(socket, 2000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  TestSocket admitted = TestSocket::Connect(server_->port());
  ASSERT_TRUE(
      admitted.Write("POST /up HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer good\r\n"
                     "Content-Length: 99999999\r\n\r\n"));
  auto too_large = ReadHttpResponse(admitted, 2000);
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(too_large->body, R"({"error":"payload_too_large"})");
  EXPECT_EQ(Created(), 0);
}

// The control: an admitted upload does create (and at once unlink) its spool file.
TEST_F(UploadSinkTest, AdmittedUploadIsSpooled) {
  TestSocket socket = TestSocket::Connect(server_->port());
  ASSERT_TRUE(socket.Write(
      "POST /up HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer good\r\nContent-Length: 5\r\n\r\n"
      "hello"));
  auto r = ReadHttpResponse(socket, 2000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "5");
  EXPECT_EQ(Created(), 1);
}

}  // namespace
}  // namespace filament::api

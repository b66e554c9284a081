// Connection lifetime through the real server: deadlines, caps and graceful shutdown.

#include <atomic>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/http_test_client.hpp"
#include "core/blocking.hpp"

namespace filament::http {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ReadHttpResponse;
using testing::TestSocket;

class SlowHandler : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& r) override {
    if (r.path == "/slow") {
      const core::ScopedBlocking waiting;  // as a database read would
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
    ++handled_;
    return HttpResponse{200, "done " + r.path + " " + r.body, "text/plain"};
  }
  std::atomic<int> handled_{0};
};

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class HttpLifecycleTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    options.listen = "127.0.0.1:0";
    auto started = HttpServer::Start(options, handler_, nullptr);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(*started);
  }
  TestSocket Connect() { return TestSocket::Connect(server_->port()); }

  SlowHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpLifecycleTest, HeaderDeadlineIsShorterThanTheRequestDeadline) {
  HttpServerOptions options;
  options.header_timeout_ms = 300;
  options.request_timeout_ms = 2000;
  Start(options);
  TestSocket socket = Connect();
  const auto start = Clock::now();
  ASSERT_TRUE(socket.Write("GET / HTTP/1.1\r\nHost: h\r\nX-Slow: a"));
  auto r = ReadHttpResponse(socket, 2000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->body, R"({"error":"request_timeout"})");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_GE(MsSince(start), 290);
  EXPECT_LT(MsSince(start), 1000);
  EXPECT_TRUE(socket.WaitForEof());
}

TEST_F(HttpLifecycleTest, IdleKeepAliveClosesQuietlyAndSilentConnectionsToo) {
  HttpServerOptions options;
  options.header_timeout_ms = 300;
  options.keep_alive_timeout_ms = 400;
  Start(options);
  const auto start = Clock::now();  // before the answer, so before its keep-alive wait starts
  TestSocket used = Connect();
  ASSERT_TRUE(used.Write("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(ReadHttpResponse(used));
  TestSocket silent = Connect();
  EXPECT_TRUE(silent.WaitForEof(2000));  // never sent a byte: closed at the header timeout
  EXPECT_TRUE(silent.pending().empty());
  EXPECT_TRUE(used.WaitForEof(2000));  // idle after an answer: closed at the keep-alive timeout
  EXPECT_GE(MsSince(start), 390);
  EXPECT_TRUE(used.pending().empty());
}

TEST_F(HttpLifecycleTest, ConnectionCapsRefuseTheExcess) {
  HttpServerOptions options;
  options.max_connections_per_ip = 3;
  Start(options);
  std::vector<TestSocket> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect());
    ASSERT_TRUE(held.back().Write("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    ASSERT_TRUE(ReadHttpResponse(held.back()));
  }
  TestSocket fourth = Connect();
  EXPECT_TRUE(fourth.WaitForEof(2000));
  held.pop_back();  // a slot frees once the server sees the close
  std::optional<testing::HttpTestResponse> r;
  for (int i = 0; i < 50 && !r; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    TestSocket again = Connect();
    if (again.Write("GET / HTTP/1.1\r\nHost: h\r\n\r\n")) r = ReadHttpResponse(again, 500);
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpLifecycleTest, StopFinishesInFlightRequestsAndClosesTheRest) {
  HttpServerOptions options;
  options.request_timeout_ms = 3000;
  Start(options);
  const uint16_t port = server_->port();
  TestSocket idle = Connect();
  ASSERT_TRUE(idle.Write("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(ReadHttpResponse(idle));
  TestSocket half_head = Connect();
  ASSERT_TRUE(half_head.Write("GET /b HTTP/1.1\r\nHost"));
  TestSocket slow = Connect();
  ASSERT_TRUE(slow.Write("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"));
  TestSocket uploading = Connect();
  ASSERT_TRUE(uploading.Write("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhal"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // all four are being served

  const auto start = Clock::now();
  std::thread stopper([&] { server_->Stop(); });
  EXPECT_TRUE(idle.WaitForEof(1000));       // idle keep-alive: closed at once
  EXPECT_TRUE(half_head.WaitForEof(1000));  // not in flight yet: closed at once
  TestSocket late = TestSocket::Connect(port);
  EXPECT_TRUE(!late.ok() || late.WaitForEof(1000));  // no new clients
  ASSERT_TRUE(uploading.Write("f!"));                // an upload in flight may finish
  auto uploaded = ReadHttpResponse(uploading);
  ASSERT_TRUE(uploaded);
  EXPECT_EQ(uploaded->body, "done /up half!");
  EXPECT_EQ(uploaded->Header("connection"), "close");
  auto r = ReadHttpResponse(slow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done /slow ");
  stopper.join();
  EXPECT_LT(MsSince(start), 2500);         // not the 3 s give-up: nothing was left waiting
  EXPECT_EQ(handler_.handled_.load(), 3);  // /a, /slow, /up
}

}  // namespace
}  // namespace filament::http

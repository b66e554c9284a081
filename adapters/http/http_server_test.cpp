#include "adapters/http/http_server.hpp"

#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/http/testing/http_test_client.hpp"
#include "adapters/http/testing/socket_test_client.hpp"
#include "core/blocking.hpp"

namespace filament::http {
namespace {

using testing::ClientFrame;
using testing::TestSocket;
using testing::TestWsClient;

class EchoHandler : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& r) override {
    if (r.path == "/throw") throw std::runtime_error("boom");
    if (r.path == "/slow") {
      const core::ScopedBlocking waiting;  // as a database read would
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
    }
    return HttpResponse{200,
                        r.method + " " + r.path + "?" + r.query + " body=" + r.body +
                            " rid=" + r.request_id + " ua=" + r.Header("user-agent").value_or(""),
                        "text/plain"};
  }
};

class EchoSession : public WsSessionHandler {
 public:
  void OnOpen(std::shared_ptr<WsConnection> c) override { connection_ = std::move(c); }
  void OnMessage(std::string_view text) override { connection_->Send("echo:" + std::string(text)); }
  void OnClose(WsCloseReason) override { connection_.reset(); }

 private:
  std::shared_ptr<WsConnection> connection_;
};

class TokenUpgrade : public GatewayUpgrade {
 public:
  std::variant<HttpResponse, std::shared_ptr<WsSessionHandler>> OnUpgradeRequest(
      const HttpRequest& r) override {
    if (QueryParam(r.query, "access_token") != "good") {
      return HttpResponse{401, R"({"error":"invalid_credentials"})"};
    }
    return std::make_shared<EchoSession>();
  }
};

using Response = testing::HttpTestResponse;

std::optional<Response> ReadResponse(TestSocket& socket, int timeout_ms = 3000) {
  return testing::ReadHttpResponse(socket, timeout_ms);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.pool_threads = 4;
    options.max_body_bytes = 100;
    options.request_timeout_ms = 500;
    options.ws.reactor_threads = 1;
    options.body_limit_for = [](std::string_view, std::string_view path) -> std::optional<int64_t> {
      if (path == "/upload") return 1000;
      return std::nullopt;
    };
    auto started = HttpServer::Start(options, handler_, &upgrade_);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(*started);
  }
  std::optional<Response> Exchange(const std::string& raw) {
    TestSocket socket = TestSocket::Connect(server_->port());
    if (!socket.Write(raw)) return std::nullopt;
    return ReadResponse(socket);
  }

  EchoHandler handler_;
  TokenUpgrade upgrade_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesARequestAndGeneratesARequestId) {
  auto r = Exchange("GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const std::string rid = r->Header("x-request-id");
  EXPECT_EQ(rid.size(), 36u);
  EXPECT_EQ(r->body, "GET /a/b?x=1 body= rid=" + rid + " ua=t");
  EXPECT_EQ(r->Header("access-control-allow-origin"), "");
}

TEST_F(HttpServerTest, EchoesTheClientRequestIdAndReplacesABadOne) {
  auto r = Exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: my-id-1\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-request-id"), "my-id-1");
  auto bad =
      Exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: " + std::string(200, 'a') + "\r\n\r\n");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->Header("x-request-id").size(), 36u);
}

TEST_F(HttpServerTest, ReadsBodiesAndKeepsTheConnectionAlive) {
  TestSocket socket = TestSocket::Connect(server_->port());
  ASSERT_TRUE(socket.Write("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"));
  auto first = ReadResponse(socket);
  ASSERT_TRUE(first);
  EXPECT_NE(first->body.find("body=hello"), std::string::npos);
  ASSERT_TRUE(
      socket.Write("POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n0\r\n\r\n"));
  auto second = ReadResponse(socket);
  ASSERT_TRUE(second);
  EXPECT_NE(second->body.find("body=abc"), std::string::npos);
}

TEST_F(HttpServerTest, OversizeBodiesGet413) {
  auto declared = Exchange(
      "POST /p HTTP/1.1\r\nHost: h\r\nX-Request-Id: r413\r\n"
      "Content-Length: 101\r\n\r\n");
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared->status, 413);
  EXPECT_EQ(declared->Header("x-request-id"), "r413");
  EXPECT_EQ(declared->Header("content-type"), "application/json");
  EXPECT_EQ(declared->body, R"({"error":"payload_too_large"})");
  const std::string chunk(80, 'c');
  auto streamed = Exchange(
      "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "50\r\n" +
      chunk + "\r\n50\r\n" + chunk + "\r\n0\r\n\r\n");
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->status, 413);
  auto upload = Exchange("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 500\r\n\r\n" +
                         std::string(500, 'u'));
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->status, 200);  // per-route override
}

TEST_F(HttpServerTest, TrickledBodyGets408) {
  TestSocket socket = TestSocket::Connect(server_->port());
  ASSERT_TRUE(socket.Write("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\n"));
  const auto start = std::chrono::steady_clock::now();
  std::optional<Response> r;
  for (int i = 0; i < 40 && !r; ++i) {
    socket.Write("x");  // one byte per 100 ms: each read succeeds, the whole never does
    r = ReadResponse(socket, 100);
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->body, R"({"error":"request_timeout"})");
  EXPECT_EQ(r->Header("x-request-id").size(), 36u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST_F(HttpServerTest, SlowHandlerGets408AndThrowingHandlerGets500) {
  auto slow = Exchange("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 408);
  auto thrown = Exchange("GET /throw HTTP/1.1\r\nHost: h\r\nX-Request-Id: r500\r\n\r\n");
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->body, R"({"error":"internal_error"})");
  EXPECT_EQ(thrown->Header("x-request-id"), "r500");
}

TEST_F(HttpServerTest, UpgradeRejectedWithTheHookResponse) {
  TestWsClient client(TestSocket::Connect(server_->port()));
  auto head = client.Handshake("/gateway/ws?access_token=bad");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->substr(9, 3), "401");
  EXPECT_NE(head->find("x-request-id"), std::string::npos);
}

TEST_F(HttpServerTest, UpgradeHandsTheSocketToTheReactor) {
  TestWsClient client(TestSocket::Connect(server_->port()));
  auto head = client.Handshake("/gateway/ws?access_token=good", "X-Request-Id: up1\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->substr(9, 3), "101");
  EXPECT_NE(head->find("up1"), std::string::npos);
  ASSERT_TRUE(client.SendText("ping"));
  EXPECT_EQ(client.NextText(), "echo:ping");
}

TEST_F(HttpServerTest, FrameSentRightBehindTheHandshakeIsNotLost) {
  TestWsClient client(TestSocket::Connect(server_->port()));
  const std::string request =
      "GET /gateway/ws?access_token=good HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  ASSERT_TRUE(client.Write(request + ClientFrame(0x1, "early")));
  ASSERT_TRUE(client.ReadUntil("\r\n\r\n"));
  EXPECT_EQ(client.NextText(), "echo:early");
}

TEST_F(HttpServerTest, PlainGetOfTheGatewayPathGoesToTheHandler) {
  auto r = Exchange("GET /gateway/ws HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.substr(0, 16), "GET /gateway/ws?");
}

TEST(HttpServerStart, RejectsABadAddress) {
  EchoHandler handler;
  HttpServerOptions options;
  options.listen = "not an address";
  auto started = HttpServer::Start(options, handler, nullptr);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace filament::http

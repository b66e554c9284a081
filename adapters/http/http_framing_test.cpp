// Request framing through the real server: keep-alive, pipelining and every ambiguous framing
// of RFC 9112 (request smuggling), each also split at every byte offset across TCP segments.

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/http_test_client.hpp"

namespace filament::http {
namespace {

using testing::HttpTestResponse;
using testing::ReadHttpResponse;
using testing::TestSocket;

class RecordingHandler : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& r) override {
    {
      std::lock_guard lock(mu_);
      paths_.insert(r.path);
    }
    return HttpResponse{200, r.method + " " + r.path + " " + r.body, "text/plain"};
  }
  bool Saw(const std::string& path) {
    std::lock_guard lock(mu_);
    return paths_.count(path) > 0;
  }

 private:
  std::mutex mu_;
  std::set<std::string> paths_;
};

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";

struct AmbiguousCase {
  const char* name;
  std::string bytes;  // the ambiguous request; kSmuggled follows it
  int status;
  const char* code;
};

std::vector<AmbiguousCase> AmbiguousCases() {
  const std::string post = "POST /a HTTP/1.1\r\nHost: h\r\n";
  return {
      {"content-length 16 then 5", post + "Content-Length: 16\r\nContent-Length: 5\r\n\r\nhello",
       400, "invalid_request"},
      {"content-length 5 then 16", post + "Content-Length: 5\r\nContent-Length: 16\r\n\r\nhello",
       400, "invalid_request"},
      {"content-length list", post + "Content-Length: 5, 16\r\n\r\nhello", 400, "invalid_request"},
      {"chunked with content-length",
       post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400,
       "invalid_request"},
      {"content-length with chunked",
       post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "invalid_request"},
      {"two hosts", "GET /a HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", 400, "invalid_request"},
      {"two authorizations",
       "GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n",
       400, "invalid_request"},
      {"two content types",
       post + "Content-Type: text/plain\r\nContent-Type: application/json\r\n"
              "Content-Length: 5\r\n\r\nhello",
       400, "invalid_request"},
      {"unknown coding", post + "Transfer-Encoding: gzip\r\n\r\nhello", 501, "not_implemented"},
      {"unknown coding before chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       501, "not_implemented"},
      {"chunked twice", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400,
       "invalid_request"},
      {"chunked in two fields",
       post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "invalid_request"},
      {"invalid chunk size", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       400, "invalid_request"},
      {"chunked on HTTP/1.0",
       "POST /a HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "invalid_request"},
      {"space before colon", post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400,
       "invalid_request"},
      {"obs-fold", post + "Transfer-Encoding: gzip,\r\n chunked\r\n\r\n0\r\n\r\n", 400,
       "invalid_request"},
  };
}

class HttpFramingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.reactor_threads = 2;
    options.pool_threads = 2;
    options.max_header_bytes = 1024;
    options.request_timeout_ms = 2000;
    auto started = HttpServer::Start(options, handler_, nullptr);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(*started);
  }
  TestSocket Connect() {
    TestSocket socket = TestSocket::Connect(server_->port());
    const int one = 1;
    ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return socket;
  }
  // Sends `bytes` in two writes split at `split` (0 = one write) and returns the one answer.
  std::optional<HttpTestResponse> SendSplit(TestSocket& socket, const std::string& bytes,
                                            size_t split) {
    if (split == 0) {
      socket.Write(bytes);
    } else {
      socket.Write(bytes.substr(0, split));
      std::this_thread::sleep_for(std::chrono::microseconds(300));  // separate segments
      socket.Write(bytes.substr(split));
    }
    return ReadHttpResponse(socket);
  }

  RecordingHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpFramingTest, AmbiguousFramingGetsTheRfcAnswerAndCloses) {
  for (const AmbiguousCase& c : AmbiguousCases()) {
    SCOPED_TRACE(c.name);
    const std::string bytes = c.bytes + kSmuggled;
    for (size_t split = 0; split < bytes.size(); ++split) {
      TestSocket socket = Connect();
      auto r = SendSplit(socket, bytes, split);
      ASSERT_TRUE(r) << "split at " << split;
      EXPECT_EQ(r->status, c.status) << "split at " << split;
      EXPECT_EQ(r->body, std::string(R"({"error":")") + c.code + "\"}") << "split at " << split;
      EXPECT_EQ(r->Header("connection"), "close");
      EXPECT_EQ(r->Header("x-request-id").size(), 36u);
      ASSERT_TRUE(socket.WaitForEof(2000)) << "split at " << split;
      if (HasFailure()) return;
    }
  }
  EXPECT_FALSE(handler_.Saw("/smuggled"));
  EXPECT_FALSE(handler_.Saw("/a"));
}

TEST_F(HttpFramingTest, UnambiguousRequestsKeepTheConnectionAtEveryOffset) {
  const std::string bytes =
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
      "POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t split = 0; split < bytes.size(); ++split) {
    TestSocket socket = Connect();
    auto first = SendSplit(socket, bytes, split);
    auto second = ReadHttpResponse(socket);
    ASSERT_TRUE(first && second) << "split at " << split;
    EXPECT_EQ(first->body, "POST /c abcde") << "split at " << split;
    EXPECT_EQ(second->body, "POST /l hello") << "split at " << split;
    if (HasFailure()) return;
  }
}

TEST_F(HttpFramingTest, PipelinedRequestsAreAnsweredInOrder) {
  TestSocket socket = Connect();
  std::string batch;
  for (int i = 0; i < 20; ++i)
    batch += "GET /p" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  batch += "HEAD /head HTTP/1.1\r\nHost: h\r\n\r\nGET /last HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_TRUE(socket.Write(batch));
  for (int i = 0; i < 20; ++i) {
    auto r = ReadHttpResponse(socket);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /p" + std::to_string(i) + " ");
  }
  // HEAD: Content-Length of the GET answer, no body bytes, then the next answer follows.
  auto head = socket.ReadUntil("\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Content-Length: 11"), std::string::npos);
  auto last = ReadHttpResponse(socket);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body, "GET /last ");
}

TEST_F(HttpFramingTest, ConnectionCloseAndHttp10) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write("GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" + kSmuggled));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(socket.WaitForEof());
  TestSocket old = Connect();
  ASSERT_TRUE(old.Write("GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto kept = ReadHttpResponse(old);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->Header("connection"), "keep-alive");
  ASSERT_TRUE(old.Write("GET /z HTTP/1.0\r\n\r\n"));
  auto closed = ReadHttpResponse(old);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->Header("connection"), "close");
  EXPECT_TRUE(old.WaitForEof());
  EXPECT_FALSE(handler_.Saw("/smuggled"));
}

TEST_F(HttpFramingTest, OversizedHeadersGet431) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: big\r\nX-Big: " +
                           std::string(2000, 'a') + "\r\n\r\n"));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->body, R"({"error":"request_header_fields_too_large"})");
  EXPECT_TRUE(socket.WaitForEof());
  // Also when the block never ends: the cap applies before the blank line.
  TestSocket endless = Connect();
  ASSERT_TRUE(endless.Write("GET / HTTP/1.1\r\nX-Big: " + std::string(1500, 'a')));
  auto cut = ReadHttpResponse(endless);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->status, 431);
}

TEST_F(HttpFramingTest, ExpectContinueGets100BeforeTheBody) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write(
      "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = socket.ReadUntil("\r\n\r\n");
  ASSERT_TRUE(interim);
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(socket.Write("body"));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "POST /e body");
  // Over the cap: 413 at once, no 100 Continue.
  TestSocket big = Connect();
  ASSERT_TRUE(big.Write(
      "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n"));
  auto refused = ReadHttpResponse(big);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
}

}  // namespace
}  // namespace filament::http

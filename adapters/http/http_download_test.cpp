// Streamed response bodies (HttpResponse::body_source) through the real server.

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/http_test_client.hpp"

namespace filament::http {
namespace {

using testing::ReadHttpResponse;
using testing::TestSocket;

constexpr size_t kChunk = 64 * 1024;

char PatternByte(int64_t i) { return static_cast<char>((i * 7 + i / 251) & 0xff); }

std::string Pattern(int64_t from, int64_t n) {
  std::string out(static_cast<size_t>(n), '\0');
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = PatternByte(from + i);
  return out;
}

// What the sources of one test did, shared with the test thread.
struct SourceStats {
  std::atomic<int64_t> bytes_read{0};
  std::atomic<int64_t> reads{0};
  std::atomic<int64_t> largest_request{0};
  std::atomic<int> alive{0};
};

// Yields `size` pattern bytes in reads of at most 10 000 bytes (so the server must loop), failing
// with kUnavailable at byte `fail_at` (-1: never).
class PatternSource final : public core::ByteSource {
 public:
  PatternSource(SourceStats& stats, int64_t size, int64_t fail_at)
      : stats_(stats), size_(size), fail_at_(fail_at) {
    ++stats_.alive;
  }
  ~PatternSource() override { --stats_.alive; }

  core::Result<size_t> Read(std::span<char> buffer) override {
    ++stats_.reads;
    const auto asked = static_cast<int64_t>(buffer.size());
    if (asked > stats_.largest_request) stats_.largest_request = asked;
    if (fail_at_ >= 0 && offset_ >= fail_at_) return core::Unavailable("store went away");
    int64_t n = std::min<int64_t>({asked, size_ - offset_, 10'000});
    if (fail_at_ >= 0) n = std::min(n, fail_at_ - offset_);
    for (int64_t i = 0; i < n; ++i) buffer[static_cast<size_t>(i)] = PatternByte(offset_ + i);
    offset_ += n;
    stats_.bytes_read += n;
    return static_cast<size_t>(n);
  }

 private:
  SourceStats& stats_;
  const int64_t size_;
  const int64_t fail_at_;
  int64_t offset_ = 0;
};

int64_t Param(const HttpRequest& r, const char* name, int64_t fallback) {
  auto value = QueryParam(r.query, name);
  return value ? std::stoll(*value) : fallback;
}

// GET /download?length=N[&actual=M][&fail_at=K]: a streamed body announcing N bytes whose
// source yields M (default N). Anything else: a small buffered answer.
class DownloadHandler : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& r) override {
    if (r.path != "/download") return HttpResponse{200, "small:" + r.path, "text/plain"};
    const int64_t length = Param(r, "length", 0);
    HttpResponse response;
    response.content_type = "application/octet-stream";
    response.headers = {{"etag", "\"abc\""}, {"x-content-type-options", "nosniff"}};
    response.body_source = std::make_shared<PatternSource>(stats_, Param(r, "actual", length),
                                                           Param(r, "fail_at", -1));
    response.body_length = length;
    return response;
  }
  SourceStats stats_;
};

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n" + std::string(extra) + "\r\n";
}

// Everything the socket receives until the peer closes; nullopt when it does not within 5 s.
std::optional<std::string> ReadToEof(TestSocket& socket) {
  std::string out;
  out.swap(socket.pending());
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    const bool open = socket.ReadSome(100);
    out += socket.pending();
    socket.pending().clear();
    if (!open) return out;
  }
  return std::nullopt;
}

// The largest send buffer TCP autotuning may give a socket (tcp_wmem's third field).
int64_t KernelSendBufferMax() {
  std::ifstream file("/proc/sys/net/ipv4/tcp_wmem");
  int64_t min = 0, initial = 0, max = 0;
  if (file >> min >> initial >> max) return max;
  return 8 * 1024 * 1024;
}

// Waits until `done` holds or 3 s pass.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 300 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class HttpDownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.pool_threads = 2;
    options.request_timeout_ms = 1500;
    options.response_chunk_bytes = kChunk;
    auto started = HttpServer::Start(options, handler_, nullptr);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(*started);
  }
  TestSocket Connect(int rcvbuf = 0) { return TestSocket::Connect(server_->port(), rcvbuf); }
  SourceStats& stats() { return handler_.stats_; }

  DownloadHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpDownloadTest, LargeBodyArrivesWholeReadInBoundedPieces) {
  constexpr int64_t kSize = 8 * 1024 * 1024 + 123;
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write(Get("/download?length=" + std::to_string(kSize))));
  auto r = ReadHttpResponse(socket, 10'000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-length"), std::to_string(kSize));
  EXPECT_EQ(r->Header("content-type"), "application/octet-stream");
  EXPECT_EQ(r->Header("etag"), "\"abc\"");
  EXPECT_EQ(r->Header("x-content-type-options"), "nosniff");
  EXPECT_TRUE(r->body == Pattern(0, kSize));
  EXPECT_LE(stats().largest_request.load(), static_cast<int64_t>(kChunk));
  EXPECT_TRUE(Eventually([&] { return stats().alive == 0; }));  // released once sent
  // The connection stays usable.
  ASSERT_TRUE(socket.Write(Get("/next")));
  auto next = ReadHttpResponse(socket);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "small:/next");
}

TEST_F(HttpDownloadTest, SlowReaderHoldsAPieceNotTheBody) {
  constexpr int64_t kSize = 64 * 1024 * 1024;
  TestSocket socket = Connect(/*rcvbuf=*/16 * 1024);
  ASSERT_TRUE(socket.Write(Get("/download?length=" + std::to_string(kSize))));
  ASSERT_TRUE(socket.ReadUntil("\r\n\r\n"));
  // The client reads nothing more: reading stops once the socket buffers are full.
  int64_t before = -1;
  while (before != stats().bytes_read) {
    before = stats().bytes_read;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Ahead of the client: the piece being written, the kernel's send buffer (autotuned up to
  // tcp_wmem's maximum) and the client's small receive buffer — never the rest of the body.
  EXPECT_LE(stats().bytes_read.load(), KernelSendBufferMax() + 2 * kChunk + 64 * 1024);
  // Taking the bytes again (each read well inside the write timeout) gets the whole body.
  int64_t received = static_cast<int64_t>(socket.pending().size());
  bool same = socket.pending() == Pattern(0, received);
  socket.pending().clear();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received < kSize && same && std::chrono::steady_clock::now() < give_up) {
    if (!socket.ReadSome(1000)) break;
    same = socket.pending() == Pattern(received, static_cast<int64_t>(socket.pending().size()));
    received += static_cast<int64_t>(socket.pending().size());
    socket.pending().clear();
  }
  EXPECT_TRUE(same);
  EXPECT_EQ(received, kSize);
}

TEST_F(HttpDownloadTest, ReaderThatTakesNothingIsDroppedAtTheWriteTimeout) {
  TestSocket socket = Connect(/*rcvbuf=*/4 * 1024);
  ASSERT_TRUE(socket.Write(Get("/download?length=" + std::to_string(64 * 1024 * 1024))));
  ASSERT_TRUE(Eventually([&] { return stats().bytes_read > 0; }));
  // request_timeout_ms (1.5 s) without progress: the server closes and drops the source.
  ASSERT_TRUE(Eventually([&] { return server_->connection_count() == 0; }));
  EXPECT_TRUE(Eventually([&] { return stats().alive == 0; }));
}

TEST_F(HttpDownloadTest, SourceErrorMidBodyClosesAfterTheLastGoodPiece) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write(Get("/download?length=300000&fail_at=100000")));
  auto head = socket.ReadUntil("\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Content-Length: 300000"), std::string::npos);
  // The first piece (64 KiB) went out whole; the failing second one sends nothing.
  auto body = ReadToEof(socket);
  ASSERT_TRUE(body) << "the connection stayed open";
  EXPECT_EQ(body->size(), kChunk);
  EXPECT_TRUE(*body == Pattern(0, kChunk));
  EXPECT_TRUE(Eventually([&] { return stats().alive == 0; }));
}

TEST_F(HttpDownloadTest, SourceErrorBeforeTheFirstByteIsA500) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write(Get("/download?length=1000&fail_at=10")));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, R"({"error":"internal_error"})");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(socket.WaitForEof());
}

// A source that ends early or runs on past body_length never has its last piece sent.
TEST_F(HttpDownloadTest, SourceThatBreaksItsLengthClosesWithoutTheLastPiece) {
  for (const char* actual : {"99999", "100001"}) {
    TestSocket socket = Connect();
    ASSERT_TRUE(socket.Write(Get(std::string("/download?length=100000&actual=") + actual)));
    ASSERT_TRUE(socket.ReadUntil("\r\n\r\n"));
    auto body = ReadToEof(socket);
    ASSERT_TRUE(body) << actual << ": the connection stayed open";
    EXPECT_EQ(body->size(), kChunk) << actual;
  }
}

TEST_F(HttpDownloadTest, PipelinedRequestIsAnsweredAfterTheStreamedBody) {
  constexpr int64_t kSize = 1024 * 1024;
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write(Get("/download?length=" + std::to_string(kSize)) + Get("/after") +
                           Get("/download?length=5")));
  auto first = ReadHttpResponse(socket);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->body == Pattern(0, kSize));
  auto second = ReadHttpResponse(socket);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "small:/after");
  auto third = ReadHttpResponse(socket);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->body, Pattern(0, 5));
}

TEST_F(HttpDownloadTest, HeadSendsTheLengthAndNeverReadsTheSource) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write("HEAD /download?length=777 HTTP/1.1\r\nHost: h\r\n\r\n" + Get("/x")));
  auto head = socket.ReadUntil("\r\n\r\n");
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Content-Length: 777"), std::string::npos);
  auto next = ReadHttpResponse(socket);  // no body bytes sat between the two answers
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "small:/x");
  EXPECT_EQ(stats().reads.load(), 0);
  EXPECT_EQ(stats().alive.load(), 0);
}

TEST_F(HttpDownloadTest, ConnectionCloseEndsAfterTheWholeBody) {
  constexpr int64_t kSize = 300'000;
  TestSocket socket = Connect();
  ASSERT_TRUE(
      socket.Write(Get("/download?length=" + std::to_string(kSize), "Connection: close\r\n")));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(r->body == Pattern(0, kSize));
  EXPECT_TRUE(socket.WaitForEof());
}

TEST_F(HttpDownloadTest, ClientThatHangsUpMidBodyReleasesTheSource) {
  TestSocket socket = Connect(/*rcvbuf=*/16 * 1024);
  ASSERT_TRUE(socket.Write(Get("/download?length=" + std::to_string(64 * 1024 * 1024))));
  ASSERT_TRUE(socket.ReadUntil("\r\n\r\n"));
  socket.Close();
  ASSERT_TRUE(Eventually([&] { return server_->connection_count() == 0; }));
  EXPECT_TRUE(Eventually([&] { return stats().alive == 0; }));
  EXPECT_LT(stats().bytes_read.load(), 64 * 1024 * 1024);
}

TEST_F(HttpDownloadTest, StopReleasesTheSourceOfAStalledDownload) {
  TestSocket socket = Connect(/*rcvbuf=*/4 * 1024);
  ASSERT_TRUE(socket.Write(Get("/download?length=" + std::to_string(64 * 1024 * 1024))));
  ASSERT_TRUE(Eventually([&] { return stats().bytes_read > 0; }));
  server_->Stop();
  EXPECT_EQ(stats().alive.load(), 0);
}

}  // namespace
}  // namespace filament::http

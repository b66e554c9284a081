// Streamed request bodies (HttpHandler::OpenBodySink / BodySink) through the real server.

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/http_test_client.hpp"
#include "core/blocking.hpp"
#include "core/testing/process_memory.hpp"

namespace filament::http {
namespace {

using core::testing::kAddressSanitizer;
using core::testing::ResidentKiB;

using testing::HttpTestResponse;
using testing::ReadHttpResponse;
using testing::TestSocket;

constexpr int64_t kCap = 64 * 1024;

HttpResponse Json(int status, const char* code) {
  return HttpResponse{status, std::string(R"({"error":")") + code + "\"}"};
}

// Counts and checksums the body; keeps only the first 64 bytes, so memory stays flat.
class CountingSink : public BodySink {
 public:
  explicit CountingSink(int64_t cap) : cap_(cap) {}
  std::optional<HttpResponse> OnBegin(std::optional<int64_t> declared) override {
    if (declared && *declared > 10 * cap_) return Json(413, "payload_too_large");
    return std::nullopt;
  }
  std::optional<HttpResponse> OnChunk(std::string_view bytes) override {
    EXPECT_FALSE(bytes.empty());
    ++chunks_;
    total_ += static_cast<int64_t>(bytes.size());
    for (unsigned char c : bytes) checksum_ = checksum_ * 31 + c;
    if (prefix_.size() < 64) prefix_.append(bytes.substr(0, 64 - prefix_.size()));
    if (total_ > cap_) return Json(413, "payload_too_large");
    return std::nullopt;
  }
  std::optional<HttpResponse> OnEnd() override {
    ended_ = true;
    if (prefix_.rfind("reject", 0) == 0) return Json(415, "unsupported_media_type");
    return std::nullopt;
  }
  int64_t total_ = 0;
  int64_t chunks_ = 0;
  uint64_t checksum_ = 0;
  std::string prefix_;
  bool ended_ = false;

 private:
  int64_t cap_;
};

// Admits only requests carrying `authorization: ok` (after `x-block-ms` of blocking, as a
// database read would), recording the threads its calls run on.
class GuardedSink : public CountingSink {
 public:
  explicit GuardedSink(HttpRequest head) : CountingSink(kCap), head_(std::move(head)) {}
  std::optional<HttpResponse> OnBegin(std::optional<int64_t> declared) override {
    begin_thread_ = std::this_thread::get_id();
    if (auto ms = head_.Header("x-block-ms")) {
      const core::ScopedBlocking waiting;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(*ms)));
    }
    begun_ = true;
    if (head_.Header("authorization") != "ok") return Json(401, "invalid_credentials");
    return CountingSink::OnBegin(declared);
  }
  std::optional<HttpResponse> OnChunk(std::string_view bytes) override {
    chunk_thread_ = std::this_thread::get_id();
    return CountingSink::OnChunk(bytes);
  }
  std::thread::id begin_thread_;
  std::thread::id chunk_thread_;
  std::atomic<bool> begun_{false};  // OnBegin returned (or is about to)

 private:
  HttpRequest head_;
};

class StreamHandler : public HttpHandler {
 public:
  std::shared_ptr<BodySink> OpenBodySink(const HttpRequest& head) override {
    if (head.path != "/upload" && head.path != "/guarded") return nullptr;
    std::shared_ptr<CountingSink> sink;
    if (head.path == "/guarded") {
      sink = std::make_shared<GuardedSink>(head);
    } else {
      sink = std::make_shared<CountingSink>(kCap);
    }
    std::lock_guard lock(mu_);
    sinks_.push_back(sink);
    return sink;
  }
  HttpResponse Handle(const HttpRequest& r) override {
    auto* sink = dynamic_cast<CountingSink*>(r.streamed_body.get());
    if (sink == nullptr) return HttpResponse{200, "buffered:" + r.body, "text/plain"};
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(sink->ended_);
    return HttpResponse{200,
                        "streamed:" + std::to_string(sink->total_) + ":" +
                            std::to_string(sink->checksum_) + ":" + sink->prefix_.substr(0, 8),
                        "text/plain"};
  }
  std::shared_ptr<CountingSink> Sink(size_t i) {
    std::lock_guard lock(mu_);
    return i < sinks_.size() ? sinks_[i] : nullptr;
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<CountingSink>> sinks_;
};

uint64_t Checksum(std::string_view bytes) {
  uint64_t sum = 0;
  for (unsigned char c : bytes) sum = sum * 31 + c;
  return sum;
}

class HttpStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.pool_threads = 4;
    options.max_body_bytes = 100;  // must not apply to streamed bodies
    options.request_timeout_ms = 600;
    auto started = HttpServer::Start(options, handler_, nullptr);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(*started);
  }
  TestSocket Connect() { return TestSocket::Connect(server_->port()); }

  StreamHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpStreamTest, ContentLengthBodyReachesTheSinkNotTheRequest) {
  const std::string body(5000, 'b');
  TestSocket socket = Connect();
  ASSERT_TRUE(
      socket.Write("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" + body));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "streamed:5000:" + std::to_string(Checksum(body)) + ":bbbbbbbb");
  // Other routes stay buffered under max_body_bytes, on the same connection.
  ASSERT_TRUE(socket.Write("POST /other HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"));
  auto other = ReadHttpResponse(socket);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->body, "buffered:abc");
}

TEST_F(HttpStreamTest, ChunkBoundariesDoNotMatter) {
  TestSocket socket = Connect();
  ASSERT_TRUE(
      socket.Write("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string sent;
  // Chunks of 1..40 bytes, each written in two TCP writes split mid-chunk.
  for (int size = 1; size <= 40; ++size) {
    const std::string data(static_cast<size_t>(size), static_cast<char>('a' + size % 26));
    sent += data;
    char hex[16];
    std::snprintf(hex, sizeof(hex), "%x\r\n", size);
    const std::string frame = hex + data + "\r\n";
    ASSERT_TRUE(socket.Write(frame.substr(0, frame.size() / 2)));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(socket.Write(frame.substr(frame.size() / 2)));
  }
  ASSERT_TRUE(socket.Write("0\r\n\r\n"));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "streamed:" + std::to_string(sent.size()) + ":" +
                         std::to_string(Checksum(sent)) + ":" + sent.substr(0, 8));
}

TEST_F(HttpStreamTest, SinkCapAnswers413WithoutReadingTheRest) {
  TestSocket socket = Connect();
  // Declares 400 KiB (allowed by OnBegin) but sends only 80 KiB, just past the 64 KiB cap.
  ASSERT_TRUE(
      socket.Write("POST /upload HTTP/1.1\r\nHost: h\r\nX-Request-Id: up413\r\n"
                   "Content-Length: 409600\r\n\r\n" +
                   std::string(80 * 1024, 'x')));
  auto r = ReadHttpResponse(socket, 2000);
  ASSERT_TRUE(r) << "the server waited for the rest of the body";
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, R"({"error":"payload_too_large"})");
  EXPECT_EQ(r->Header("x-request-id"), "up413");
  EXPECT_TRUE(socket.WaitForEof(2000));  // closed: the rest is never read as a next request
  auto sink = handler_.Sink(0);
  ASSERT_TRUE(sink);
  EXPECT_GT(sink->total_, kCap);
  EXPECT_LE(sink->total_, 80 * 1024);
  EXPECT_FALSE(sink->ended_);
}

TEST_F(HttpStreamTest, OnBeginRejectsADeclaredLengthBeforeAnyByte) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n"));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  auto sink = handler_.Sink(0);
  ASSERT_TRUE(sink);
  EXPECT_EQ(sink->chunks_, 0);
}

// A refused head is answered before the client sends its body, no byte of what it does send
// reaches the sink, and the connection closes (the body cannot be framed as a next request).
TEST_F(HttpStreamTest, RefusedHeadIsAnsweredWithoutReadingTheBody) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write("POST /guarded HTTP/1.1\r\nHost: h\r\nContent-Length: 50000000\r\n\r\n" +
                           std::string(32 * 1024, 'x')));
  auto r = ReadHttpResponse(socket, 2000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->body, R"({"error":"invalid_credentials"})");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(socket.WaitForEof(3000));
  auto sink = handler_.Sink(0);
  ASSERT_TRUE(sink);
  EXPECT_EQ(sink->chunks_, 0);
  EXPECT_EQ(sink->total_, 0);
  EXPECT_FALSE(sink->ended_);
}

TEST_F(HttpStreamTest, RefusedHeadWithoutBodyKeepsTheConnection) {
  TestSocket socket = Connect();
  ASSERT_TRUE(
      socket.Write("POST /guarded HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
                   "GET /after HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->Header("connection"), "");
  auto next = ReadHttpResponse(socket);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "buffered:");
}

// 100 Continue is sent only once the head is admitted.
TEST_F(HttpStreamTest, ContinueOnlyAfterAdmission) {
  const std::string head =
      "POST /guarded HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n";
  TestSocket refused = Connect();
  ASSERT_TRUE(refused.Write(head + "\r\n"));
  auto r = ReadHttpResponse(refused);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  TestSocket admitted = Connect();
  ASSERT_TRUE(admitted.Write(head + "Authorization: ok\r\n\r\n"));
  auto go_on = admitted.ReadUntil("\r\n\r\n", 2000);
  ASSERT_TRUE(go_on);
  EXPECT_EQ(*go_on, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(admitted.Write("abcd"));
  auto ok = ReadHttpResponse(admitted);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "streamed:4:" + std::to_string(Checksum("abcd")) + ":abcd");
}

// OnBegin runs on a worker: it may block without stalling the connections of its reactor.
TEST_F(HttpStreamTest, AdmissionMayBlockWithoutStallingOthers) {
  TestSocket slow = Connect();
  ASSERT_TRUE(
      slow.Write("POST /guarded HTTP/1.1\r\nHost: h\r\nAuthorization: ok\r\nX-Block-Ms: 550\r\n"
                 "Content-Length: 3\r\n\r\nabc"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  TestSocket fast = Connect();
  ASSERT_TRUE(fast.Write("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto quick = ReadHttpResponse(fast);
  ASSERT_TRUE(quick);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  auto blocked = std::dynamic_pointer_cast<GuardedSink>(handler_.Sink(0));
  ASSERT_TRUE(blocked);
  EXPECT_FALSE(blocked->begun_.load()) << "the fast answer waited for the blocked admission";
  auto r = ReadHttpResponse(slow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto sink = std::dynamic_pointer_cast<GuardedSink>(handler_.Sink(0));
  ASSERT_TRUE(sink);
  EXPECT_NE(sink->begin_thread_, sink->chunk_thread_);
}

TEST_F(HttpStreamTest, AdmissionPastTheDeadlineIs408) {
  TestSocket socket = Connect();
  ASSERT_TRUE(
      socket.Write("POST /guarded HTTP/1.1\r\nHost: h\r\nAuthorization: ok\r\nX-Block-Ms: 900\r\n"
                   "Content-Length: 3\r\n\r\nabc"));
  auto r = ReadHttpResponse(socket, 2000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(socket.WaitForEof(3000));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the late verdict is ignored
  auto sink = handler_.Sink(0);
  ASSERT_TRUE(sink);
  EXPECT_EQ(sink->chunks_, 0);
}

TEST_F(HttpStreamTest, OnEndRejectionIsTheAnswerAndTheConnectionStaysUsable) {
  TestSocket socket = Connect();
  ASSERT_TRUE(
      socket.Write("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nreject-me!"));
  auto r = ReadHttpResponse(socket);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  ASSERT_TRUE(socket.Write("GET /after HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto next = ReadHttpResponse(socket);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpStreamTest, SlowUploadGets408AtTheWholeRequestDeadline) {
  TestSocket socket = Connect();
  ASSERT_TRUE(socket.Write("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n"));
  const auto start = std::chrono::steady_clock::now();
  std::optional<HttpTestResponse> r;
  for (int i = 0; i < 40 && !r; ++i) {
    socket.Write("y");  // every read succeeds; the whole never does
    r = ReadHttpResponse(socket, 100);
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->body, R"({"error":"request_timeout"})");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(500));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
  auto sink = handler_.Sink(0);
  ASSERT_TRUE(sink);
  EXPECT_FALSE(sink->ended_);
}

// 20 concurrent 2 MiB uploads: buffered, they would need 40 MiB; streamed, the server holds one
// read buffer per request.
TEST(HttpStreamMemory, TwentyConcurrentUploadsKeepMemoryFlat) {
  class BigSinkHandler : public HttpHandler {
   public:
    std::shared_ptr<BodySink> OpenBodySink(const HttpRequest&) override {
      return std::make_shared<CountingSink>(4 << 20);
    }
    HttpResponse Handle(const HttpRequest& r) override {
      auto* sink = dynamic_cast<CountingSink*>(r.streamed_body.get());
      return HttpResponse{200, std::to_string(sink ? sink->total_ : -1), "text/plain"};
    }
  } handler;
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.pool_threads = 20;
  options.request_timeout_ms = 20'000;
  auto started = HttpServer::Start(options, handler, nullptr);
  ASSERT_TRUE(started.ok());
  const uint16_t port = (*started)->port();
  const std::string piece(64 * 1024, 'z');
  constexpr int kUploads = 20;
  constexpr int kPieces = 32;  // 2 MiB each
  const int64_t before = ResidentKiB();
  std::atomic<int64_t> peak{before};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int u = 0; u < kUploads; ++u) {
    threads.emplace_back([&] {
      TestSocket socket = TestSocket::Connect(port);
      socket.Write("POST /avatar HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                   std::to_string(piece.size() * kPieces) + "\r\n\r\n");
      for (int i = 0; i < kPieces; ++i) {
        socket.Write(piece);
        int64_t now = ResidentKiB();
        int64_t seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
      }
      auto r = ReadHttpResponse(socket, 10'000);
      if (r && r->status == 200 && r->body == std::to_string(piece.size() * kPieces)) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kUploads);
  if (kAddressSanitizer) return;  // the uploads are checked; the memory bound is not (above)
  EXPECT_LT(peak.load() - before, 16 * 1024) << "resident memory grew by KiB";
}

}  // namespace
}  // namespace filament::http

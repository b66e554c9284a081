// Deferred answers (HttpResponse::defer, ADR 0090): the worker that ran the handler is free while
// the answer waits, the answer comes back from any thread, in order, bounded by the deadline.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/http_test_client.hpp"
#include "adapters/http/testing/socket_test_client.hpp"

namespace filament::http {
namespace {

using namespace std::chrono_literals;
using testing::TestSocket;

// GET /defer/<tag> answers later, when the test resumes it; anything else answers at once.
class DeferringHandler : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& request) override {
    if (request.path.rfind("/defer/", 0) != 0) return HttpResponse{200, "now " + request.path};
    HttpResponse response;
    response.status = 500;  // ignored: a deferred response is only its `defer`
    response.defer = [this, tag = request.path.substr(7)](ResumeResponse resume) {
      std::lock_guard lock(mu_);
      pending_.emplace_back(tag, std::move(resume));
      changed_.notify_all();
    };
    return response;
  }

  // Waits until `n` requests are deferred and not yet resumed.
  bool WaitPending(size_t n, std::chrono::milliseconds timeout = 3s) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return pending_.size() >= n; });
  }

  // Resumes the deferred request `tag` with `make` (default: 200 "later <tag>").
  void Resume(const std::string& tag, ResponseMaker make = nullptr) {
    ResumeResponse resume = Take(tag);
    ASSERT_TRUE(resume) << "no deferred request " << tag;
    if (!make) make = [tag] { return HttpResponse{200, "later " + tag}; };
    resume(make);
    resume([] { return HttpResponse{200, "a second resume must be ignored"}; });
  }

  ResumeResponse Take(const std::string& tag) {
    std::lock_guard lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->first != tag) continue;
      ResumeResponse resume = std::move(it->second);
      pending_.erase(it);
      return resume;
    }
    return nullptr;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::pair<std::string, ResumeResponse>> pending_;
};

std::string Get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"; }

class HttpDeferredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.pool_threads = 1;  // one worker: a deferred answer must not hold it
    options.request_timeout_ms = 1000;
    options.drain_timeout_ms = 300;
    auto started = HttpServer::Start(options, handler_, nullptr);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(*started);
  }

  TestSocket Send(const std::string& raw) {
    TestSocket socket = TestSocket::Connect(server_->port());
    EXPECT_TRUE(socket.Write(raw));
    return socket;
  }

  DeferringHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpDeferredTest, DeferredRequestsDoNotHoldTheWorkerAndEachGetsItsOwnAnswer) {
  std::vector<TestSocket> sockets;
  for (const char* tag : {"a", "b", "c", "d"})
    sockets.push_back(Send(Get(std::string("/defer/") + tag)));
  ASSERT_TRUE(handler_.WaitPending(4));  // four in flight on one worker
  auto now = testing::ReadHttpResponse(sockets.emplace_back(Send(Get("/plain"))), 3000);
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->body, "now /plain");
  // Resumed in reverse order, from another thread.
  std::thread resumer([&] {
    for (const char* tag : {"d", "c", "b", "a"}) handler_.Resume(tag);
  });
  resumer.join();
  const char* tags[] = {"a", "b", "c", "d"};
  for (size_t i = 0; i < 4; ++i) {
    auto response = testing::ReadHttpResponse(sockets[i], 3000);
    ASSERT_TRUE(response.has_value()) << tags[i];
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, std::string("later ") + tags[i]);
    EXPECT_FALSE(response->Header("x-request-id").empty());
  }
}

TEST_F(HttpDeferredTest, PipelinedRequestsBehindADeferredOneAreAnsweredAfterIt) {
  TestSocket socket = Send(Get("/defer/first") + Get("/second"));
  ASSERT_TRUE(handler_.WaitPending(1));
  EXPECT_FALSE(testing::ReadHttpResponse(socket, 200).has_value());  // nothing overtakes it
  handler_.Resume("first");
  auto first = testing::ReadHttpResponse(socket, 3000);
  auto second = testing::ReadHttpResponse(socket, 3000);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->body, "later first");
  EXPECT_EQ(second->body, "now /second");
}

TEST_F(HttpDeferredTest, AnAnswerPastTheDeadlineIs408AndAThrowingMakerIs500) {
  TestSocket late = Send(Get("/defer/late"));
  TestSocket broken = Send(Get("/defer/broken"));
  ASSERT_TRUE(handler_.WaitPending(2));
  handler_.Resume("broken", []() -> HttpResponse { throw std::runtime_error("boom"); });
  auto response = testing::ReadHttpResponse(broken, 3000);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"error":"internal_error"})");
  std::this_thread::sleep_for(1100ms);  // past request_timeout_ms
  handler_.Resume("late");
  response = testing::ReadHttpResponse(late, 3000);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 408);
}

TEST_F(HttpDeferredTest, AClientThatLeavesBeforeTheAnswerIsCleanedUp) {
  {
    TestSocket gone = Send(Get("/defer/gone"));
    ASSERT_TRUE(handler_.WaitPending(1));
  }  // closed
  std::this_thread::sleep_for(50ms);
  handler_.Resume("gone");
  for (int i = 0; i < 100 && server_->connection_count() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->connection_count(), 0);
  TestSocket next = Send(Get("/plain"));
  auto after = testing::ReadHttpResponse(next, 3000);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpDeferredTest, StopWaitsForADeferredAnswerAndAResumeAfterStopDoesNothing) {
  TestSocket answered = Send(Get("/defer/in-drain"));
  TestSocket abandoned = Send(Get("/defer/after-stop"));
  TestSocket forgotten = Send(Get("/defer/after-destruction"));
  ASSERT_TRUE(handler_.WaitPending(3));
  std::thread resumer([&] {
    std::this_thread::sleep_for(100ms);
    handler_.Resume("in-drain");
  });
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();  // drain_timeout_ms 300: the two never answered hold it that long
  resumer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  auto response = testing::ReadHttpResponse(answered, 1000);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "later in-drain");
  // Resumes that come too late must not touch the stopped, then destroyed, server.
  handler_.Resume("after-stop");
  ResumeResponse stale = handler_.Take("after-destruction");
  ASSERT_TRUE(stale);
  server_.reset();
  stale([] { return HttpResponse{200, "far too late"}; });
}

}  // namespace
}  // namespace filament::http

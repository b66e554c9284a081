#include "adapters/http/ws_reactor.hpp"

#include <condition_variable>
#include <mutex>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/http/testing/socket_test_client.hpp"

namespace filament::http {
namespace {

using testing::ClientFrame;
using testing::TestWsClient;

// Records callbacks; echoes text messages when `echo` is set.
class RecordingHandler : public WsSessionHandler {
 public:
  explicit RecordingHandler(bool echo = true) : echo_(echo) {}
  void OnOpen(std::shared_ptr<WsConnection> connection) override {
    std::lock_guard lock(mu_);
    connection_ = std::move(connection);
    cv_.notify_all();
  }
  void OnMessage(std::string_view payload) override {
    std::lock_guard lock(mu_);
    messages_.emplace_back(payload);
    if (echo_) connection_->Send(std::string(payload));
    cv_.notify_all();
  }
  void OnClose(WsCloseReason reason) override {
    std::lock_guard lock(mu_);
    reason_ = reason;
    ++close_calls_;
    cv_.notify_all();
  }
  std::shared_ptr<WsConnection> WaitOpen() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(3), [&] { return connection_ != nullptr; });
    return connection_;
  }
  std::optional<WsCloseReason> WaitClosed(int ms = 3000) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return reason_.has_value(); });
    return reason_;
  }
  int close_calls() {
    std::lock_guard lock(mu_);
    return close_calls_;
  }

 private:
  bool echo_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<WsConnection> connection_;
  std::vector<std::string> messages_;
  std::optional<WsCloseReason> reason_;
  int close_calls_ = 0;
};

// A connected loopback TCP pair: {server side fd, client}.
std::pair<int, TestWsClient> TcpPair(int client_rcvbuf = 0) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listener, 4);
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  TestWsClient client(testing::TestSocket::Connect(ntohs(addr.sin_port), client_rcvbuf));
  const int server_fd = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  return {server_fd, std::move(client)};
}

WsOptions SmallOptions() {
  WsOptions options;
  options.reactor_threads = 1;
  options.max_message_bytes = 1024;
  options.outbound_queue = 8;
  options.ping_interval_ms = 60'000;
  options.close_timeout_ms = 1000;
  return options;
}

struct Harness {
  explicit Harness(WsOptions options = SmallOptions(), bool echo = true, int rcvbuf = 0)
      : pool(options), handler(std::make_shared<RecordingHandler>(echo)) {
    auto [fd, c] = TcpPair(rcvbuf);
    client = std::move(c);
    pool.Adopt(fd, handler);
    connection = handler->WaitOpen();
  }
  WsReactorPool pool;
  std::shared_ptr<RecordingHandler> handler;
  TestWsClient client;
  std::shared_ptr<WsConnection> connection;
};

TEST(WsReactor, SendsAPingAtOnceAndEchoes) {
  Harness h;
  ASSERT_NE(h.connection, nullptr);
  auto first = h.client.NextFrame();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->opcode, 0x9);
  ASSERT_TRUE(h.client.SendText("hi"));
  EXPECT_EQ(h.client.NextText(), "hi");
}

TEST(WsReactor, PingsEveryInterval) {
  WsOptions options = SmallOptions();
  options.ping_interval_ms = 50;
  Harness h(options);
  int pings = 0;
  for (int i = 0; i < 3; ++i) {
    auto frame = h.client.NextFrame(1000);
    if (frame && frame->opcode == 0x9) ++pings;
  }
  EXPECT_EQ(pings, 3);
}

TEST(WsReactor, AnswersAClientPingWithAPong) {
  Harness h;
  ASSERT_TRUE(h.client.Write(ClientFrame(0x9, "abc")));
  for (int i = 0; i < 3; ++i) {
    auto frame = h.client.NextFrame();
    ASSERT_TRUE(frame);
    if (frame->opcode == 0xA) {
      EXPECT_EQ(frame->payload, "abc");
      return;
    }
  }
  FAIL() << "no pong";
}

TEST(WsReactor, HalfAFrameFromOneClientDoesNotStallAnother) {
  WsOptions options = SmallOptions();
  WsReactorPool pool(options);  // one reactor thread for both
  auto slow = std::make_shared<RecordingHandler>();
  auto fast = std::make_shared<RecordingHandler>();
  auto [slow_fd, slow_client] = TcpPair();
  auto [fast_fd, fast_client] = TcpPair();
  pool.Adopt(slow_fd, slow);
  pool.Adopt(fast_fd, fast);
  ASSERT_TRUE(slow->WaitOpen() && fast->WaitOpen());
  const std::string frame = ClientFrame(0x1, "hello");
  ASSERT_TRUE(slow_client.Write(frame.substr(0, 2)));  // header only, never completed
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(fast_client.SendText("quick"));
  EXPECT_EQ(fast_client.NextText(1000), "quick");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  ASSERT_TRUE(slow_client.Write(frame.substr(2)));  // the slow one still works afterwards
  EXPECT_EQ(slow_client.NextText(1000), "hello");
}

TEST(WsReactor, ClientCloseIsAnsweredAndReported) {
  Harness h;
  ASSERT_TRUE(h.client.Write(ClientFrame(0x8, std::string("\x03\xE8"
                                                          "bye",
                                                          5))));
  std::optional<testing::ServerFrame> frame;
  do {
    frame = h.client.NextFrame();
  } while (frame && frame->opcode != 0x8);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->payload, std::string("\x03\xE8", 2));
  h.client.Close();
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kClientClose);
}

TEST(WsReactor, EofWithoutCloseIsConnectionClosed) {
  Harness h;
  ASSERT_TRUE(h.client.NextFrame());  // the initial Ping
  h.client.Close();
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kConnectionClosed);
  EXPECT_EQ(h.handler->close_calls(), 1);
  EXPECT_FALSE(h.connection->Send("late"));
}

TEST(WsReactor, ProtocolErrorDropsTheSocket) {
  Harness h;
  ASSERT_TRUE(h.client.Write(std::string("\x81\x02hi", 4)));  // unmasked
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kProtocolError);
  EXPECT_TRUE(h.client.WaitForEof());
}

TEST(WsReactor, OversizeMessageIsRejectedFromItsHeader) {
  Harness h;
  const std::string frame = ClientFrame(0x1, std::string(2000, 'x'));
  ASSERT_TRUE(h.client.Write(frame.substr(0, 8)));
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kTooLarge);
  EXPECT_TRUE(h.client.WaitForEof());
}

TEST(WsReactor, DropClosesWithoutACloseFrame) {
  Harness h;
  h.connection->Drop();
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kServerClose);
  for (;;) {
    auto frame = h.client.NextFrame(1000);
    if (!frame) break;
    EXPECT_NE(frame->opcode, 0x8);
  }
}

TEST(WsReactor, FullQueueRefusesThenCloseDeliversCode1008) {
  WsOptions options = SmallOptions();
  options.socket_send_buffer_bytes = 4096;
  Harness h(options, /*echo=*/false, /*rcvbuf=*/4096);
  const std::string big(1000, 'e');
  int accepted = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (h.connection->Send(big) && std::chrono::steady_clock::now() < deadline) {
    ++accepted;
    if (accepted % 8 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(h.connection->Send(big));  // the peer reads nothing: the queue fills
  h.connection->Close(1008, "slow_consumer");
  EXPECT_TRUE(h.connection->closed());
  std::optional<testing::ServerFrame> frame;
  int texts = 0;
  while ((frame = h.client.NextFrame()) && frame->opcode != 0x8) texts += frame->opcode == 0x1;
  ASSERT_TRUE(frame) << "no close frame after " << texts << " texts";
  EXPECT_EQ(frame->payload, std::string("\x03\xF0slow_consumer", 15));
  EXPECT_LT(texts, accepted);  // queued frames were discarded
  h.client.Close();
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kServerClose);
}

// A backlog far larger than one encoded batch (64 KiB) reaches a reader that catches up
// whole and in order: frames wait in the queue, a batch at a time goes to the socket.
TEST(WsReactor, ABacklogLargerThanOneBatchArrivesWholeAndInOrder) {
  WsOptions options = SmallOptions();
  options.outbound_queue = 4000;
  options.socket_send_buffer_bytes = 4096;
  Harness h(options, /*echo=*/false, /*rcvbuf=*/4096);
  constexpr int kFrames = 3000;  // ~3 MB queued while the client reads nothing
  for (int i = 0; i < kFrames; ++i) {
    std::string text = std::to_string(i) + ":";
    text.resize(1000, 'b');
    ASSERT_TRUE(h.connection->Send(std::move(text))) << "frame " << i;
  }
  for (int i = 0; i < kFrames; ++i) {
    auto frame = h.client.NextFrame();
    ASSERT_TRUE(frame) << "frame " << i << " missing";
    if (frame->opcode != 0x1) {  // the Ping sent at open
      --i;
      continue;
    }
    ASSERT_EQ(frame->payload.substr(0, frame->payload.find(':')), std::to_string(i));
    ASSERT_EQ(frame->payload.size(), 1000u);
  }
  h.client.Close();
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kConnectionClosed);
}

TEST(WsReactor, StopEndsConnectionsWithShutdown) {
  Harness h;
  h.pool.Stop();
  EXPECT_EQ(h.handler->WaitClosed(), WsCloseReason::kShutdown);
  EXPECT_EQ(h.pool.connection_count(), 0);
}

}  // namespace
}  // namespace filament::http

// The hub behind the real HttpServer and epoll reactor, driven by a raw C++ WebSocket client.

#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/socket_test_client.hpp"
#include "core/ulid.hpp"
#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_upgrade.hpp"

namespace filament::gateway {
namespace {

using http::testing::ClientFrame;
using http::testing::TestSocket;
using http::testing::TestWsClient;
using nlohmann::json;

constexpr char kAlice[] = "01HAAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kGuild[] = "01HGGGGGGGGGGGGGGGGGGGGGGG";
constexpr char kChannel[] = "01HCCCCCCCCCCCCCCCCCCCCCCC";

class AllowAll : public SubscribeAuthorizer {
 public:
  core::Result<bool> MayView(const std::string&, const std::string&, const std::string&) override {
    return true;
  }
};

class NoPoster : public IngressMessagePoster {
 public:
  core::Status Post(const std::string&, const std::string&, const std::string&, const std::string&,
                    const std::vector<std::string>&, const std::string&) override {
    return core::OkStatus();
  }
};

class NotFound : public http::HttpHandler {
 public:
  http::HttpResponse Handle(const http::HttpRequest&) override { return {404, "", ""}; }
};

// Test tokens are the user id itself.
core::Result<std::string> Authenticate(const http::HttpRequest& request) {
  auto token = ExtractGatewayToken(request);
  if (!token || !core::Ulid::IsValid(*token)) return core::Unauthenticated("bad token");
  return *token;
}

class GatewaySocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GatewayOptions options;
    options.outbound_queue = 16;
    options.reactor_threads = 1;
    hub_ = std::make_unique<GatewayHub>(options, clock_, authorizer_, poster_);
    upgrade_ = std::make_unique<GatewayUpgradeHandler>(*hub_, Authenticate);
    http::HttpServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.ws = MakeWsOptions(options);
    server_options.ws.socket_send_buffer_bytes = 4096;
    auto started = http::HttpServer::Start(server_options, not_found_, upgrade_.get());
    ASSERT_TRUE(started.ok());
    server_ = std::move(*started);
  }
  void TearDown() override { server_.reset(); }  // the server stops before the hub goes

  TestWsClient Open(const std::string& target, const std::string& extra = {}, int rcvbuf = 0) {
    TestWsClient client(TestSocket::Connect(server_->port(), rcvbuf));
    auto head = client.Handshake(target, extra);
    EXPECT_TRUE(head && head->substr(9, 3) == "101") << head.value_or("no response");
    return client;
  }
  bool WaitDisconnect(const std::string& reason) {
    for (int i = 0; i < 300; ++i) {
      if (hub_->metrics().Value("filament_ws_disconnects_total", "reason=\"" + reason + "\"") > 0) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  static std::string Subscribe() {
    return json{
        {"v", 1}, {"t", "subscribe"}, {"d", {{"guild_id", kGuild}, {"channel_id", kChannel}}}}
        .dump();
  }

  core::SystemClock clock_;
  AllowAll authorizer_;
  NoPoster poster_;
  NotFound not_found_;
  std::unique_ptr<GatewayHub> hub_;
  std::unique_ptr<GatewayUpgradeHandler> upgrade_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(GatewaySocketTest, BadTokenGets401WithoutUpgrade) {
  TestWsClient client(TestSocket::Connect(server_->port()));
  auto head = client.Handshake("/gateway/ws?access_token=nope");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->substr(9, 3), "401");
  EXPECT_EQ(client.ReadExactly(31), R"({"error":"invalid_credentials"})");
}

TEST_F(GatewaySocketTest, ReadyThenTheSubscribeSequence) {
  TestWsClient client = Open(std::string("/gateway/ws?access_token=") + kAlice);
  auto ready = client.NextText();
  ASSERT_TRUE(ready);
  EXPECT_EQ(json::parse(*ready)["d"]["user_id"], kAlice);
  ASSERT_TRUE(client.SendText(Subscribe()));
  std::vector<std::string> types;
  for (int i = 0; i < 4; ++i) {
    auto text = client.NextText();
    ASSERT_TRUE(text);
    types.push_back(json::parse(*text)["t"]);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"presence_sync", "presence_update", "subscribed",
                                             "voice_participant_sync"}));
  hub_->PublishToChannel(kGuild, kChannel, "message_create", R"({"content":"hi"})");
  auto message = client.NextText();
  ASSERT_TRUE(message);
  EXPECT_EQ(json::parse(*message)["d"]["content"], "hi");
}

TEST_F(GatewaySocketTest, BearerHeaderAuthenticatesToo) {
  TestWsClient client =
      Open("/gateway/ws", std::string("Authorization: Bearer ") + kAlice + "\r\n");
  auto ready = client.NextText();
  ASSERT_TRUE(ready);
  EXPECT_EQ(json::parse(*ready)["t"], "ready");
}

TEST_F(GatewaySocketTest, InvalidEnvelopeDropsWithoutACloseFrame) {
  TestWsClient client = Open(std::string("/gateway/ws?access_token=") + kAlice);
  ASSERT_TRUE(client.NextText());
  ASSERT_TRUE(client.SendText(R"({"v":1,"t":"subscribe","d":{},"extra":true})"));
  EXPECT_FALSE(client.NextText());
  EXPECT_FALSE(client.last_close().has_value());
  EXPECT_TRUE(WaitDisconnect("invalid_envelope"));
}

TEST_F(GatewaySocketTest, OversizeInboundIsRejectedBeforeBuffering) {
  TestWsClient client = Open(std::string("/gateway/ws?access_token=") + kAlice);
  ASSERT_TRUE(client.NextText());
  const std::string frame = ClientFrame(0x1, std::string(65537, 'x'));
  ASSERT_TRUE(client.Write(frame.substr(0, 14)));  // header only
  EXPECT_TRUE(client.WaitForEof());
  EXPECT_TRUE(WaitDisconnect("event_too_large"));
}

TEST_F(GatewaySocketTest, SlowConsumerGetsClose1008) {
  TestWsClient client =
      Open(std::string("/gateway/ws?access_token=") + kAlice, {}, /*rcvbuf=*/4096);
  ASSERT_TRUE(client.NextText());
  ASSERT_TRUE(client.SendText(Subscribe()));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client.NextText());
  const std::string payload = json{{"content", std::string(8000, 'x')}}.dump();
  for (int i = 0; i < 400; ++i) {  // the client reads nothing
    hub_->PublishToChannel(kGuild, kChannel, "message_create", payload);
    if (hub_->metrics().Value(
            "filament_gateway_events_dropped_total",
            R"(scope="channel",event_type="message_create",reason="full_queue")") > 0) {
      break;
    }
  }
  int texts = 0;
  while (client.NextText(3000)) ++texts;
  ASSERT_TRUE(client.last_close().has_value()) << "after " << texts << " texts";
  EXPECT_EQ(*client.last_close(), std::string("\x03\xF0slow_consumer", 15));
  client.Close();
  EXPECT_TRUE(WaitDisconnect("slow_consumer"));
}

}  // namespace
}  // namespace filament::gateway

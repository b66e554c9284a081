#include "gateway/gateway_hub.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gateway/hub_test_fakes.hpp"

namespace filament::gateway {
namespace {

using hubtest::FakeAuthorizer;
using hubtest::FakeConnection;
using hubtest::FakePoster;
using nlohmann::json;

constexpr char kAlice[] = "01HAAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kBob[] = "01HBBBBBBBBBBBBBBBBBBBBBBB";
constexpr char kGuild[] = "01HGGGGGGGGGGGGGGGGGGGGGGG";
constexpr char kChannel[] = "01HCCCCCCCCCCCCCCCCCCCCCCC";
constexpr char kOther[] = "01HDDDDDDDDDDDDDDDDDDDDDDD";

struct Client {
  std::shared_ptr<http::WsSessionHandler> session;
  std::shared_ptr<FakeConnection> connection;
  void Send(const std::string& text) { session->OnMessage(text); }
  void Close(http::WsCloseReason reason) { session->OnClose(reason); }
};

class GatewayHubTest : public ::testing::Test {
 protected:
  GatewayHubTest() { Reset(GatewayOptions{}); }
  void Reset(GatewayOptions options) {
    hub_.reset();
    hub_ = std::make_unique<GatewayHub>(options, clock_, authorizer_, poster_);
  }
  Client Connect(const std::string& user, size_t queue = 256,
                 const std::string& ip = "203.0.113.9") {
    Client client{hub_->CreateSession(user, ip), std::make_shared<FakeConnection>(queue)};
    client.session->OnOpen(client.connection);
    return client;
  }
  static std::string SubscribeFrame(const std::string& guild, const std::string& channel) {
    return json{{"v", 1}, {"t", "subscribe"}, {"d", {{"guild_id", guild}, {"channel_id", channel}}}}
        .dump();
  }
  // Subscribes and waits for the 3 direct frames (+ an optional presence_update).
  void SubscribeAndWait(Client& client, size_t expected_total) {
    client.Send(SubscribeFrame(kGuild, kChannel));
    ASSERT_TRUE(client.connection->WaitFrames(expected_total));
  }
  uint64_t Disconnects(const std::string& reason) {
    return hub_->metrics().Value("filament_ws_disconnects_total", "reason=\"" + reason + "\"");
  }

  core::FakeClock clock_;
  FakeAuthorizer authorizer_;
  FakePoster poster_;
  std::unique_ptr<GatewayHub> hub_;
};

TEST_F(GatewayHubTest, ReadyIsTheFirstFrame) {
  Client alice = Connect(kAlice);
  auto frames = alice.connection->Frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0],
            json::parse(R"({"v":1,"t":"ready","d":{"user_id":")" + std::string(kAlice) + "\"}}"));
}

TEST_F(GatewayHubTest, SubscribeSendsSyncPresenceAckAndVoiceSyncInOrder) {
  authorizer_.Allow(kAlice, kGuild, kChannel);
  authorizer_.Allow(kBob, kGuild, kChannel);
  Client alice = Connect(kAlice);
  SubscribeAndWait(alice, 5);
  EXPECT_EQ(alice.connection->Types(),
            (std::vector<std::string>{"ready", "presence_sync", "presence_update", "subscribed",
                                      "voice_participant_sync"}));
  auto frames = alice.connection->Frames();
  EXPECT_EQ(frames[1]["d"], json::parse(R"({"guild_id":")" + std::string(kGuild) +
                                        R"(","user_ids":[")" + kAlice + "\"]}"));
  EXPECT_EQ(frames[2]["d"]["status"], "online");
  EXPECT_EQ(frames[3]["d"], (json{{"guild_id", kGuild}, {"channel_id", kChannel}}));
  EXPECT_EQ(frames[4]["d"]["participants"], json::array());
  EXPECT_EQ(frames[4]["d"]["synced_at_unix"], clock_.NowUnix());

  Client bob = Connect(kBob);
  SubscribeAndWait(bob, 5);
  ASSERT_TRUE(alice.connection->WaitFrames(6));
  EXPECT_EQ(alice.connection->Frames()[5]["d"]["user_id"], kBob);  // bob came online
  auto bob_sync = bob.connection->Frames()[1]["d"]["user_ids"];
  EXPECT_EQ(std::set<std::string>(bob_sync.begin(), bob_sync.end()),
            (std::set<std::string>{kAlice, kBob}));

  alice.Send(SubscribeFrame(kGuild, kChannel));  // again: no presence_update this time
  ASSERT_TRUE(alice.connection->WaitFrames(9));
  EXPECT_EQ(alice.connection->Types()[6], "presence_sync");
  EXPECT_EQ(alice.connection->Types()[7], "subscribed");
  // Counted just after the frame is queued: the worker may not have counted it yet.
  auto repairs = [&] {
    return hub_->metrics().Value("filament_voice_sync_repairs_total", "reason=\"subscribe\"");
  };
  for (int i = 0; i < 300 && repairs() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(repairs(), 3u);
}

TEST_F(GatewayHubTest, ForbiddenSubscribeIsSilent) {
  Client alice = Connect(kAlice);
  alice.Send(SubscribeFrame(kGuild, kChannel));
  authorizer_.Allow(kAlice, kGuild, kOther);
  alice.Send(SubscribeFrame(kGuild, kOther));  // executes after the forbidden one
  ASSERT_TRUE(alice.connection->WaitFrames(5));
  EXPECT_EQ(alice.connection->Frames()[3]["d"]["channel_id"], kOther);
  EXPECT_FALSE(alice.connection->closed());
}

TEST_F(GatewayHubTest, StrictIngressFailuresDropWithTheirReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "invalid_envelope"},
      {R"({"v":1,"t":"subscribe","d":{},"x":1})", "invalid_envelope"},
      {R"({"v":1,"t":"subscribe","d":{"guild_id":"x","channel_id":"y"}})",
       "invalid_subscribe_payload"},
      {R"({"v":1,"t":"message_create","d":{"guild_id":")" + std::string(kGuild) +
           R"(","channel_id":")" + kChannel + R"(","content":""}})",
       "invalid_message_create_payload"},
      {R"({"v":1,"t":"presence_sync","d":{}})", "unknown_event"},
      {std::string(65537, ' '), "event_too_large"},
  };
  std::map<std::string, uint64_t> expected;
  for (const auto& [frame, reason] : cases) {
    ++expected[reason];
    Client client = Connect(kAlice);
    client.Send(frame);
    EXPECT_TRUE(client.connection->dropped()) << reason;
    EXPECT_EQ(client.connection->close_code(), 0) << "no close frame for " << reason;
    EXPECT_EQ(client.connection->Frames().size(), 1u) << "no error event for " << reason;
    client.Close(http::WsCloseReason::kServerClose);
    EXPECT_EQ(Disconnects(reason), expected[reason]) << reason;
  }
  EXPECT_EQ(hub_->metrics().Value("filament_gateway_events_parse_rejected_total",
                                  R"(scope="ingress",reason="invalid_envelope")"),
            2u);
  EXPECT_EQ(hub_->metrics().Value("filament_gateway_events_unknown_received_total",
                                  R"(scope="ingress",event_type="presence_sync")"),
            1u);
}

TEST_F(GatewayHubTest, IngressRateLimitIsASlidingWindow) {
  GatewayOptions options;
  options.ingress_events_per_window = 3;
  options.ingress_window_secs = 10;
  Reset(options);
  Client alice = Connect(kAlice);
  const std::string forbidden = SubscribeFrame(kGuild, kChannel);
  for (int i = 0; i < 3; ++i) alice.Send(forbidden);
  clock_.Advance(9'999);
  EXPECT_FALSE(alice.connection->dropped());
  clock_.Advance(1);  // the first three fall out of the window
  for (int i = 0; i < 3; ++i) alice.Send(forbidden);
  EXPECT_FALSE(alice.connection->dropped());
  alice.Send(forbidden);  // fourth within the window
  EXPECT_TRUE(alice.connection->dropped());
  alice.Close(http::WsCloseReason::kServerClose);
  EXPECT_EQ(Disconnects("ingress_rate_limited"), 1u);
}

TEST_F(GatewayHubTest, TransportReasonsMapToContractReasons) {
  Client a = Connect(kAlice);
  a.Close(http::WsCloseReason::kTooLarge);
  Client b = Connect(kAlice);
  b.Close(http::WsCloseReason::kClientClose);
  Client c = Connect(kAlice);
  c.Close(http::WsCloseReason::kProtocolError);
  EXPECT_EQ(Disconnects("event_too_large"), 1u);
  EXPECT_EQ(Disconnects("client_close"), 1u);
  EXPECT_EQ(Disconnects("socket_error"), 1u);
  EXPECT_EQ(hub_->connection_count(), 0u);
}

TEST_F(GatewayHubTest, SlowConsumerIsPrunedAndClosedWith1008) {
  authorizer_.Allow(kAlice, kGuild, kChannel);
  authorizer_.Allow(kBob, kGuild, kChannel);
  Client alice = Connect(kAlice, /*queue=*/8);
  Client bob = Connect(kBob);
  SubscribeAndWait(alice, 5);
  SubscribeAndWait(bob, 5);
  ASSERT_TRUE(alice.connection->WaitFrames(6));
  for (int i = 0; i < 4; ++i) hub_->PublishToChannel(kGuild, kChannel, "message_create", "{}");
  EXPECT_EQ(alice.connection->close_code(), 1008);
  EXPECT_EQ(alice.connection->close_reason(), "slow_consumer");
  EXPECT_EQ(bob.connection->Types().size(), 9u);  // bob got all four
  EXPECT_EQ(
      hub_->metrics().Value("filament_gateway_events_dropped_total",
                            R"(scope="channel",event_type="message_create",reason="full_queue")"),
      1u);
  hub_->PublishToGuild(kGuild, "channel_create", "{}");  // alice is stale: skipped, not counted
  alice.Close(http::WsCloseReason::kConnectionClosed);
  EXPECT_EQ(Disconnects("slow_consumer"), 1u);  // suppresses the read-side reason
  ASSERT_TRUE(bob.connection->WaitFrames(11));
  EXPECT_EQ(bob.connection->Frames()[10]["d"]["status"], "offline");
}

TEST_F(GatewayHubTest, OversizedOutboundIsDroppedForEveryone) {
  authorizer_.Allow(kAlice, kGuild, kChannel);
  Client alice = Connect(kAlice);
  SubscribeAndWait(alice, 5);
  const std::string big = json{{"content", std::string(70000, 'x')}}.dump();
  hub_->PublishToChannel(kGuild, kChannel, "message_create", big);
  hub_->PublishToChannel(kGuild, kChannel, "message_create", R"({"content":"ok"})");
  EXPECT_EQ(alice.connection->Frames().size(), 6u);
  EXPECT_EQ(hub_->metrics().Value(
                "filament_gateway_events_dropped_total",
                R"(scope="channel",event_type="message_create",reason="oversized_outbound")"),
            1u);
  EXPECT_FALSE(alice.connection->closed());
}

TEST_F(GatewayHubTest, ScopesReachTheRightConnections) {
  authorizer_.Allow(kAlice, kGuild, kChannel);
  authorizer_.Allow(kBob, kGuild, kOther);
  Client alice = Connect(kAlice);
  Client alice2 = Connect(kAlice);
  Client bob = Connect(kBob);
  SubscribeAndWait(alice, 5);
  bob.Send(SubscribeFrame(kGuild, kOther));
  ASSERT_TRUE(bob.connection->WaitFrames(5));
  const size_t alice_before = alice.connection->Frames().size();
  hub_->PublishToChannel(kGuild, kChannel, "message_create", "{}");
  hub_->PublishToGuild(kGuild, "channel_create", "{}");
  hub_->PublishToUser(kAlice, "profile_update", "{}");
  auto tail = [](FakeConnection& c, size_t from) {
    auto types = c.Types();
    return std::vector<std::string>(types.begin() + static_cast<long>(from), types.end());
  };
  EXPECT_EQ(tail(*alice.connection, alice_before),
            (std::vector<std::string>{"message_create", "channel_create", "profile_update"}));
  EXPECT_EQ(tail(*alice2.connection, 1), (std::vector<std::string>{"profile_update"}));
  EXPECT_EQ(tail(*bob.connection, 5), (std::vector<std::string>{"channel_create"}));
}

TEST_F(GatewayHubTest, MessageCreateIsPostedAndFailureDisconnects) {
  Client alice = Connect(kAlice);
  const std::string a = "01HZZZZZZZZZZZZZZZZZZZZZZA";
  const std::string frame = json{
      {"v", 1},
      {"t", "message_create"},
      {"d",
       {{"guild_id", kGuild},
        {"channel_id", kChannel},
        {"content", "hi"},
        {"attachment_ids",
         {a, a}}}}}.dump();
  alice.Send(frame);
  auto posted = [&] {
    std::lock_guard lock(poster_.mu);
    return poster_.posts.size();
  };
  for (int i = 0; i < 300 && posted() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lock(poster_.mu);
    ASSERT_EQ(poster_.posts.size(), 1u);
    EXPECT_EQ(poster_.posts[0], std::string(kAlice) + "|hi|1|203.0.113.9");
    poster_.fail = true;
  }
  alice.Send(frame);
  ASSERT_TRUE(alice.connection->WaitClosed());
  alice.Close(http::WsCloseReason::kServerClose);
  EXPECT_EQ(Disconnects("message_rejected"), 1u);
}

TEST_F(GatewayHubTest, MetricsPrintEveryFamily) {
  std::string out;
  hub_->metrics().AppendPrometheus(out);
  for (const char* family :
       {"filament_ws_disconnects_total", "filament_gateway_events_emitted_total",
        "filament_gateway_events_dropped_total", "filament_gateway_events_unknown_received_total",
        "filament_gateway_events_parse_rejected_total", "filament_voice_sync_repairs_total"}) {
    EXPECT_NE(out.find(std::string("# TYPE ") + family + " counter"), std::string::npos);
  }
  Client alice = Connect(kAlice);
  out.clear();
  hub_->metrics().AppendPrometheus(out);
  EXPECT_NE(
      out.find(R"(filament_gateway_events_emitted_total{scope="connection",event_type="ready"} 1)"),
      std::string::npos);
}

// ADR 0032: a live guild IP ban cuts the guild, not the socket, from connections at the address.
TEST_F(GatewayHubTest, LiveIpBanCutsTheGuildFromConnectionsAtTheAddress) {
  for (const char* user : {kAlice, kBob}) {
    authorizer_.Allow(user, kGuild, kChannel);
    authorizer_.Allow(user, kOther, kChannel);
  }
  Client banned = Connect(kAlice, 256, "2001:db8::7");
  Client spared = Connect(kBob, 256, "2001:db8::8");
  SubscribeAndWait(banned, 5);
  SubscribeAndWait(spared, 5);
  banned.Send(SubscribeFrame(kOther, kChannel));  // another guild: the ban does not reach it
  ASSERT_TRUE(banned.connection->WaitFrames(10));
  hub_->ApplyIpBans(kGuild, {{"ban-expired", "2001:db8::8", clock_.NowUnix()},
                             {"ban-1", "2001:DB8:0::7", std::nullopt}});
  const size_t banned_before = banned.connection->Frames().size();
  const size_t spared_before = spared.connection->Frames().size();
  hub_->PublishToChannel(kGuild, kChannel, "message_create", "{}");
  hub_->PublishToChannel(kOther, kChannel, "message_create", "{}");
  ASSERT_TRUE(banned.connection->WaitFrames(banned_before + 1));
  EXPECT_EQ(banned.connection->Frames().back()["t"], "message_create");  // kOther's only
  EXPECT_EQ(banned.connection->Frames().size(), banned_before + 1);
  EXPECT_FALSE(banned.connection->closed());
  ASSERT_TRUE(spared.connection->WaitFrames(spared_before + 1));
  // bob saw alice go offline in kGuild, then the message.
  auto spared_types = spared.connection->Types();
  EXPECT_EQ(spared_types[spared_before - 1], "presence_update");
  EXPECT_EQ(spared.connection->Frames()[spared_before - 1]["d"]["status"], "offline");
  EXPECT_EQ(spared_types.back(), "message_create");
  // A later subscribe to the guild from the address is dropped with ip_banned ...
  banned.Send(SubscribeFrame(kGuild, kChannel));
  ASSERT_TRUE(banned.connection->WaitClosed());
  EXPECT_TRUE(banned.connection->dropped());
  banned.Close(http::WsCloseReason::kServerClose);
  EXPECT_EQ(Disconnects("ip_banned"), 1u);
  // ... until the ban is lifted.
  hub_->LiftIpBans(kGuild, {"ban-1"});
  Client again = Connect(kAlice, 256, "2001:db8::7");
  again.Send(SubscribeFrame(kGuild, kChannel));
  ASSERT_TRUE(again.connection->WaitFrames(5));
  EXPECT_EQ(again.connection->Types()[3], "subscribed");
}

TEST_F(GatewayHubTest, LiveIpBanExpires) {
  authorizer_.Allow(kAlice, kGuild, kChannel);
  hub_->ApplyIpBans(kGuild, {{"ban-1", "203.0.113.9", clock_.NowUnix() + 5}});
  clock_.Advance(5000);
  Client alice = Connect(kAlice);
  SubscribeAndWait(alice, 5);
  EXPECT_FALSE(alice.connection->closed());
}

class FakeRoster : public VoiceRosterView {
 public:
  std::vector<VoiceParticipantView> Participants(const std::string& guild,
                                                 const std::string& channel,
                                                 int64_t now_unix) override {
    asked_at = now_unix;
    if (guild != kGuild || channel != kChannel) return {};
    return {VoiceParticipantView{kBob, "u.B", 10, 20, true, false, false, false, false}};
  }
  int64_t asked_at = 0;
};

class GoneRecorder : public ConnectionObserver {
 public:
  void OnUserGone(const std::string& user_id) override { gone.push_back(user_id); }
  std::vector<std::string> gone;
};

TEST_F(GatewayHubTest, VoiceSyncListsTheRostersParticipants) {
  FakeRoster roster;
  hub_->SetVoiceRoster(&roster);
  authorizer_.Allow(kAlice, kGuild, kChannel);
  Client alice = Connect(kAlice);
  SubscribeAndWait(alice, 5);
  auto sync = alice.connection->Frames()[4]["d"];
  EXPECT_EQ(sync["participants"],
            json::parse(R"([{"user_id":")" + std::string(kBob) +
                        R"(","identity":"u.B","joined_at_unix":10,"updated_at_unix":20,)"
                        R"("is_muted":true,"is_deafened":false,"is_speaking":false,)"
                        R"("is_video_enabled":false,"is_screen_share_enabled":false}])"));
  EXPECT_EQ(roster.asked_at, clock_.NowUnix());  // expired participants are pruned at now
}

TEST_F(GatewayHubTest, ObserverHearsOnlyTheLastConnectionOfAUser) {
  GoneRecorder observer;
  hub_->SetConnectionObserver(&observer);
  Client first = Connect(kAlice);
  Client second = Connect(kAlice);
  Client bob = Connect(kBob);
  first.Close(http::WsCloseReason::kClientClose);
  EXPECT_TRUE(observer.gone.empty());
  second.Close(http::WsCloseReason::kClientClose);
  EXPECT_EQ(observer.gone, std::vector<std::string>{kAlice});
  second.Close(http::WsCloseReason::kClientClose);  // a second close changes nothing
  EXPECT_EQ(observer.gone.size(), 1u);
  bob.Close(http::WsCloseReason::kServerClose);
  EXPECT_EQ(observer.gone, (std::vector<std::string>{kAlice, kBob}));
}

TEST_F(GatewayHubTest, DropUserDropsEveryConnectionOfThatUserOnly) {
  Client alice = Connect(kAlice);
  Client alice_again = Connect(kAlice);
  Client bob = Connect(kBob);
  hub_->DropUser(kAlice, "account_locked");
  ASSERT_TRUE(alice.connection->WaitClosed());
  ASSERT_TRUE(alice_again.connection->WaitClosed());
  EXPECT_TRUE(alice.connection->dropped());  // no close frame (GATEWAY.md §13)
  EXPECT_EQ(alice.connection->close_code(), 0);
  EXPECT_FALSE(bob.connection->closed());
  alice.Close(http::WsCloseReason::kServerClose);
  alice_again.Close(http::WsCloseReason::kServerClose);
  EXPECT_EQ(Disconnects("account_locked"), 2u);
  hub_->DropUser(kAlice, "account_locked");  // none left: nothing happens
  EXPECT_EQ(hub_->connection_count(), 1u);
}

}  // namespace
}  // namespace filament::gateway

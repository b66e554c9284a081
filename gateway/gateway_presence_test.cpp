// Presence over two hubs ("gateway processes") sharing an InMemoryPresenceBus (ADR 0057).

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gateway/gateway_hub.hpp"
#include "gateway/in_memory_presence.hpp"

namespace filament::gateway {
namespace {

using nlohmann::json;

constexpr char kAlice[] = "01HAAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kBob[] = "01HBBBBBBBBBBBBBBBBBBBBBBB";
constexpr char kCarol[] = "01HCAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kGuild[] = "01HGGGGGGGGGGGGGGGGGGGGGGG";
constexpr char kChannel[] = "01HCCCCCCCCCCCCCCCCCCCCCCC";

class RecordingConnection : public http::WsConnection {
 public:
  bool Send(std::string text) override {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    frames_.push_back(json::parse(text));
    cv_.notify_all();
    return true;
  }
  void Close(uint16_t, std::string) override { Drop(); }
  void Drop() override {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }
  uint64_t id() const override { return id_; }
  std::vector<json> Frames() {
    std::lock_guard lock(mu_);
    return frames_;
  }
  bool WaitFrames(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(3), [&] { return frames_.size() >= n; });
  }

 private:
  static inline std::atomic<uint64_t> next_id_{1};
  const uint64_t id_ = next_id_++;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> frames_;
  bool closed_ = false;
};

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

struct Client {
  std::shared_ptr<http::WsSessionHandler> session;
  std::shared_ptr<RecordingConnection> connection;
  void Close() { session->OnClose(http::WsCloseReason::kClientClose); }
  // The presence_update frames received, as "user status".
  std::vector<std::string> Updates() {
    std::vector<std::string> out;
    for (const json& f : connection->Frames()) {
      if (f["t"] == "presence_update") {
        out.push_back(f["d"]["user_id"].get<std::string>() + " " +
                      f["d"]["status"].get<std::string>());
      }
    }
    return out;
  }
  std::set<std::string> LastSync() {
    std::set<std::string> out;
    for (const json& f : connection->Frames()) {
      if (f["t"] == "presence_sync") out = f["d"]["user_ids"].get<std::set<std::string>>();
    }
    return out;
  }
};

// One "process": a hub with its own directory on the shared bus.
struct Process {
  Process(InMemoryPresenceBus& bus, const core::Clock& clock, SubscribeAuthorizer& authorizer,
          IngressMessagePoster& poster)
      : directory(bus.Join()), hub(GatewayOptions{}, clock, authorizer, poster) {
    hub.AttachPresence(directory.get());
    hub.SetUserGoneHandler([this](const std::string& user) {
      std::lock_guard lock(mu);
      gone.push_back(user);
    });
  }
  std::vector<std::string> Gone() {
    std::lock_guard lock(mu);
    return gone;
  }
  std::unique_ptr<PresenceDirectory> directory;
  GatewayHub hub;
  std::mutex mu;
  std::vector<std::string> gone;
};

class PresenceTest : public ::testing::Test {
 protected:
  Client Connect(Process& process, const std::string& user) {
    Client client{process.hub.CreateSession(user, "203.0.113.9"),
                  std::make_shared<RecordingConnection>()};
    client.session->OnOpen(client.connection);
    return client;
  }
  // Subscribes and waits until `subscribed` and `voice_participant_sync` arrived.
  void Subscribe(Client& client) {
    const size_t before = client.connection->Frames().size();
    client.session->OnMessage(
        json{{"v", 1}, {"t", "subscribe"}, {"d", {{"guild_id", kGuild}, {"channel_id", kChannel}}}}
            .dump());
    for (size_t n = before + 3; client.connection->WaitFrames(n); ++n) {
      if (client.connection->Frames().back()["t"] == "voice_participant_sync") return;
    }
    FAIL() << "no subscribe sequence";
  }
  static std::string Online(const std::string& user) { return user + " online"; }
  static std::string Offline(const std::string& user) { return user + " offline"; }

  core::FakeClock clock_;
  AllowAll authorizer_;
  NoPoster poster_;
  InMemoryPresenceBus bus_;
  Process a_{bus_, clock_, authorizer_, poster_};
  Process b_{bus_, clock_, authorizer_, poster_};
};

TEST_F(PresenceTest, SubscribeOrderIsUnchangedWithADirectory) {
  Client alice = Connect(a_, kAlice);
  Subscribe(alice);
  std::vector<std::string> types;
  for (const json& f : alice.connection->Frames()) types.push_back(f["t"]);
  EXPECT_EQ(types, (std::vector<std::string>{"ready", "presence_sync", "presence_update",
                                             "subscribed", "voice_participant_sync"}));
  EXPECT_EQ(alice.LastSync(), (std::set<std::string>{kAlice}));
}

TEST_F(PresenceTest, UsersOnTwoProcessesSeeEachOtherComeOnline) {
  Client alice = Connect(a_, kAlice);
  Subscribe(alice);
  bus_.Deliver();
  Client bob = Connect(b_, kBob);
  Subscribe(bob);
  EXPECT_EQ(bob.LastSync(), (std::set<std::string>{kAlice, kBob}));  // the union
  EXPECT_EQ(bob.Updates(), (std::vector<std::string>{Online(kBob)}));
  EXPECT_EQ(alice.Updates(), (std::vector<std::string>{Online(kAlice)}));
  bus_.Deliver();  // b's announcement reaches a
  EXPECT_EQ(alice.Updates(), (std::vector<std::string>{Online(kAlice), Online(kBob)}));
  Client carol = Connect(a_, kCarol);
  Subscribe(carol);
  EXPECT_EQ(carol.LastSync(), (std::set<std::string>{kAlice, kBob, kCarol}));
}

TEST_F(PresenceTest, OnlineOnceAndOfflineOnlyWhenTheLastConnectionAnywhereCloses) {
  Client bob = Connect(b_, kBob);
  Subscribe(bob);
  Client carol = Connect(a_, kCarol);
  Subscribe(carol);
  bus_.Deliver();
  Client alice_a = Connect(a_, kAlice);
  Subscribe(alice_a);
  bus_.Deliver();
  Client alice_b = Connect(b_, kAlice);
  Subscribe(alice_b);  // not her first present connection in the guild: no second online
  bus_.Deliver();
  EXPECT_EQ(bob.Updates(),
            (std::vector<std::string>{Online(kBob), Online(kCarol), Online(kAlice)}));
  EXPECT_EQ(carol.Updates(),
            (std::vector<std::string>{Online(kCarol), Online(kBob), Online(kAlice)}));
  EXPECT_EQ(alice_b.Updates(), std::vector<std::string>{});
  EXPECT_EQ(alice_b.LastSync(), (std::set<std::string>{kAlice, kBob, kCarol}));

  alice_a.Close();
  bus_.Deliver();
  EXPECT_EQ(carol.Updates().size(), 3u);  // alice is still on b: no offline anywhere
  EXPECT_EQ(bob.Updates().size(), 3u);
  alice_b.Close();
  EXPECT_EQ(bob.Updates().back(), Offline(kAlice));  // same process: at once
  EXPECT_EQ(carol.Updates().back(), Online(kAlice));
  bus_.Deliver();
  EXPECT_EQ(carol.Updates().back(), Offline(kAlice));
  EXPECT_EQ(carol.Updates().size(), 4u);
  EXPECT_EQ(bob.Updates().size(), 4u);
}

TEST_F(PresenceTest, SimultaneousFirstSubscribesOnTwoProcessesGiveOneOnlineEach) {
  Client bob = Connect(b_, kBob);
  Subscribe(bob);
  Client carol = Connect(a_, kCarol);
  Subscribe(carol);
  bus_.Deliver();
  Client alice_a = Connect(a_, kAlice);
  Subscribe(alice_a);  // neither process has heard of the other's alice yet
  Client alice_b = Connect(b_, kAlice);
  Subscribe(alice_b);
  bus_.Deliver();  // each hears the other's; she is already online for both
  EXPECT_EQ(bob.Updates(),
            (std::vector<std::string>{Online(kBob), Online(kCarol), Online(kAlice)}));
  EXPECT_EQ(carol.Updates(),
            (std::vector<std::string>{Online(kCarol), Online(kBob), Online(kAlice)}));
  alice_b.Close();  // b still hears her on a: no offline
  bus_.Deliver();
  EXPECT_EQ(bob.Updates().size(), 3u);
  alice_a.Close();
  bus_.Deliver();
  EXPECT_EQ(bob.Updates().back(), Offline(kAlice));
  EXPECT_EQ(carol.Updates().back(), Offline(kAlice));
  EXPECT_EQ(bob.Updates().size(), 4u);
  EXPECT_EQ(carol.Updates().size(), 4u);
}

TEST_F(PresenceTest, ADeadProcessTakesItsUsersOffline) {
  Client alice = Connect(a_, kAlice);
  Subscribe(alice);
  Client bob = Connect(b_, kBob);
  Subscribe(bob);
  bus_.Deliver();
  EXPECT_EQ(bob.Updates(), (std::vector<std::string>{Online(kBob), Online(kAlice)}));
  bus_.Expire(*a_.directory);  // a's leases expire: it died without closing its sockets
  bus_.Deliver();
  EXPECT_EQ(bob.Updates().back(), Offline(kAlice));
  EXPECT_EQ(b_.Gone(), (std::vector<std::string>{kAlice}));
  Client carol = Connect(b_, kCarol);
  Subscribe(carol);
  EXPECT_EQ(carol.LastSync(), (std::set<std::string>{kBob, kCarol}));
}

TEST_F(PresenceTest, UserGoneOnlyWhenNoConnectionIsLeftAnywhere) {
  Client alice_a = Connect(a_, kAlice);  // connected, never subscribed
  Client alice_b = Connect(b_, kAlice);
  Client alice_b2 = Connect(b_, kAlice);
  alice_a.Close();
  bus_.Deliver();
  alice_b.Close();
  bus_.Deliver();
  EXPECT_TRUE(a_.Gone().empty());
  EXPECT_TRUE(b_.Gone().empty());
  alice_b2.Close();
  bus_.Deliver();
  EXPECT_TRUE(a_.Gone().empty());
  EXPECT_EQ(b_.Gone(), (std::vector<std::string>{kAlice}));
}

TEST_F(PresenceTest, ADetachedHubHearsNothing) {
  Client bob = Connect(b_, kBob);
  Subscribe(bob);
  b_.hub.AttachPresence(nullptr);
  Client alice = Connect(a_, kAlice);
  Subscribe(alice);
  bus_.Deliver();
  EXPECT_EQ(bob.Updates(), (std::vector<std::string>{Online(kBob)}));
}

}  // namespace
}  // namespace filament::gateway

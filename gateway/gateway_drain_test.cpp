// GatewayHub::CloseAll: the SIGTERM drain closes every connection with 1001 (ADR 0076).
#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "gateway/gateway_hub.hpp"
#include "gateway/hub_test_fakes.hpp"

namespace filament::gateway {
namespace {

using hubtest::FakeAuthorizer;
using hubtest::FakeConnection;
using hubtest::FakePoster;

constexpr char kAlice[] = "01HAAAAAAAAAAAAAAAAAAAAAAA";

TEST(GatewayDrain, CloseAllClosesOpenAndLaterConnectionsWith1001) {
  core::FakeClock clock(1'700'000'000'000);
  FakeAuthorizer authorizer;
  FakePoster poster;
  GatewayHub hub(GatewayOptions{}, clock, authorizer, poster);
  auto open = [&hub] {
    auto connection = std::make_shared<FakeConnection>();
    auto session = hub.CreateSession(kAlice, "203.0.113.9");
    session->OnOpen(connection);
    return std::make_pair(session, connection);
  };
  auto [first, first_connection] = open();
  ASSERT_TRUE(first_connection->WaitFrames(1));  // ready
  hub.CloseAll(1001, "server shutting down");
  EXPECT_EQ(first_connection->close_code(), 1001);
  EXPECT_EQ(first_connection->close_reason(), "server shutting down");
  auto [late, late_connection] = open();  // upgraded while draining: closed at once
  EXPECT_EQ(late_connection->close_code(), 1001);
  first->OnClose(http::WsCloseReason::kServerClose);
  late->OnClose(http::WsCloseReason::kServerClose);
  EXPECT_EQ(hub.connection_count(), 0u);
  EXPECT_EQ(hub.metrics().Value("filament_ws_disconnects_total", "reason=\"server_shutdown\""), 2u);
  hub.Shutdown();
}

}  // namespace
}  // namespace filament::gateway

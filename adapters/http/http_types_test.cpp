#include "adapters/http/http_types.hpp"

#include <gtest/gtest.h>

#include "adapters/http/http_exchange.hpp"
#include "adapters/http/request_id.hpp"

namespace filament::http {
namespace {

TEST(QueryParam, FindsAndDecodes) {
  EXPECT_EQ(QueryParam("a=1&access_token=v4.local.x%2By&b", "access_token"), "v4.local.x+y");
  EXPECT_EQ(QueryParam("a=1", "access_token"), std::nullopt);
  EXPECT_EQ(QueryParam("access_token=%zz", "access_token"), std::nullopt);
  EXPECT_EQ(QueryParam("flag", "flag"), "");
  EXPECT_EQ(QueryParam("x=a+b", "x"), "a b");
}

TEST(HttpRequest, HeaderLookupIsByLowerCaseName) {
  HttpRequest request;
  request.headers = {{"x-one", "1"}, {"x-two", "2"}, {"x-one", "again"}};
  EXPECT_EQ(request.Header("x-one"), "1");
  EXPECT_EQ(request.Header("x-three"), std::nullopt);
}

TEST(RequestId, KeepsAPrintableClientIdAndReplacesOthers) {
  EXPECT_EQ(ResolveRequestId("abc-123", true), "abc-123");
  const std::string generated = ResolveRequestId("", false);
  ASSERT_EQ(generated.size(), 36u);
  EXPECT_EQ(generated[14], '4');
  EXPECT_NE(ResolveRequestId("bad\x01id", true), "bad\x01id");
  EXPECT_NE(ResolveRequestId(std::string(129, 'a'), true), std::string(129, 'a'));
  EXPECT_EQ(ResolveRequestId(std::string(128, 'a'), true), std::string(128, 'a'));
  EXPECT_NE(NewUuidV4(), NewUuidV4());
}

TEST(WebSocketUpgrade, NeedsAllHandshakeHeaders) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/gateway/ws";
  request.headers = {{"connection", "keep-alive, Upgrade"},
                     {"upgrade", "websocket"},
                     {"sec-websocket-key", "k"},
                     {"sec-websocket-version", "13"}};
  EXPECT_TRUE(IsWebSocketUpgrade(request));
  request.headers[3].second = "8";
  EXPECT_FALSE(IsWebSocketUpgrade(request));
  request.headers[3].second = "13";
  request.path = "/gateway/ws2";
  EXPECT_FALSE(IsWebSocketUpgrade(request));
}

}  // namespace
}  // namespace filament::http

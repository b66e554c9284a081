#include "adapters/http/ws_frame.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "adapters/http/testing/socket_test_client.hpp"

namespace filament::http {
namespace {

using testing::ClientFrame;

struct Collected {
  std::vector<std::pair<WsOpcode, std::string>> events;
  std::function<bool(const WsFrameEvent&)> Sink() {
    return [this](const WsFrameEvent& e) {
      events.emplace_back(e.opcode, std::string(e.payload));
      return true;
    };
  }
};

TEST(WsFrameParser, ParsesOneMaskedTextFrame) {
  WsFrameParser parser(1024);
  Collected got;
  EXPECT_EQ(parser.Feed(ClientFrame(0x1, "hello"), got.Sink()), WsParseStatus::kOk);
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].first, WsOpcode::kText);
  EXPECT_EQ(got.events[0].second, "hello");
}

TEST(WsFrameParser, AcceptsInputOneByteAtATime) {
  WsFrameParser parser(100000);
  Collected got;
  const std::string big(70000, 'x');
  const std::string bytes = ClientFrame(0x1, "a") + ClientFrame(0x2, big) + ClientFrame(0x1, "");
  for (char c : bytes)
    ASSERT_EQ(parser.Feed(std::string_view(&c, 1), got.Sink()), WsParseStatus::kOk);
  ASSERT_EQ(got.events.size(), 3u);
  EXPECT_EQ(got.events[1].first, WsOpcode::kBinary);
  EXPECT_EQ(got.events[1].second, big);
  EXPECT_EQ(got.events[2].second, "");
}

TEST(WsFrameParser, ReassemblesFragmentsAroundAPing) {
  WsFrameParser parser(1024);
  Collected got;
  const std::string bytes = ClientFrame(0x1, "hel", false) + ClientFrame(0x9, "p") +
                            ClientFrame(0x0, "lo", false) + ClientFrame(0x0, "!", true);
  EXPECT_EQ(parser.Feed(bytes, got.Sink()), WsParseStatus::kOk);
  ASSERT_EQ(got.events.size(), 2u);
  EXPECT_EQ(got.events[0].first, WsOpcode::kPing);
  EXPECT_EQ(got.events[1].second, "hello!");
}

TEST(WsFrameParser, RejectsProtocolViolations) {
  const std::vector<std::string> bad = {
      std::string("\x81\x05hello", 7),                       // unmasked
      ClientFrame(0x1, "x", true, 0x40),                     // RSV1
      ClientFrame(0x3, "x"),                                 // reserved opcode
      ClientFrame(0x9, std::string(126, 'p')),               // control frame > 125
      ClientFrame(0x9, "p", false),                          // fragmented control frame
      ClientFrame(0x0, "x"),                                 // continuation without a message
      ClientFrame(0x1, "a", false) + ClientFrame(0x1, "b"),  // new message inside one
      ClientFrame(0x1, "\xC3\x28"),                          // invalid UTF-8 text
      ClientFrame(0x8, "\x03"),                              // 1-byte close payload
      ClientFrame(0x8, std::string("\x03\xED", 2)),          // close code 1005 is not for the wire
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    WsFrameParser parser(1024);
    Collected got;
    EXPECT_EQ(parser.Feed(bad[i], got.Sink()), WsParseStatus::kProtocolError) << "case " << i;
  }
}

TEST(WsFrameParser, BinaryNeedNotBeUtf8) {
  WsFrameParser parser(1024);
  Collected got;
  EXPECT_EQ(parser.Feed(ClientFrame(0x2, "\xC3\x28"), got.Sink()), WsParseStatus::kOk);
  EXPECT_EQ(got.events.size(), 1u);
}

TEST(WsFrameParser, RejectsOversizeBeforeBufferingThePayload) {
  WsFrameParser parser(100);
  Collected got;
  const std::string frame = ClientFrame(0x1, std::string(101, 'x'));
  // Only the header is fed: the declared length alone triggers the rejection.
  EXPECT_EQ(parser.Feed(std::string_view(frame).substr(0, 8), got.Sink()),
            WsParseStatus::kTooLarge);
  EXPECT_LT(parser.buffered_bytes(), 20u);
}

TEST(WsFrameParser, BoundsTheAssembledMessageAcrossFragments) {
  WsFrameParser parser(100);
  Collected got;
  const std::string bytes =
      ClientFrame(0x1, std::string(60, 'x'), false) + ClientFrame(0x0, std::string(41, 'y'));
  EXPECT_EQ(parser.Feed(bytes, got.Sink()), WsParseStatus::kTooLarge);
  WsFrameParser exact(100);
  const std::string ok =
      ClientFrame(0x1, std::string(60, 'x'), false) + ClientFrame(0x0, std::string(40, 'y'));
  EXPECT_EQ(exact.Feed(ok, got.Sink()), WsParseStatus::kOk);
  EXPECT_EQ(got.events.back().second.size(), 100u);
}

TEST(WsFrameParser, StopsWhenTheSinkSaysSo) {
  WsFrameParser parser(100);
  int calls = 0;
  const std::string bytes = ClientFrame(0x1, "a") + ClientFrame(0x1, "b");
  EXPECT_EQ(parser.Feed(bytes, [&](const WsFrameEvent&) { return ++calls < 1; }),
            WsParseStatus::kOk);
  EXPECT_EQ(calls, 1);
}

TEST(WsFrameEncoder, UsesTheShortestLengthForm) {
  std::string out;
  AppendWsFrame(out, WsOpcode::kText, std::string(125, 'a'));
  EXPECT_EQ(out.size(), 2u + 125);
  out.clear();
  AppendWsFrame(out, WsOpcode::kText, std::string(126, 'a'));
  EXPECT_EQ(out.size(), 4u + 126);
  out.clear();
  AppendWsFrame(out, WsOpcode::kBinary, std::string(65536, 'a'));
  EXPECT_EQ(out.size(), 10u + 65536);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x82);
}

TEST(WsFrameEncoder, CloseFrameCarriesCodeAndTruncatedReason) {
  std::string out;
  AppendWsCloseFrame(out, 1008, "slow_consumer");
  EXPECT_EQ(out, std::string("\x88\x0F\x03\xF0slow_consumer", 17));
  out.clear();
  AppendWsCloseFrame(out, 1000, std::string(200, 'r'));
  EXPECT_EQ(out.size(), 2u + 125);
}

}  // namespace
}  // namespace filament::http

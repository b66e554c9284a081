#include "adapters/http/request_parser.hpp"

#include <gtest/gtest.h>

namespace filament::http {
namespace {

// Records what the parser reports; can refuse bodies over a size.
class Recorder : public RequestParser::Listener {
 public:
  void OnBegin() override { ++begins; }
  std::optional<Rejection> OnHead(HttpRequest head, const Framing& f) override {
    heads.push_back(std::move(head));
    framing = f;
    if (pause != nullptr) pause->PauseAfterHead();
    return std::nullopt;
  }
  std::optional<Rejection> OnBody(std::string_view bytes) override {
    body.append(bytes);
    if (static_cast<int64_t>(body.size()) > body_cap) {
      return Rejection{JsonErrorResponse(413, "payload_too_large")};
    }
    return std::nullopt;
  }
  int begins = 0;
  std::vector<HttpRequest> heads;
  Framing framing;
  std::string body;
  int64_t body_cap = 1 << 20;
  RequestParser* pause = nullptr;  // set: pause every request after its head
};

// Feeds `bytes` in pieces of `step` bytes until the parser stops; returns bytes consumed.
size_t FeedInSteps(RequestParser& parser, std::string_view bytes, size_t step) {
  size_t used = 0;
  while (used < bytes.size()) {
    const std::string_view piece = bytes.substr(used, std::min(step, bytes.size() - used));
    const size_t n = parser.Feed(piece);
    used += n;
    if (n < piece.size()) break;
  }
  return used;
}

TEST(RequestParser, ReadsTheHeadAndStopsAfterEachRequest) {
  const std::string first =
      "POST http://example.com/a/b?x=1&y HTTP/1.1\r\nHost: h\r\nX-Two:  v  \r\n"
      "Content-Length: 3\r\n\r\nabc";
  const std::string second = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  for (size_t step : {1, 2, 7, 1000}) {
    Recorder recorder;
    RequestParser parser(4096, &recorder);
    EXPECT_EQ(FeedInSteps(parser, first + second, step), first.size()) << step;
    ASSERT_EQ(parser.state(), RequestParser::State::kComplete);
    ASSERT_EQ(recorder.heads.size(), 1u);
    const HttpRequest& head = recorder.heads[0];
    EXPECT_EQ(head.method, "POST");
    EXPECT_EQ(head.path, "/a/b");
    EXPECT_EQ(head.query, "x=1&y");
    EXPECT_EQ(head.Header("x-two"), "v");
    EXPECT_EQ(recorder.framing.content_length, 3);
    EXPECT_EQ(recorder.body, "abc");
    parser.Next();
    EXPECT_EQ(FeedInSteps(parser, second, step), second.size());
    ASSERT_EQ(recorder.heads.size(), 2u);
    EXPECT_EQ(recorder.heads[1].path, "/next");
  }
}

TEST(RequestParser, ChunkedBodiesLoseTheirFramingAndTrailersAreIgnored) {
  Recorder recorder;
  RequestParser parser(4096, &recorder);
  const std::string bytes =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n5;name=v\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n";
  EXPECT_EQ(parser.Feed(bytes), bytes.size());
  EXPECT_EQ(parser.state(), RequestParser::State::kComplete);
  EXPECT_TRUE(recorder.framing.chunked);
  EXPECT_EQ(recorder.body, "Wikipedia");
  EXPECT_FALSE(recorder.heads[0].Header("x-trailer"));
}

TEST(RequestParser, HeadSizeIsCappedBeforeAndAtTheBlankLine) {
  const std::string big = "GET / HTTP/1.1\r\nX: " + std::string(600, 'a') + "\r\n\r\n";
  for (size_t step : {1, 64, 100000}) {
    Recorder recorder;
    RequestParser parser(512, &recorder);
    FeedInSteps(parser, big, step);
    ASSERT_EQ(parser.state(), RequestParser::State::kFailed) << step;
    EXPECT_EQ(parser.failure().response.status, 431);
    EXPECT_TRUE(recorder.heads.empty());
  }
  Recorder recorder;
  RequestParser parser(big.size(), &recorder);  // exactly the cap: accepted
  EXPECT_EQ(parser.Feed(big), big.size());
  EXPECT_EQ(parser.state(), RequestParser::State::kComplete);
}

// Found by tools/fuzz (http_request, corpus crash-431-before-bad-byte): a head already over
// the cap when a malformed byte arrived was 400 when read whole but 431 when a read ended past
// the cap first. Both are now 431, whatever the split.
TEST(RequestParser, HeadOverTheCapIs431EvenWhenAMalformedByteFollows) {
  std::string head = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\nY: a";
  head += '\0';  // not allowed in a field value
  head += "b\r\n\r\n";
  for (size_t step : {1, 7, 64, 100000}) {
    Recorder recorder;
    RequestParser parser(64, &recorder);
    FeedInSteps(parser, head, step);
    ASSERT_EQ(parser.state(), RequestParser::State::kFailed) << step;
    EXPECT_EQ(parser.failure().response.status, 431) << step;
  }
  // Under the cap, the same malformed byte is still 400.
  Recorder recorder;
  RequestParser parser(4096, &recorder);
  FeedInSteps(parser, head, 100000);
  ASSERT_EQ(parser.state(), RequestParser::State::kFailed);
  EXPECT_EQ(parser.failure().response.status, 400);
}

// Found by tools/fuzz (http_request, corpus crash-blank-lines-before-head): blank lines before
// a request counted toward its head size only when they arrived in the same read as the request
// line, so one request was 431 or accepted depending on the split. They never count now.
TEST(RequestParser, BlankLinesBeforeARequestDoNotCountTowardTheHeadCap) {
  const std::string head = "GET / HTTP/1.1\r\nX: " + std::string(40, 'a') + "\r\n\r\n";
  const std::string bytes = std::string(100, '\n') + "\r\n" + head;
  for (size_t step : {1, 7, 64, 100000}) {
    Recorder recorder;
    RequestParser parser(static_cast<int64_t>(head.size()), &recorder);  // exactly the cap
    EXPECT_EQ(FeedInSteps(parser, bytes, step), bytes.size()) << step;
    EXPECT_EQ(parser.state(), RequestParser::State::kComplete) << step;
    EXPECT_EQ(recorder.heads.size(), 1u) << step;
  }
}

// Found by tools/fuzz (http_request, corpus crash-exact-cap-1-byte-reads): the head's size was
// estimated as "bytes up to the last field value + 4", so final CR/LF bytes that arrived in
// earlier reads were counted twice (a head exactly at the cap was 431 when its end came in 1-byte
// reads, accepted whole), a head without fields was undercounted by its version and CRLF, and
// one ending in an empty value overcounted. The size is now the exact byte count through the
// blank line's LF, whatever the split and the line ends.
TEST(RequestParser, HeadExactlyAtTheCapIsAcceptedInEverySplit) {
  const std::string heads[] = {
      "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(40, 'a') + "\r\n\r\n",
      "GET /" + std::string(60, 'p') + " HTTP/1.1\r\n\r\n",            // no fields
      "GET / HTTP/1.1\r\nHost: h\r\nX:\r\n\r\n",                       // the last value empty
      "GET / HTTP/1.1\nHost: h\nX: " + std::string(30, 'a') + "\n\n",  // bare LF line ends
  };
  for (const std::string& head : heads) {
    const auto size = static_cast<int64_t>(head.size());
    for (size_t step : {1, 2, 3, 5, 7, 64, 100000}) {
      Recorder at_cap;
      RequestParser parser(size, &at_cap);
      EXPECT_EQ(FeedInSteps(parser, head, step), head.size()) << head << step;
      EXPECT_EQ(parser.state(), RequestParser::State::kComplete) << head << step;
      Recorder over;
      RequestParser small(size - 1, &over);  // one byte over the cap
      FeedInSteps(small, head, step);
      ASSERT_EQ(small.state(), RequestParser::State::kFailed) << head << step;
      EXPECT_EQ(small.failure().response.status, 431) << head << step;
      EXPECT_TRUE(over.heads.empty()) << head << step;
    }
  }
}

TEST(RequestParser, ListenerRejectionStopsTheBody) {
  Recorder recorder;
  recorder.body_cap = 4;
  RequestParser parser(4096, &recorder);
  parser.Feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
  ASSERT_EQ(parser.state(), RequestParser::State::kFailed);
  EXPECT_EQ(parser.failure().response.status, 413);
}

TEST(RequestParser, ObsFoldIsRefusedAtEverySplit) {
  const std::string bytes = "GET / HTTP/1.1\r\nX-A: one\r\n two\r\nHost: h\r\n\r\n";
  for (size_t step = 1; step <= bytes.size(); ++step) {
    Recorder recorder;
    RequestParser parser(4096, &recorder);
    FeedInSteps(parser, bytes, step);
    ASSERT_EQ(parser.state(), RequestParser::State::kFailed) << step;
    EXPECT_EQ(parser.failure().response.status, 400);
  }
}

// Found by tools/fuzz (http_request, corpus crash-cr-then-any-byte): http_parser (non-strict)
// takes the byte after a CR for the LF, so "Host: \rh" ends its line at "h" and the "\n" after it
// ends the head. The head scan read only a real LF as a line end, ran past the head into the
// pipelined bytes behind it and, when they were in the same read, refused the head for an
// obs-fold in the *next* request (400), while byte-by-byte reads accepted it.
TEST(RequestParser, TheByteAfterACrEndsTheLineInEverySplit) {
  const std::string head = "GET /a HTTP/1.1\r\nHost: \rh\n";
  const std::string next = "X-Next: v\r\n folded\r\n\r\n";
  for (size_t step = 1; step <= head.size() + next.size(); ++step) {
    Recorder recorder;
    RequestParser parser(4096, &recorder);
    EXPECT_EQ(FeedInSteps(parser, head + next, step), head.size()) << step;
    ASSERT_EQ(parser.state(), RequestParser::State::kComplete) << step;
    ASSERT_EQ(recorder.heads.size(), 1u);
    EXPECT_EQ(recorder.heads[0].headers,
              (std::vector<std::pair<std::string, std::string>>{{"host", ""}}));
  }
  // The fold itself is still refused, and a CR followed by a space is a fold.
  for (const std::string& folded : {next, std::string("GET / HTTP/1.1\r\nA: b\rX c\r\n\r\n")}) {
    Recorder recorder;
    RequestParser parser(4096, &recorder);
    parser.Feed(folded.rfind("GET", 0) == 0 ? folded : "GET / HTTP/1.1\r\n" + folded);
    ASSERT_EQ(parser.state(), RequestParser::State::kFailed) << folded;
    EXPECT_EQ(parser.failure().response.status, 400);
  }
}

TEST(RequestParser, LeadingBlankLinesAreNotARequest) {
  Recorder recorder;
  RequestParser parser(4096, &recorder);
  EXPECT_EQ(parser.Feed("\r\n\r\n"), 4u);
  EXPECT_EQ(parser.state(), RequestParser::State::kIdle);
  EXPECT_EQ(recorder.begins, 0);
}

// A paused head consumes no body byte, whatever the feed size; after Resume the body and a
// pipelined request follow intact (streamed uploads are admitted between the two).
TEST(RequestParser, PausesAfterTheHeadUntilResumed) {
  const std::string head = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  const std::string rest = "hello" + std::string("GET /n HTTP/1.1\r\nHost: h\r\n\r\n");
  const std::string none = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n";
  for (const std::string& request : {head + rest, none}) {
    for (size_t step : {1, 3, 1000}) {
      Recorder recorder;
      RequestParser parser(4096, &recorder);
      recorder.pause = &parser;
      size_t used = FeedInSteps(parser, request, step);
      ASSERT_EQ(parser.state(), RequestParser::State::kPaused) << step;
      EXPECT_EQ(recorder.body, "");
      EXPECT_EQ(parser.Feed(std::string_view(request).substr(used)), 0u);  // no progress
      EXPECT_LT(used, request.find("\r\n\r\n") + 4);  // the final LF is left over
      parser.Resume();
      used += FeedInSteps(parser, std::string_view(request).substr(used), step);
      ASSERT_EQ(parser.state(), RequestParser::State::kComplete) << step;
      const bool has_body = request.size() > none.size();
      EXPECT_EQ(recorder.body, has_body ? "hello" : "");
      EXPECT_EQ(request.substr(used), has_body ? "GET /n HTTP/1.1\r\nHost: h\r\n\r\n" : "");
    }
  }
}

}  // namespace
}  // namespace filament::http

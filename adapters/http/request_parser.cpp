#include "adapters/http/request_parser.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <http_parser.h>

#include "core/ascii.hpp"

namespace filament::http {
namespace {

bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

using core::AsciiLower;
using core::TrimOws;

// Splits a request target into path and query (absolute-form reduced to its path).
void SplitTarget(std::string_view target, HttpRequest& out) {
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    const size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const size_t question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
}

}  // namespace

HttpResponse JsonErrorResponse(int status, std::string_view code) {
  return HttpResponse{
      status, std::string(R"({"error":")") + std::string(code) + "\"}", "application/json", {}};
}

struct RequestParser::Impl {
  http_parser parser;
  RequestParser* owner = nullptr;
  Listener* listener = nullptr;
  int64_t max_header_bytes = 0;
  // The head being read.
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string field;
  std::string value;
  bool in_value = false;
  bool bad_field = false;
  // Head size accounting: the head bytes of earlier feeds; this feed's are counted from
  // feed_base to the LF that ends the head (HeadSize).
  int64_t head_bytes_before = 0;
  const char* feed_base = nullptr;
  const char* feed_end = nullptr;
  // The raw head bytes are scanned as they pass: for obs-fold (a line starting with SP or HTAB,
  // which http_parser joins silently) and for the blank line that ends the head.
  const char* scan_from = nullptr;  // head bytes of this feed not yet scanned
  bool last_lf = false;             // the previous byte ended a line
  bool after_cr = false;            // the previous byte was a CR that did not end a line itself
  bool blank_line = false;          // the current line so far is empty or a lone CR
  bool folded = false;

  // Scans one head byte; true when it ends the head: the line end of an empty line. Debian
  // builds http_parser non-strict, where the byte after a CR is taken for the LF whatever it
  // is: "Host: \rX" is a line that ends at X, and a blank line's CR followed by any byte ends
  // the head. (Reading only a real LF as a line end once let the scan run past the head into
  // the next request's bytes, so a feed that held them refused a head that a feed without them
  // accepted; tools/fuzz, http_request.)
  bool ScanByte(char c) {
    const bool lf = c == '\n' || after_cr;
    if (last_lf && !lf && (c == ' ' || c == '\t')) folded = true;
    const bool end = blank_line && lf;
    blank_line = lf || (c == '\r' && last_lf);
    after_cr = !lf && c == '\r';
    last_lf = lf;
    return end;
  }
  void ScanHead(const char* end) {
    if (scan_from == nullptr) scan_from = feed_base;
    for (const char* c = scan_from; c < end; ++c) ScanByte(*c);
    scan_from = std::max(scan_from, end);
  }
  void NoteHead(const char* at, size_t length) { ScanHead(at + length); }
  // From on_headers_complete, where http_parser stands on the head's final byte in this feed:
  // the exact size of the head, request line through that byte, however the reads split it.
  int64_t HeadSize() {
    if (scan_from == nullptr) scan_from = feed_base;
    const char* c = scan_from;
    while (c < feed_end && !ScanByte(*c)) ++c;
    scan_from = std::min(c + 1, feed_end);
    return head_bytes_before + (scan_from - feed_base);
  }
  void FinishField() {
    if (!in_value && field.empty()) return;
    for (unsigned char c : field) bad_field |= !IsTokenChar(c);
    bad_field |= field.empty() || value.find_first_of("\r\n") != std::string::npos;
    headers.emplace_back(AsciiLower(field), std::string(TrimOws(value)));
    field.clear();
    value.clear();
    in_value = false;
  }
  std::optional<Rejection> CheckHead(const HttpRequest& head, const Framing& framing) const;
  static const http_parser_settings& Settings();
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t length);
  static int OnHeaderField(http_parser* p, const char* at, size_t length);
  static int OnHeaderValue(http_parser* p, const char* at, size_t length);
  static int OnBody(http_parser* p, const char* at, size_t length);
  static int OnMessageComplete(http_parser* p);
};

RequestParser::Impl* RequestParser::ImplOf(void* parser) {
  return static_cast<Impl*>(static_cast<http_parser*>(parser)->data);
}

// RFC 9112 §6: the framing decisions http_parser leaves to the server.
std::optional<Rejection> RequestParser::Impl::CheckHead(const HttpRequest& head,
                                                        const Framing& framing) const {
  if (bad_field || folded) return Rejection{JsonErrorResponse(400, "invalid_request")};
  std::vector<std::string> codings;
  bool has_length = false;
  int hosts = 0, authorizations = 0, content_types = 0;  // fields that are never lists
  for (const auto& [name, val] : head.headers) {
    if (name == "content-length") has_length = true;
    hosts += name == "host";
    authorizations += name == "authorization";
    content_types += name == "content-type";
    if (name != "transfer-encoding") continue;
    std::string_view list = val;
    for (;;) {
      const size_t comma = list.find(',');
      codings.push_back(AsciiLower(TrimOws(list.substr(0, comma))));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  if (hosts > 1 || authorizations > 1 || content_types > 1) {
    return Rejection{JsonErrorResponse(400, "invalid_request")};  // RFC 9110 §5.3
  }
  if (!codings.empty() || parser.uses_transfer_encoding) {
    if (has_length || framing.http10) return Rejection{JsonErrorResponse(400, "invalid_request")};
    const auto chunked = std::count(codings.begin(), codings.end(), "chunked");
    for (const std::string& coding : codings) {
      if (coding.empty()) return Rejection{JsonErrorResponse(400, "invalid_request")};
      if (coding != "chunked") return Rejection{JsonErrorResponse(501, "not_implemented")};
    }
    if (chunked != 1) return Rejection{JsonErrorResponse(400, "invalid_request")};
  }
  return std::nullopt;
}

int RequestParser::Impl::OnMessageBegin(http_parser* p) {
  Impl* impl = ImplOf(p);
  impl->owner->state_ = State::kHead;
  impl->listener->OnBegin();
  return 0;
}

int RequestParser::Impl::OnUrl(http_parser* p, const char* at, size_t length) {
  Impl* impl = ImplOf(p);
  if (impl->url.empty()) impl->scan_from = at;  // the head starts here (method: no LF)
  impl->url.append(at, length);
  impl->NoteHead(at, length);
  return 0;
}

int RequestParser::Impl::OnHeaderField(http_parser* p, const char* at, size_t length) {
  Impl* impl = ImplOf(p);
  if (impl->owner->state_ != State::kHead) return 0;  // trailer fields are ignored
  if (impl->in_value) impl->FinishField();
  impl->field.append(at, length);
  impl->NoteHead(at, length);
  return 0;
}

int RequestParser::Impl::OnHeaderValue(http_parser* p, const char* at, size_t length) {
  Impl* impl = ImplOf(p);
  if (impl->owner->state_ != State::kHead) return 0;
  impl->value.append(at, length);
  impl->in_value = true;
  impl->NoteHead(at, length);
  return 0;
}

int RequestParser::Impl::OnBody(http_parser* p, const char* at, size_t length) {
  RequestParser* owner = ImplOf(p)->owner;
  auto rejection = owner->impl_->listener->OnBody(std::string_view(at, length));
  if (!rejection) return 0;
  owner->failure_ = std::move(*rejection);
  return -1;
}

// Pausing here stops the parser right after this request, leaving pipelined bytes unread.
int RequestParser::Impl::OnMessageComplete(http_parser* p) {
  ImplOf(p)->owner->state_ = State::kComplete;
  http_parser_pause(p, 1);
  return 0;
}

const http_parser_settings& RequestParser::Impl::Settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = OnMessageBegin;
    s.on_url = OnUrl;
    s.on_header_field = OnHeaderField;
    s.on_header_value = OnHeaderValue;
    s.on_headers_complete = [](http_parser* p) { return ImplOf(p)->owner->HeadersComplete(); };
    s.on_body = OnBody;
    s.on_message_complete = OnMessageComplete;
    return s;
  }();
  return settings;
}

int RequestParser::HeadersComplete() {
  Impl& impl = *impl_;
  impl.FinishField();
  if (impl.HeadSize() > impl.max_header_bytes) {
    Fail(431, "request_header_fields_too_large");
    return -1;
  }
  const http_parser& p = impl.parser;
  Framing framing;
  framing.chunked = (p.flags & F_CHUNKED) != 0;
  if ((p.flags & F_CONTENTLENGTH) != 0) {
    framing.content_length = static_cast<int64_t>(p.content_length);
  }
  framing.http10 = p.http_major == 1 && p.http_minor == 0;
  framing.keep_alive = http_should_keep_alive(&p) != 0;
  framing.upgrade = p.upgrade != 0;
  framing.head_only = p.method == HTTP_HEAD;
  HttpRequest head;
  head.method = http_method_str(static_cast<http_method>(p.method));
  SplitTarget(impl.url, head);
  head.headers = std::move(impl.headers);
  for (const auto& [name, val] : head.headers) {
    if (name == "expect" && AsciiLower(val) == "100-continue" && !framing.http10) {
      framing.expect_continue = true;
    }
  }
  if (auto rejection = impl.CheckHead(head, framing)) {
    failure_ = std::move(*rejection);
  } else {
    failure_ = impl.listener->OnHead(std::move(head), framing);
  }
  if (failure_) return -1;
  state_ = State::kBody;
  if (pause_requested_) {
    // http_parser stops before the head's final LF and resumes from it (s_headers_done).
    pause_requested_ = false;
    state_ = State::kPaused;
    http_parser_pause(&impl.parser, 1);
  }
  return 0;
}

RequestParser::RequestParser(int64_t max_header_bytes, Listener* listener)
    : impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
  impl_->listener = listener;
  impl_->max_header_bytes = max_header_bytes;
  http_parser_init(&impl_->parser, HTTP_REQUEST);
  impl_->parser.data = impl_.get();
}

RequestParser::~RequestParser() = default;

void RequestParser::Fail(int status, std::string_view code) {
  if (!failure_) failure_ = Rejection{JsonErrorResponse(status, code)};
  state_ = State::kFailed;
}

size_t RequestParser::Feed(std::string_view bytes) {
  // Blank lines before a request (RFC 9112 §2.2 lets a server ignore them) are no part of its
  // head: skipped here, so the head's size never depends on how the reads split them off.
  size_t blank = 0;
  if (state_ == State::kIdle) {
    blank = std::min(bytes.find_first_not_of("\r\n"), bytes.size());
    bytes.remove_prefix(blank);
  }
  return blank + Execute(bytes);
}

size_t RequestParser::Execute(std::string_view bytes) {
  if (state_ == State::kComplete || state_ == State::kFailed || state_ == State::kPaused ||
      bytes.empty()) {
    return 0;
  }
  Impl& impl = *impl_;
  impl.feed_base = bytes.data();
  impl.feed_end = bytes.data() + bytes.size();
  impl.scan_from = state_ == State::kHead ? bytes.data() : bytes.data() + bytes.size();
  const size_t used =
      http_parser_execute(&impl.parser, &Impl::Settings(), bytes.data(), bytes.size());
  const auto error = static_cast<http_errno>(impl.parser.http_errno);
  // Paused at the end of the request, or after the head.
  if (state_ == State::kComplete || state_ == State::kPaused) return used;
  if (error != HPE_OK || failure_) {
    // A head already past the cap when the bad byte came is 431, as it is when the cap is
    // crossed at the end of an earlier read: the answer must not depend on how TCP split it.
    const bool over_cap =
        state_ == State::kHead &&
        impl.head_bytes_before + static_cast<int64_t>(used) > impl.max_header_bytes;
    if (error == HPE_HEADER_OVERFLOW || over_cap) Fail(431, "request_header_fields_too_large");
    Fail(400, "invalid_request");
    return used;
  }
  if (state_ == State::kHead) {
    impl.ScanHead(bytes.data() + used);
    impl.head_bytes_before += static_cast<int64_t>(used);
    if (impl.head_bytes_before > impl.max_header_bytes) {
      Fail(431, "request_header_fields_too_large");
    }
  }
  return used;
}

void RequestParser::Resume() {
  if (state_ != State::kPaused) return;
  state_ = State::kBody;
  http_parser_pause(&impl_->parser, 0);
}

void RequestParser::Next() {
  if (state_ != State::kComplete) return;
  Impl& impl = *impl_;
  impl.url.clear();
  impl.headers.clear();
  impl.field.clear();
  impl.value.clear();
  impl.in_value = false;
  impl.bad_field = false;
  impl.head_bytes_before = 0;
  impl.last_lf = false;
  impl.after_cr = false;
  impl.blank_line = false;
  impl.folded = false;
  state_ = State::kIdle;
  http_parser_pause(&impl.parser, 0);
}

}  // namespace filament::http

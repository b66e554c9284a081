// Fuzz target: gateway ingress envelopes (gateway/envelope.* ParseIngress), the whole input as
// one text frame.
// Invariants: accepted commands respect GATEWAY.md §4 (canonical 26-character ULIDs, content
// <= 2000 bytes and valid UTF-8, <= 5 distinct attachment ids, unknown types match the event
// type pattern); BuildEnvelope of an accepted type gives an envelope ParseIngress reads back.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "gateway/envelope.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

namespace gw = filament::gateway;

void CheckUlid(std::string_view id) {
  FUZZ_CHECK(id.size() == 26);
  for (char c : id) FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'));
}

void Check(const gw::IngressCommand& command) {
  if (const auto* s = std::get_if<gw::SubscribeCommand>(&command)) {
    CheckUlid(s->guild_id);
    CheckUlid(s->channel_id);
  } else if (const auto* m = std::get_if<gw::MessageCreateCommand>(&command)) {
    CheckUlid(m->guild_id);
    CheckUlid(m->channel_id);
    FUZZ_CHECK(m->content.size() <= 2000 && filament::fuzz::ReferenceUtf8(m->content));
    FUZZ_CHECK(m->attachment_ids.size() <= 5);
    FUZZ_CHECK(!m->content.empty() || !m->attachment_ids.empty());
    for (const auto& id : m->attachment_ids) {
      CheckUlid(id);
      FUZZ_CHECK(std::count(m->attachment_ids.begin(), m->attachment_ids.end(), id) == 1);
    }
  } else {
    const auto& u = std::get<gw::UnknownCommand>(command);
    FUZZ_CHECK(gw::IsValidEventType(u.type));
    const auto envelope = gw::BuildEnvelope(u.type, "{}");
    FUZZ_CHECK(envelope.has_value());
    const auto again = gw::ParseIngress(*envelope);
    FUZZ_CHECK(std::holds_alternative<gw::IngressCommand>(again));
    const auto* back = std::get_if<gw::UnknownCommand>(&std::get<gw::IngressCommand>(again));
    FUZZ_CHECK(back != nullptr && back->type == u.type);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const auto parsed = gw::ParseIngress(frame);
  if (const auto* command = std::get_if<gw::IngressCommand>(&parsed)) {
    Check(*command);
  } else {
    FUZZ_CHECK(!gw::RejectionReason(std::get<gw::IngressRejection>(parsed)).empty());
  }
  (void)gw::IsValidEventType(frame);
  return 0;
}

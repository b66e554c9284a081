// Fuzz target: log record decoding shared by both adapters (events/log_record.*
// ParsePosition, PartitionFor) and the generated event payload decoders with their upcasters
// (events/generated DecodeEvent).
// Input: [position text 0xFF][partitions][type selector][schema version][payload...].
// Invariants: a parsed position formats back to the same position; PartitionFor stays in
// range; a decoded event has the requested type, and its re-encoded payload decodes to the
// same event (so no field is lost or altered by a decode/encode cycle).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

namespace ev = filament::events;

template <size_t... I>
constexpr auto TypeNames(std::index_sequence<I...>) {
  return std::array<std::string_view, sizeof...(I)>{
      std::variant_alternative_t<I, ev::Event>::kType...};
}
constexpr auto kTypes = TypeNames(std::make_index_sequence<std::variant_size_v<ev::Event>>());

void CheckPosition(std::string_view text, int32_t partitions) {
  const auto position = ev::ParsePosition(text);
  if (position) FUZZ_CHECK(ev::ParsePosition(ev::FormatPosition(*position)) == position);
  const int32_t p = ev::PartitionFor(text, partitions);
  FUZZ_CHECK(p >= 0 && p < partitions);
}

void CheckEvent(std::string_view type, int32_t version, std::string_view payload) {
  auto event = ev::DecodeEvent(type, version, payload);
  if (!event.ok()) return;
  FUZZ_CHECK(ev::TypeOf(*event) == type);
  const std::string encoded = ev::EncodePayload(*event);
  auto again = ev::DecodeEvent(type, ev::SchemaVersionOf(*event), encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *event);
  FUZZ_CHECK(ev::EncodePayload(*again) == encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  filament::fuzz::InputReader in(data, size);
  const std::string_view position = in.Until('\xFF');
  const int32_t partitions = 1 + in.Byte() % 64;
  CheckPosition(position, partitions);
  const uint8_t selector = in.Byte();
  // Mostly a known type; sometimes the raw position text, to reach the unknown-type path.
  const std::string_view type = selector == 0xFF ? position : kTypes[selector % kTypes.size()];
  const int32_t version = static_cast<int32_t>(static_cast<int8_t>(in.Byte()));
  CheckEvent(type, version, in.Rest());
  return 0;
}

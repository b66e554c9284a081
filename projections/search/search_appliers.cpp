#include "projections/search/search_appliers.hpp"

#include <variant>

#include "projections/decode_record.hpp"

namespace filament::projections {
namespace {

core::Status Posted(search::SearchIndex& index, const events::MessagePosted& e) {
  return index.Upsert(search::MessageDoc{e.message_id, e.guild_id, e.channel_id, e.content});
}

// Only the new words are findable afterwards. An edit of a message the index does not hold
// (impossible in a consistent log) changes nothing.
core::Status Edited(search::SearchIndex& index, const events::MessageEdited& e) {
  auto edited = index.ReplaceContent(e.message_id, e.content);
  return edited.ok() ? core::OkStatus() : core::Status(edited.error());
}

core::Status Deleted(search::SearchIndex& index, const events::MessageDeleted& e) {
  auto removed = index.Remove(e.message_id);
  return removed.ok() ? core::OkStatus() : core::Status(removed.error());
}

template <typename E>
core::Status Dispatch(search::SearchIndex& index, const events::Event& event,
                      core::Status (*apply)(search::SearchIndex&, const E&)) {
  const auto* e = std::get_if<E>(&event);
  if (e == nullptr) return core::Internal("search: decoded event has an unexpected type");
  return apply(index, *e);
}

struct Entry {
  std::string_view type;
  core::Status (*apply)(search::SearchIndex&, const events::Event&);
};

constexpr Entry kAppliers[] = {
    {events::MessagePosted::kType,
     [](search::SearchIndex& i, const events::Event& e) { return Dispatch(i, e, &Posted); }},
    {events::MessageEdited::kType,
     [](search::SearchIndex& i, const events::Event& e) { return Dispatch(i, e, &Edited); }},
    {events::MessageDeleted::kType,
     [](search::SearchIndex& i, const events::Event& e) { return Dispatch(i, e, &Deleted); }},
};

const Entry* Find(std::string_view type) {
  for (const Entry& entry : kAppliers) {
    if (entry.type == type) return &entry;
  }
  return nullptr;
}

}  // namespace

bool SearchHandles(std::string_view type) { return Find(type) != nullptr; }

core::Status ApplyToSearchIndex(search::SearchIndex& index, const events::StoredRecord& record) {
  const Entry* entry = Find(record.record.meta.type);
  if (entry == nullptr) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  return entry->apply(index, *event);
}

}  // namespace filament::projections

#pragma once

#include <memory>
#include <string>

#include "adapters/search/search_index.hpp"
#include "core/result.hpp"

namespace filament::search {

// A message analyzed for the index: its words (lower-cased, with positions), its id, guild and
// channel terms and its stored data, ready for SearchIndex::Upsert. Analysis is a sixth of the
// writer's work per message (ADR 0047); a DocAnalyzer on another thread takes it off the
// single writer. Move-only; may be handed to another thread (not shared between threads).
class AnalyzedDoc {
 public:
  AnalyzedDoc(AnalyzedDoc&&) noexcept;
  AnalyzedDoc& operator=(AnalyzedDoc&&) noexcept;
  ~AnalyzedDoc();

  const std::string& message_id() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  friend class DocAnalyzer;
  explicit AnalyzedDoc(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Builds AnalyzedDocs with the index's analyzer. Independent of any index; not thread-safe
// (one per thread).
class DocAnalyzer {
 public:
  DocAnalyzer();
  ~DocAnalyzer();
  DocAnalyzer(const DocAnalyzer&) = delete;
  DocAnalyzer& operator=(const DocAnalyzer&) = delete;

  // Errors: kInternal (Xapian failed).
  core::Result<AnalyzedDoc> Analyze(const MessageDoc& doc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::search

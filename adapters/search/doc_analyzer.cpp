// DocAnalyzer: a message → its Xapian document (the analyzer of docs/adr/0016-search-index.md).

#include "adapters/search/doc_analyzer.hpp"

#include "adapters/search/xapian_internal.hpp"

namespace filament::search {

struct DocAnalyzer::Impl {
  Xapian::TermGenerator generator;
};

AnalyzedDoc::AnalyzedDoc(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AnalyzedDoc::AnalyzedDoc(AnalyzedDoc&&) noexcept = default;
AnalyzedDoc& AnalyzedDoc::operator=(AnalyzedDoc&&) noexcept = default;
AnalyzedDoc::~AnalyzedDoc() = default;

const std::string& AnalyzedDoc::message_id() const { return impl_->message_id; }

DocAnalyzer::DocAnalyzer() : impl_(std::make_unique<Impl>()) {
  ConfigureTermGenerator(impl_->generator);
}

DocAnalyzer::~DocAnalyzer() = default;

core::Result<AnalyzedDoc> DocAnalyzer::Analyze(const MessageDoc& m) {
  auto analyzed = std::make_unique<AnalyzedDoc::Impl>();
  analyzed->message_id = m.message_id;
  try {
    Xapian::Document& doc = analyzed->doc;
    doc.set_data(EncodeDocData(m.message_id));
    doc.add_boolean_term(kIdPrefix + m.message_id);
    doc.add_boolean_term(kGuildPrefix + m.guild_id);
    doc.add_boolean_term(kChannelPrefix + m.channel_id);
    impl_->generator.set_document(doc);
    impl_->generator.index_text(m.content);
    // The generator holds a reference to the document, and Xapian's reference counts are not
    // atomic: let go of it before the document may move to another thread.
    impl_->generator.set_document(Xapian::Document());
  } catch (const Xapian::Error& e) {
    impl_->generator.set_document(Xapian::Document());
    return core::Internal("search index: analyze " + m.message_id + ": " + e.get_description());
  }
  return AnalyzedDoc(std::move(analyzed));
}

}  // namespace filament::search

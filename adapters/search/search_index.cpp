#include "adapters/search/search_index.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include "adapters/search/xapian_internal.hpp"

namespace filament::search {
namespace {

core::Error XapianFailure(const std::string& what, const Xapian::Error& e) {
  return core::Internal("search index: " + what + ": " + e.get_description());
}

core::Error ReadOnly() {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, "search index opened read-only");
}

core::Error WrongFormat(const std::string& dir, const std::string& found) {
  return core::MakeError(core::ErrorCode::kFailedPrecondition,
                         "search index " + dir + " has format '" + found +
                             "', this build writes '" + kFormatVersion + "': rebuild it",
                         "search_index_format");
}

std::string IdTerm(std::string_view message_id) { return kIdPrefix + std::string(message_id); }

Xapian::Document MakeDocument(const MessageDoc& m, Xapian::TermGenerator& generator) {
  Xapian::Document doc;
  doc.set_data(EncodeDocData(m.message_id));
  doc.add_boolean_term(IdTerm(m.message_id));
  doc.add_boolean_term(kGuildPrefix + m.guild_id);
  doc.add_boolean_term(kChannelPrefix + m.channel_id);
  generator.set_document(doc);
  generator.index_text(m.content);
  return doc;
}

// The value of the document's boolean term with `prefix` (a capital letter: content terms are
// lower-cased, so no content term starts with one).
std::optional<std::string> BooleanTerm(const Xapian::Document& doc, const std::string& prefix) {
  auto term = doc.termlist_begin();
  term.skip_to(prefix);
  if (term == doc.termlist_end() || (*term).rfind(prefix, 0) != 0) return std::nullopt;
  return (*term).substr(prefix.size());
}

// A stored document's message, guild and channel (content left empty).
std::optional<MessageDoc> StoredFields(const Xapian::Document& doc, std::string_view message_id) {
  auto guild = BooleanTerm(doc, kGuildPrefix);
  auto channel = BooleanTerm(doc, kChannelPrefix);
  if (!guild || !channel) return std::nullopt;
  return MessageDoc{std::string(message_id), std::move(*guild), std::move(*channel), {}};
}

// Checks the format of an opened database and reads its position. A brand-new writable
// database (no format, no documents) is stamped with the current format.
core::Result<std::vector<int64_t>> CheckFormat(Xapian::Database& db, const std::string& dir,
                                               Xapian::WritableDatabase* writer) {
  std::string format = db.get_metadata(kFormatKey);
  if (format.empty() && db.get_doccount() == 0 && db.get_metadata(kPositionKey).empty()) {
    if (writer == nullptr) return std::vector<int64_t>{};
    writer->set_metadata(kFormatKey, kFormatVersion);
    writer->commit();
    return std::vector<int64_t>{};
  }
  if (format != kFormatVersion) return WrongFormat(dir, format);
  auto position = DecodePosition(db.get_metadata(kPositionKey));
  if (!position) return core::Internal("search index " + dir + ": unreadable position");
  return *position;
}

int WriterFlags(bool fsync) {
  return Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS | (fsync ? 0 : Xapian::DB_NO_SYNC);
}

core::Status SyncPath(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return core::Internal("search index: open " + path.string() + " for fsync failed");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return core::Internal("search index: fsync " + path.string() + " failed");
  return core::OkStatus();
}

// fsyncs every file of the index (the version file, which names the tables' roots, last),
// then the directory: afterwards the last commit survives an OS crash.
core::Status SyncDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec) return core::Internal("search index: list " + dir + ": " + ec.message());
  std::stable_partition(files.begin(), files.end(),
                        [](const fs::path& p) { return p.filename() != "iamglass"; });
  for (const auto& file : files) FILAMENT_RETURN_IF_ERROR(SyncPath(file, O_RDONLY));
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

core::Result<std::unique_ptr<SearchIndex::Impl>> OpenImpl(const std::string& dir,
                                                          SearchIndex::Mode mode, bool fsync) {
  auto impl = std::make_unique<SearchIndex::Impl>(dir, mode);
  ConfigureTermGenerator(impl->generator);
  try {
    if (mode == SearchIndex::Mode::kReadWrite) {
      std::filesystem::create_directories(dir);
      impl->fsync = fsync;
      impl->writer = std::make_unique<Xapian::WritableDatabase>(dir, WriterFlags(fsync));
      auto position = CheckFormat(*impl->writer, dir, impl->writer.get());
      if (!position.ok()) return position.error();
      impl->position = std::move(*position);
    } else {
      Xapian::Database db(dir, Xapian::DB_BACKEND_GLASS);
      auto position = CheckFormat(db, dir, nullptr);
      if (!position.ok()) return position.error();
      impl->position = std::move(*position);
    }
  } catch (const Xapian::DatabaseLockError& e) {
    return core::Unavailable("search index " + dir + " is locked: " + e.get_description());
  } catch (const Xapian::DatabaseOpeningError& e) {
    if (mode == SearchIndex::Mode::kReadOnly) return core::NotFound("no search index in " + dir);
    return XapianFailure("open " + dir, e);
  } catch (const Xapian::Error& e) {
    return XapianFailure("open " + dir, e);
  } catch (const std::filesystem::filesystem_error& e) {
    return core::Internal("search index: create " + dir + ": " + e.what());
  }
  return impl;
}

}  // namespace

core::Result<std::unique_ptr<SearchIndex>> SearchIndex::Open(const std::string& dir, Mode mode,
                                                             bool fsync) {
  auto impl = OpenImpl(dir, mode, fsync);
  if (!impl.ok()) return impl.error();
  return std::unique_ptr<SearchIndex>(new SearchIndex(std::move(*impl)));
}

SearchIndex::SearchIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SearchIndex::~SearchIndex() {
  // Uncommitted changes are dropped, never committed by the destructor.
  Discard();
}

const std::string& SearchIndex::Dir() const { return impl_->dir; }

core::Status SearchIndex::Upsert(const MessageDoc& doc) {
  if (!impl_->writer) return ReadOnly();
  try {
    if (!impl_->in_transaction) impl_->writer->begin_transaction(true);
    impl_->in_transaction = true;
    impl_->writer->replace_document(IdTerm(doc.message_id), MakeDocument(doc, impl_->generator));
  } catch (const Xapian::Error& e) {
    return XapianFailure("upsert " + doc.message_id, e);
  }
  return core::OkStatus();
}

core::Result<bool> SearchIndex::ReplaceContent(std::string_view message_id,
                                               std::string_view content) {
  if (!impl_->writer) return ReadOnly();
  try {
    Xapian::WritableDatabase& db = *impl_->writer;
    auto posting = db.postlist_begin(IdTerm(message_id));
    if (posting == db.postlist_end(IdTerm(message_id))) return false;
    auto fields = StoredFields(db.get_document(*posting), message_id);
    if (!fields)
      return core::Internal("search index: unreadable document " + std::string(message_id));
    fields->content = std::string(content);
    FILAMENT_RETURN_IF_ERROR(Upsert(*fields));
    return true;
  } catch (const Xapian::Error& e) {
    return XapianFailure("edit " + std::string(message_id), e);
  }
}

core::Result<bool> SearchIndex::Remove(std::string_view message_id) {
  if (!impl_->writer) return ReadOnly();
  try {
    if (!impl_->writer->term_exists(IdTerm(message_id))) return false;
    if (!impl_->in_transaction) impl_->writer->begin_transaction(true);
    impl_->in_transaction = true;
    impl_->writer->delete_document(IdTerm(message_id));
    return true;
  } catch (const Xapian::Error& e) {
    return XapianFailure("remove " + std::string(message_id), e);
  }
}

core::Status SearchIndex::Commit(const std::vector<int64_t>& next_offsets) {
  if (!impl_->writer) return ReadOnly();
  try {
    if (!impl_->in_transaction) impl_->writer->begin_transaction(true);
    impl_->in_transaction = true;
    impl_->writer->set_metadata(kPositionKey, EncodePosition(next_offsets));
    impl_->writer->commit_transaction();
    impl_->in_transaction = false;
  } catch (const Xapian::Error& e) {
    // A failed commit_transaction ends the transaction with nothing applied.
    impl_->in_transaction = false;
    return XapianFailure("commit", e);
  }
  {
    std::lock_guard lock(impl_->position_mu);
    impl_->position = next_offsets;
  }
  impl_->readers.Invalidate();
  return core::OkStatus();
}

void SearchIndex::Discard() {
  if (!impl_->writer || !impl_->in_transaction) return;
  impl_->in_transaction = false;
  try {
    impl_->writer->cancel_transaction();
  } catch (const Xapian::Error&) {
    // cancel_transaction cancels even when it throws; nothing else to undo.
  }
}

core::Status SearchIndex::StartSyncing() {
  if (!impl_->writer) return ReadOnly();
  if (impl_->fsync) return core::OkStatus();
  Discard();
  try {
    impl_->writer.reset();  // releases the lock; the directory is not live yet, no one waits
    FILAMENT_RETURN_IF_ERROR(SyncDir(impl_->dir));
    impl_->writer = std::make_unique<Xapian::WritableDatabase>(impl_->dir, WriterFlags(true));
  } catch (const Xapian::DatabaseLockError& e) {
    return core::Unavailable("search index " + impl_->dir + " is locked: " + e.get_description());
  } catch (const Xapian::Error& e) {
    return XapianFailure("reopen " + impl_->dir, e);
  }
  impl_->fsync = true;
  return core::OkStatus();
}

std::vector<int64_t> SearchIndex::Position() const {
  std::lock_guard lock(impl_->position_mu);
  return impl_->position;
}

core::Result<std::vector<std::string>> SearchIndex::Query(const SearchRequest& request) const {
  std::vector<std::string> ids;
  auto status = impl_->readers.With([&](Xapian::Database& db) -> core::Status {
    // The budget is the query's own work: it starts once the handle sees the latest commit, so
    // a slow open or reopen (a busy disk) does not turn a one-word query into a 400.
    const auto deadline = std::chrono::steady_clock::now() + request.budget;
    auto found = RunQuery(db, request, deadline);
    if (!found.ok()) return found.error();
    ids = std::move(*found);
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return ids;
}

core::Result<std::vector<std::string>> SearchIndex::GuildMessageIds(std::string_view guild_id,
                                                                    size_t max) const {
  std::vector<std::string> ids;
  auto status = impl_->readers.With([&](Xapian::Database& db) -> core::Status {
    ids.clear();
    const std::string term = kGuildPrefix + std::string(guild_id);
    if (db.get_termfreq(term) > max) {
      return core::MakeError(core::ErrorCode::kResourceExhausted,
                             "guild has more than " + std::to_string(max) + " indexed messages");
    }
    for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it) {
      auto id = DecodeDocData(db.get_document(*it).get_data());
      if (!id) return core::Internal("search index: unreadable document");
      ids.push_back(std::move(*id));
    }
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  std::sort(ids.begin(), ids.end());
  return ids;
}

core::Result<uint64_t> SearchIndex::DocumentCount() const {
  uint64_t count = 0;
  auto status = impl_->readers.With([&](Xapian::Database& db) -> core::Status {
    count = db.get_doccount();
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return count;
}

core::Status RemoveIndexDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return core::Internal("remove " + dir + ": " + ec.message());
  return core::OkStatus();
}

std::string EncodePosition(const std::vector<int64_t>& next_offsets) {
  std::string out;
  for (size_t p = 0; p < next_offsets.size(); ++p) {
    if (p > 0) out += ',';
    out += std::to_string(next_offsets[p]);
  }
  return out;
}

std::optional<std::vector<int64_t>> DecodePosition(const std::string& text) {
  std::vector<int64_t> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(',', start), text.size());
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + end, value);
    if (ec != std::errc() || ptr != text.data() + end || value < 0) return std::nullopt;
    out.push_back(value);
    start = end + 1;
  }
  return out;
}

}  // namespace filament::search

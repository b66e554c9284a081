// The read side of SearchIndex: leased read handles, stored fields, digests for `--check`.

#include <array>
#include <cstring>

#include "adapters/search/xapian_internal.hpp"
#include "core/ulid.hpp"

namespace filament::search {
namespace {

constexpr int kModifiedRetries = 3;

// FNV-1a, 64 bit: stable across builds and machines (std::hash is not).
class Fnv {
 public:
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= 1099511628211ULL;
    }
    AddSeparator();
  }
  void Add(uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      hash_ ^= (value >> (8 * i)) & 0xFF;
      hash_ *= 1099511628211ULL;
    }
  }
  uint64_t Value() const { return hash_; }

 private:
  void AddSeparator() {
    hash_ ^= 0xFF;
    hash_ *= 1099511628211ULL;
  }
  uint64_t hash_ = 14695981039346656037ULL;
};

uint64_t FingerprintDocument(const Xapian::Document& doc) {
  Fnv fnv;
  fnv.Add(doc.get_data());
  for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term) {
    fnv.Add(*term);
    fnv.Add(static_cast<uint64_t>(term.get_wdf()));
    for (auto pos = term.positionlist_begin(); pos != term.positionlist_end(); ++pos) {
      fnv.Add(static_cast<uint64_t>(*pos));
    }
  }
  return fnv.Value();
}

}  // namespace

void ConfigureTermGenerator(Xapian::TermGenerator& generator) {
  // No stemmer and no stopper: words are matched as written, lower-cased (TermGenerator's
  // default). CJK runs become unigrams + bigrams so that text without spaces is searchable.
  generator.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
}

std::string EncodeDocData(std::string_view message_id) {
  // 17 bytes for a ULID: under glass's 18-byte threshold, so the tag is stored without a zlib
  // pass (ADR 0045). Any other id is kept as text.
  if (auto ulid = core::Ulid::Parse(message_id); ulid && ulid->ToString() == message_id) {
    std::string data(1, kUlidData);
    data.append(reinterpret_cast<const char*>(ulid->bytes().data()), ulid->bytes().size());
    return data;
  }
  return kTextData + std::string(message_id);
}

std::optional<std::string> DecodeDocData(std::string_view data) {
  if (data.empty()) return std::nullopt;
  if (data[0] == kTextData) return std::string(data.substr(1));
  if (data[0] != kUlidData || data.size() != 17) return std::nullopt;
  uint64_t unix_ms = 0;
  for (size_t i = 1; i <= 6; ++i) unix_ms = (unix_ms << 8) | static_cast<uint8_t>(data[i]);
  std::array<uint8_t, 10> random{};
  std::memcpy(random.data(), data.data() + 7, random.size());
  return core::Ulid::FromParts(unix_ms, random).ToString();
}

ReaderPool::Handle ReaderPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      Handle handle = std::move(free_.back());
      free_.pop_back();
      return handle;
    }
  }
  // Read the generation before opening: a commit in between then only costs a reopen.
  const uint64_t generation = generation_.load();
  return Handle{std::make_unique<Xapian::Database>(dir_, Xapian::DB_BACKEND_GLASS), generation};
}

void ReaderPool::Release(Handle handle) {
  std::lock_guard lock(mu_);
  free_.push_back(std::move(handle));
}

core::Status ReaderPool::With(const std::function<core::Status(Xapian::Database&)>& fn) {
  try {
    Handle handle = Acquire();
    for (int attempt = 0;; ++attempt) {
      try {
        uint64_t current = generation_.load();
        if (handle.generation != current || always_reopen_) {
          handle.db->reopen();
          handle.generation = current;
        }
        auto status = fn(*handle.db);
        Release(std::move(handle));
        return status;
      } catch (const Xapian::DatabaseModifiedError&) {
        // The revision we read was replaced by two later commits: read the newest.
        if (attempt + 1 >= kModifiedRetries) throw;
        handle.db->reopen();
      }
    }
  } catch (const Xapian::Error& e) {
    return core::Internal("search index: read: " + e.get_description());
  }
}

core::Result<Fingerprints> FingerprintAll(ReaderPool& readers, std::vector<int64_t>* position) {
  Fingerprints out;
  auto status = readers.With([&](Xapian::Database& db) -> core::Status {
    out.clear();
    if (position != nullptr) {
      auto decoded = DecodePosition(db.get_metadata(kPositionKey));
      if (!decoded) return core::Internal("search index: unreadable position");
      *position = std::move(*decoded);
    }
    for (auto term = db.allterms_begin(kIdPrefix); term != db.allterms_end(kIdPrefix); ++term) {
      auto posting = db.postlist_begin(*term);
      if (posting == db.postlist_end(*term)) continue;
      out.emplace_back((*term).substr(1), FingerprintDocument(db.get_document(*posting)));
    }
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return out;
}

core::Result<IndexDigest> SearchIndex::Digest() const {
  IndexDigest digest;
  auto prints = FingerprintAll(impl_->readers, &digest.position);
  if (!prints.ok()) return prints.error();
  Fnv fnv;
  for (const auto& [id, print] : *prints) {
    fnv.Add(id);
    fnv.Add(print);
  }
  digest.documents = prints->size();
  digest.hash = fnv.Value();
  return digest;
}

core::Result<std::vector<std::string>> SearchIndex::DiffDocuments(const SearchIndex& other,
                                                                  size_t max) const {
  auto mine = FingerprintAll(impl_->readers);
  if (!mine.ok()) return mine.error();
  auto theirs = FingerprintAll(other.impl_->readers);
  if (!theirs.ok()) return theirs.error();
  std::vector<std::string> differ;
  size_t a = 0;
  size_t b = 0;
  while ((a < mine->size() || b < theirs->size()) && differ.size() < max) {
    if (b == theirs->size() || (a < mine->size() && (*mine)[a].first < (*theirs)[b].first)) {
      differ.push_back((*mine)[a++].first);
    } else if (a == mine->size() || (*theirs)[b].first < (*mine)[a].first) {
      differ.push_back((*theirs)[b++].first);
    } else {
      if ((*mine)[a].second != (*theirs)[b].second) differ.push_back((*mine)[a].first);
      ++a;
      ++b;
    }
  }
  return differ;
}

}  // namespace filament::search

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

// The BlobStore port (DESIGN.md §2, ADR 0013): avatars, banners and attachments live outside
// the log in a store that every process of a deployment reaches; the log records only their
// metadata. Standard library only, so the command side and the API can both name it without
// linking any I/O library. Adapters: pgstore::PgBlobStore (PostgreSQL, the default for every
// deployment) and core::InMemoryBlobStore (tests).
namespace filament::core {

// What a store knows about one object besides its bytes.
struct BlobInfo {
  int64_t size = 0;        // bytes
  std::string sha256_hex;  // SHA-256 of the bytes, 64 lower-case hex characters
  std::string mime_type;   // the sniffed MIME essence recorded at upload ("image/png")
};

// A sequential source of bytes. Not thread-safe: one reader per caller.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Copies the next bytes into `buffer` (at most buffer.size()) and returns how many were
  // copied; 0 only at the end of the data (or when buffer is empty). Errors are the
  // implementation's (documented there); after an error the source must not be read again.
  virtual Result<size_t> Read(std::span<char> buffer) = 0;
};

// The bytes of one stored object, read in pieces, plus its metadata as of BlobStore::Open.
class BlobReader : public ByteSource {
 public:
  virtual const BlobInfo& info() const = 0;
};

// Keys name objects: 1..128 bytes of [A-Za-z0-9._-] in '/'-separated non-empty segments, none
// of them "." or "..". The helpers below build the keys of the contract's three kinds; ids are
// ULIDs, already validated by the caller (the key check rejects anything else unsafe).
inline constexpr size_t kMaxBlobKeyBytes = 128;
bool IsValidBlobKey(std::string_view key);
std::string AvatarBlobKey(std::string_view user_id);            // "avatars/<user_id>"
std::string BannerBlobKey(std::string_view user_id);            // "banners/<user_id>"
std::string AttachmentBlobKey(std::string_view attachment_id);  // "attachments/<id>"

// True for 64 lower-case hex characters (the form BlobInfo::sha256_hex must take).
bool IsSha256Hex(std::string_view text);

// Checks the arguments of BlobStore::Put (key form, size >= 0, sha256 form, MIME 1..255
// printable ASCII bytes without spaces). For adapters. Errors: kInvalidArgument.
Status ValidateBlobPut(std::string_view key, const BlobInfo& expected);

// Stores immutable objects by key. Implementations are thread-safe: any method may be called
// concurrently from any thread, on the same key too. Every method is atomic: a concurrent or
// later reader sees an object either wholly (bytes and info of one Put) or not at all, also
// after the writing process is killed (kill -9) at any moment.
//
// Errors common to every method:
//   kInvalidArgument    the key (or `expected`) is malformed — a bug in the caller;
//   kUnavailable        the backing service is unreachable; retry the same call (every method
//                       is idempotent, see below);
//   kInternal           anything else (SQL error, I/O error); retrying will likely not help.
class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores the bytes of `source` under `key`, replacing any object already there in the same
  // atomic step (the fixed-key avatar/banner case): readers see the old object or the new one,
  // never a mix and never nothing. `source` is read to its end; it must yield exactly
  // `expected.size` bytes whose SHA-256 is `expected.sha256_hex`, else nothing is stored and
  // the result is kInternal (the spool and the store disagree: a server bug or a corrupted
  // temp file). `expected.mime_type` is stored as given (1..255 printable ASCII bytes).
  // Errors of `source` are returned unchanged. Idempotent: repeating a Put with the same bytes
  // leaves the same object, so a Put that failed with kUnavailable (even during commit, when
  // it may or may not have happened) is safely retried with a fresh source.
  // Cost: memory bounded by one chunk of the adapter (PgBlobStore: 256 KiB, about 3x that in
  // transient library buffers), whatever the object size.
  virtual Status Put(std::string_view key, ByteSource& source, const BlobInfo& expected) = 0;

  // Opens the object under `key` for reading. The reader reports the info of the object as
  // it was at Open and yields exactly info().size bytes. Errors: kNotFound (no such key).
  // Reader errors: kAborted when the object was replaced or deleted after Open (the reader
  // never mixes two objects: re-Open and start again), kUnavailable, kInternal.
  // The reader holds no connection or lock between Read calls, so a slow consumer costs the
  // store nothing. It may be used from another thread than the one that opened it (one thread
  // at a time). The store must outlive its readers.
  virtual Result<std::unique_ptr<BlobReader>> Open(std::string_view key) = 0;

  // The info of the object under `key`, without its bytes. Errors: kNotFound.
  virtual Result<BlobInfo> Stat(std::string_view key) = 0;

  // Removes the object under `key` and frees its space for reuse. Idempotent: deleting an
  // absent key succeeds. A reader opened before the delete fails with kAborted on its next
  // piece (or finishes, if it already holds the last one).
  virtual Status Delete(std::string_view key) = 0;

  // One page of keys, for sweeping orphans (ADR 0042): those starting with `prefix` and sorting
  // after `after` (byte order) whose object was stored — put, or last replaced — at least
  // `min_age_secs` seconds ago by the store's clock; at most `limit`, in key order. Continue
  // with `after` = the last key returned; a page shorter than `limit` is the last. Not a
  // snapshot: keys stored or deleted meanwhile may or may not appear.
  virtual Result<std::vector<std::string>> ListStale(std::string_view prefix, int64_t min_age_secs,
                                                     std::string_view after, size_t limit) = 0;
};

// Reads the whole object under `key` into one string (and its info into `*info` when not
// null), re-opening up to 3 times when it is replaced mid-read (kAborted). Errors: as Open and
// BlobReader::Read; kResourceExhausted when the object is larger than `max_bytes`.
// Cost: one allocation of the object's size plus the adapter's per-piece buffer. For callers
// that must hand a whole body to a transport; a streaming transport should use Open instead.
Result<std::string> ReadWholeBlob(BlobStore& store, std::string_view key, int64_t max_bytes,
                                  BlobInfo* info = nullptr);

// A ByteSource over bytes owned by the caller (tests, small in-memory bodies).
class StringByteSource final : public ByteSource {
 public:
  explicit StringByteSource(std::string_view bytes) : bytes_(bytes) {}
  Result<size_t> Read(std::span<char> buffer) override;

 private:
  std::string_view bytes_;
  size_t offset_ = 0;
};

}  // namespace filament::core

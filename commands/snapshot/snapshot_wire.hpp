#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

// The primitives of the snapshot encoding (ADR 0078): LEB128 varints (signed ones zigzag),
// strings as varint length + bytes. SnapshotReader is strict and bounded: every read checks
// the bytes left, a length or count above what is left (or above its limit) is refused before
// anything is allocated, and the first failure sticks (later reads return zero values).
namespace filament::commands::snapshot {

class SnapshotWriter {
 public:
  void U64(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I64(int64_t v) { U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void OptStr(const std::optional<std::string>& s) {
    Bool(s.has_value());
    if (s) Str(*s);
  }
  void OptI64(const std::optional<int64_t>& v) {
    Bool(v.has_value());
    if (v) I64(*v);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class SnapshotReader {
 public:
  static constexpr uint64_t kMaxString = 1u << 20;

  explicit SnapshotReader(std::string_view in) : in_(in) {}

  uint64_t U64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1, "varint")) return 0;
      const auto byte = static_cast<uint8_t>(in_[at_++]);
      if (shift == 63 && byte > 1) return Fail("varint overflow"), 0;
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return Fail("varint too long"), 0;
  }
  int64_t I64() {
    const uint64_t z = U64();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  bool Bool() {
    if (!Need(1, "bool")) return false;
    const auto byte = static_cast<uint8_t>(in_[at_++]);
    if (byte > 1) Fail("bool out of range");
    return byte == 1;
  }
  std::string Str() {
    const uint64_t size = U64();
    if (size > kMaxString) return Fail("string too long"), std::string();
    if (!Need(size, "string")) return std::string();
    std::string s(in_.substr(at_, size));
    at_ += size;
    return s;
  }
  // A string as a view into the input (no copy), with Str()'s bounds.
  std::string_view View() {
    const uint64_t size = U64();
    if (size > kMaxString) return Fail("string too long"), std::string_view();
    if (!Need(size, "string")) return {};
    const std::string_view v = in_.substr(at_, size);
    at_ += size;
    return v;
  }
  // The next `n` bytes as a view into the input.
  std::string_view Fixed(size_t n) {
    if (!Need(n, "bytes")) return {};
    const std::string_view v = in_.substr(at_, n);
    at_ += n;
    return v;
  }
  // A length-prefixed run of bytes as a view into the input (no copy; bounded by the input).
  std::string_view Bytes() {
    const uint64_t size = U64();
    if (!Need(size, "bytes")) return {};
    const std::string_view v = in_.substr(at_, size);
    at_ += size;
    return v;
  }
  std::optional<std::string> OptStr() {
    if (!Bool()) return std::nullopt;
    return Str();
  }
  std::optional<int64_t> OptI64() {
    if (!Bool()) return std::nullopt;
    return I64();
  }
  // A container's element count: each element takes at least one byte, so a count above the
  // bytes left (or above `limit`) is corrupt.
  uint64_t Count(uint64_t limit = UINT64_MAX) {
    const uint64_t n = U64();
    if (n > limit || n > in_.size() - at_) return Fail("count out of range"), 0;
    return n;
  }
  // Marks the input corrupt (the first message is kept).
  void Fail(const std::string& what) {
    if (error_.empty()) error_ = what + " at byte " + std::to_string(at_);
    at_ = in_.size();
  }
  bool ok() const { return error_.empty(); }
  bool AtEnd() const { return at_ == in_.size(); }
  const std::string& error() const { return error_; }

 private:
  bool Need(uint64_t n, const char* what) {
    if (!error_.empty()) return false;
    if (n > in_.size() - at_) return Fail(std::string("truncated ") + what), false;
    return true;
  }

  std::string_view in_;
  size_t at_ = 0;
  std::string error_;
};

// The entries of an unordered map in key order: equal states encode to equal bytes.
template <typename Map>
std::vector<typename Map::const_pointer> Sorted(const Map& map) {
  std::vector<typename Map::const_pointer> out;
  out.reserve(map.size());
  for (const auto& entry : map) out.push_back(&entry);
  std::sort(out.begin(), out.end(), [](auto a, auto b) { return a->first < b->first; });
  return out;
}

}  // namespace filament::commands::snapshot

#include "adapters/upload/image_integrity.hpp"

#include <cstring>
#include <string>
#include <vector>

namespace filament::upload {
namespace {

// A buffered forward cursor over RandomAccessBytes. Every read returns false at the end of the
// data or on an I/O error; error() tells which.
class Cursor {
 public:
  explicit Cursor(const RandomAccessBytes& bytes) : bytes_(bytes), buffer_(64 * 1024) {}

  int64_t pos() const { return pos_; }
  int64_t size() const { return bytes_.size(); }
  const core::Status& error() const { return error_; }

  bool Read(void* out, size_t n) {
    auto* dst = static_cast<char*>(out);
    while (n > 0) {
      if (!Fill()) return false;
      size_t take = std::min(n, static_cast<size_t>(end_ - pos_));
      std::memcpy(dst, buffer_.data() + (pos_ - start_), take);
      pos_ += static_cast<int64_t>(take);
      dst += take;
      n -= take;
    }
    return true;
  }

  bool Byte(uint8_t& out) { return Read(&out, 1); }

  bool Skip(uint64_t n) {
    if (n > static_cast<uint64_t>(size() - pos_)) return false;
    pos_ += static_cast<int64_t>(n);
    return true;
  }

  // Advances just past the next byte equal to `value`.
  bool SkipPast(uint8_t value) {
    while (Fill()) {
      const char* from = buffer_.data() + (pos_ - start_);
      const void* hit = std::memchr(from, value, static_cast<size_t>(end_ - pos_));
      if (hit != nullptr) {
        pos_ += static_cast<const char*>(hit) - from + 1;
        return true;
      }
      pos_ = end_;
    }
    return false;
  }

 private:
  // Makes sure the buffer holds the byte at pos_.
  bool Fill() {
    if (pos_ >= start_ && pos_ < end_) return true;
    if (pos_ >= size()) return false;
    auto n = bytes_.ReadAt(pos_, buffer_);
    if (!n.ok()) {
      error_ = n.error();
      return false;
    }
    if (*n == 0) return false;
    start_ = pos_;
    end_ = pos_ + static_cast<int64_t>(*n);
    return true;
  }

  const RandomAccessBytes& bytes_;
  std::vector<char> buffer_;
  int64_t start_ = 0, end_ = 0, pos_ = 0;
  core::Status error_;
};

uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}
std::string_view Tag(const uint8_t* p) { return {reinterpret_cast<const char*>(p), 4}; }

bool CheckPng(Cursor& c) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  uint8_t head[8];
  if (!c.Read(head, 8) || std::memcmp(head, kSignature, 8) != 0) return false;
  bool first = true, data = false;
  while (true) {
    if (!c.Read(head, 8)) return false;
    uint32_t length = Be32(head);
    std::string_view type = Tag(head + 4);
    if (length > 0x7fffffffu || (first && type != "IHDR")) return false;
    first = false;
    data = data || type == "IDAT";
    if (!c.Skip(uint64_t{length} + 4)) return false;  // data and CRC
    if (type == "IEND") return data;
  }
}

// Skips GIF data sub-blocks up to and including the zero-length terminator.
bool SkipGifSubBlocks(Cursor& c) {
  uint8_t length = 0;
  while (c.Byte(length)) {
    if (length == 0) return true;
    if (!c.Skip(length)) return false;
  }
  return false;
}

bool SkipGifColorTable(Cursor& c, uint8_t flags) {
  return (flags & 0x80) == 0 || c.Skip(3u << ((flags & 7) + 1));
}

bool CheckGif(Cursor& c) {
  uint8_t head[13];
  if (!c.Read(head, 13)) return false;
  std::string_view magic(reinterpret_cast<const char*>(head), 6);
  if ((magic != "GIF87a" && magic != "GIF89a") || !SkipGifColorTable(c, head[10])) return false;
  bool image = false;
  uint8_t block = 0, label = 0, descriptor[9];
  while (c.Byte(block)) {
    if (block == 0x3b) return image;  // trailer
    if (block == 0x21) {              // extension: label, sub-blocks
      if (!c.Byte(label) || !SkipGifSubBlocks(c)) return false;
    } else if (block == 0x2c) {  // image: descriptor, colour table, LZW size, sub-blocks
      if (!c.Read(descriptor, 9) || !SkipGifColorTable(c, descriptor[8]) || !c.Byte(label) ||
          !SkipGifSubBlocks(c)) {
        return false;
      }
      image = true;
    } else {
      return false;
    }
  }
  return false;
}

// Reads the next JPEG marker code, skipping fill bytes (and, like libjpeg, stray bytes).
bool NextJpegMarker(Cursor& c, uint8_t& marker) {
  do {
    if (!c.SkipPast(0xff)) return false;
    do {
      if (!c.Byte(marker)) return false;
    } while (marker == 0xff);
  } while (marker == 0x00);
  return true;
}

// Skips entropy-coded data after SOS; stops at the first marker that is not a stuffed zero
// or a restart marker and returns it.
bool SkipJpegScan(Cursor& c, uint8_t& marker) {
  while (NextJpegMarker(c, marker)) {
    if (marker < 0xd0 || marker > 0xd7) return true;
  }
  return false;
}

bool IsJpegFrame(uint8_t m) {
  return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

bool CheckJpeg(Cursor& c) {
  uint8_t soi[2], length[2], marker = 0;
  if (!c.Read(soi, 2) || soi[0] != 0xff || soi[1] != 0xd8) return false;
  bool frame = false, scan = false;
  if (!NextJpegMarker(c, marker)) return false;
  while (marker != 0xd9) {  // EOI
    bool standalone = marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7);
    if (!standalone) {
      if (!c.Read(length, 2)) return false;
      uint32_t n = uint32_t{length[0]} << 8 | length[1];
      if (n < 2 || !c.Skip(n - 2)) return false;
      frame = frame || IsJpegFrame(marker);
    }
    if (marker == 0xda) {  // SOS: a scan's entropy-coded data runs to the next marker
      scan = true;
      if (!SkipJpegScan(c, marker)) return false;
    } else if (!NextJpegMarker(c, marker)) {
      return false;
    }
  }
  return frame && scan;
}

bool CheckWebp(Cursor& c) {
  uint8_t head[12];
  if (!c.Read(head, 12) || Tag(head) != "RIFF" || Tag(head + 8) != "WEBP") return false;
  int64_t riff_end = 8 + int64_t{Le32(head + 4)};
  if (riff_end > c.size() || riff_end < 12) return false;
  bool image = false;
  while (c.pos() < riff_end) {
    if (riff_end - c.pos() < 8 || !c.Read(head, 8)) return false;
    std::string_view tag = Tag(head);
    image = image || tag == "VP8 " || tag == "VP8L" || tag == "ANMF";
    uint64_t length = Le32(head + 4);
    if (!c.Skip(length + (length & 1)) || c.pos() > riff_end) return false;
  }
  return image;
}

bool CheckIsoBmff(Cursor& c) {
  bool first = true, metadata = false, media = false;
  uint8_t head[8];
  while (c.pos() < c.size()) {
    int64_t start = c.pos();
    if (c.size() - start < 8 || !c.Read(head, 8)) return false;
    uint64_t box = Be32(head), header = 8;
    std::string_view type = Tag(head + 4);
    if (box == 1) {
      if (!c.Read(head, 8)) return false;
      box = uint64_t{Be32(head)} << 32 | Be32(head + 4);
      header = 16;
    } else if (box == 0) {
      box = static_cast<uint64_t>(c.size() - start);
    }
    if (box < header || (first && type != "ftyp") || !c.Skip(box - header)) return false;
    first = false;
    metadata = metadata || type == "meta" || type == "moov";
    media = media || type == "mdat";
  }
  return metadata && media;
}

}  // namespace

core::Result<bool> IsCompleteImage(const RandomAccessBytes& bytes, std::string_view mime) {
  Cursor cursor(bytes);
  bool complete = false;
  if (mime == "image/png") {
    complete = CheckPng(cursor);
  } else if (mime == "image/jpeg") {
    complete = CheckJpeg(cursor);
  } else if (mime == "image/gif") {
    complete = CheckGif(cursor);
  } else if (mime == "image/webp") {
    complete = CheckWebp(cursor);
  } else if (mime == "image/avif") {
    complete = CheckIsoBmff(cursor);
  }
  if (!cursor.error().ok()) return cursor.error().error();
  return complete;
}

}  // namespace filament::upload

#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.hpp"

namespace filament::upload {

// Bytes that can be read at any offset (a spooled upload, or a string in tests).
class RandomAccessBytes {
 public:
  virtual ~RandomAccessBytes() = default;
  virtual int64_t size() const = 0;
  // Copies up to out.size() bytes from `offset`; returns how many (0 at or past the end).
  // Errors: kInternal (I/O).
  virtual core::Result<size_t> ReadAt(int64_t offset, std::span<char> out) const = 0;
};

// Whether `bytes` is a structurally complete image of type `mime`, one of the profile
// allowlist (image/png, image/jpeg, image/gif, image/webp, image/avif); false for any other
// type. Not a decoder: it walks the container — PNG chunks from IHDR to IEND, JPEG segments
// and entropy-coded scans from SOI through a frame and a scan to EOI, GIF blocks to the
// trailer with at least one image, WebP RIFF chunks within the RIFF size with an image chunk,
// AVIF (ISOBMFF) top-level boxes that start with ftyp, tile the file exactly and include meta
// (or moov) and mdat — so a truncated or cut-and-padded upload is caught, which sniffing the first
// bytes cannot do. Trailing bytes after a PNG IEND, JPEG EOI or GIF trailer are allowed (cameras
// and editors append them). Reads in 64 KiB pieces. Errors: kInternal (a read failed).
core::Result<bool> IsCompleteImage(const RandomAccessBytes& bytes, std::string_view mime);

}  // namespace filament::upload

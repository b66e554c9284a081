#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Test-only: the smallest well-formed files of each type the upload pipeline must tell apart,
// built byte by byte so no fixture file is needed.
namespace filament::upload::testing {

inline std::string FromHex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

// 2x2 RGB PNG: signature, IHDR, one zlib IDAT, IEND (CRCs correct).
inline std::string Png() {
  return FromHex(
      "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001149444154789c"
      "63f8cfc0c0f01f8c8018001df003fdd3d07d260000000049454e44ae426082");
}

// 1x1 GIF89a with a graphic control extension, one image, trailer.
inline std::string Gif() {
  return FromHex(
      "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b");
}

// 1x1 lossless WebP (RIFF, VP8L).
inline std::string Webp() {
  return FromHex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700");
}

// 8x8 grey baseline JPEG: SOI, APP0 JFIF, DQT, SOF0, DHT (DC and AC, one code each), SOS, one
// entropy byte (DC 0, EOB), EOI.
inline std::string Jpeg() {
  std::string dqt = "ffdb004300" + std::string(128, '0');
  for (size_t i = 10; i < dqt.size(); i += 2) dqt[i + 1] = '1';
  return FromHex("ffd8ffe000104a46494600010100000100010000" + dqt +
                 "ffc0000b080008000801011100"
                 "ffc4001400010000000000000000000000000000000000"
                 "ffc4001410010000000000000000000000000000000000"
                 "ffda0008010100003f00"
                 "3f"
                 "ffd9");
}

// An ISOBMFF box: 32-bit size, type, payload.
inline std::string Box(std::string_view type, std::string_view payload) {
  uint32_t size = static_cast<uint32_t>(8 + payload.size());
  std::string out{static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                  static_cast<char>(size >> 8), static_cast<char>(size)};
  return out + std::string(type) + std::string(payload);
}

// An AVIF container: ftyp (avif, mif1, miaf), a meta box with a 'pict' handler, an mdat.
// Structurally an AVIF file (what the sniffer and the completeness check look at), not a
// decodable image; AvifencAvailable tests also use a real one when avifenc is installed.
inline std::string Avif() {
  std::string hdlr = Box("hdlr", std::string(8, '\0') + "pict" + std::string(13, '\0'));
  return Box("ftyp", std::string("avif") + std::string(4, '\0') + "avifmif1miaf") +
         Box("meta", std::string(4, '\0') + hdlr) + Box("mdat", std::string(16, '\x5a'));
}

inline std::string Pdf() {
  return "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
}

// A ZIP archive holding one stored file "a.txt" = "hi" (local header, central directory, end).
inline std::string Zip() {
  return FromHex(
      "504b030414000000000000002100ac2a93d8020000000200000005000000612e7478746869504b01021403"
      "14000000000000002100ac2a93d80200000002000000050000000000000000000000800100000000612e74"
      "7874504b0506000000000100010033000000250000000000");
}

inline std::string PlainText() {
  return "Meeting notes\n- ship the blob store\n- résumé review at 10:00\n";
}

}  // namespace filament::upload::testing

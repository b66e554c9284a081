"""The smallest well-formed images of each allowed type, built byte by byte (as
adapters/upload/testing/sample_media.hpp), so e2e tests need no fixture files."""
import struct
import zlib


def png(width=2, height=2, noise=b""):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes(3 * width) for _ in range(height))
    chunks = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if noise:
        chunks += chunk(b"tEXt", b"note\x00" + noise)
    return b"\x89PNG\r\n\x1a\n" + chunks + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def gif():
    return bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b")


def webp():
    return bytes.fromhex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700")


def jpeg():
    dqt = "ffdb004300" + "01" * 64
    return bytes.fromhex("ffd8ffe000104a46494600010100000100010000" + dqt +
                         "ffc0000b080008000801011100"
                         "ffc4001400010000000000000000000000000000000000"
                         "ffc4001410010000000000000000000000000000000000"
                         "ffda0008010100003f00" "3f" "ffd9")


def _box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def avif():
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"pict" + b"\x00" * 13)
    return (_box(b"ftyp", b"avif" + b"\x00" * 4 + b"avifmif1miaf") +
            _box(b"meta", b"\x00" * 4 + hdlr) + _box(b"mdat", b"\x5a" * 16))


ALL = {"image/png": png, "image/jpeg": jpeg, "image/webp": webp, "image/gif": gif, "image/avif": avif}

#!/usr/bin/env python3
"""An independent PNG decoder (standard library only) for the files of include/minitorch/io/png.hpp.

    python3 tests/png/check_png.py image.png image.raw

Reads image.png: the signature, every chunk's CRC, IHDR (8-bit greyscale or RGB, no interlace), the IDAT chunks
(consecutive, inflated: one complete zlib stream, nothing after it), IEND last; undoes the row filters (all five
types); compares the pixels with image.raw (row-major, top row first). Prints "width height channels" when everything
matches; otherwise prints "check_png: <file>: <what is wrong>" and exits with 1. Used by tests/png/CMakeLists.txt.
"""
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3}  # colour type: greyscale, RGB


class Bad(Exception):
    pass


def chunks(data):
    if data[:8] != SIGNATURE:
        raise Bad(f"not a PNG file: starts with {data[:8]!r}")
    at = 8
    while at < len(data):
        if at + 8 > len(data):
            raise Bad(f"truncated chunk header at byte {at}")
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind = data[at + 4:at + 8]
        if at + 12 + length > len(data):
            raise Bad(f"chunk {kind!r} at byte {at} announces {length} bytes, the file ends before")
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise Bad(f"chunk {kind!r} at byte {at}: CRC {crc:08x}, expected {zlib.crc32(kind + body):08x}")
        yield kind, body
        at += 12 + length


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, width, height, bpp):
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise Bad(f"inflated data has {len(raw)} bytes, expected {height} rows of 1 + {stride}")
    out = bytearray()
    prev = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            elif ftype == 4:
                pred = paeth(a, b, c)
            else:
                raise Bad(f"row {y}: unknown filter type {ftype}")
            line[x] = (line[x] + pred) & 0xFF
        out += line
        prev = line
    return bytes(out)


def decode(data):
    header, idat, seen_idat, ended, last = None, bytearray(), False, False, None
    for i, (kind, body) in enumerate(chunks(data)):
        if ended:
            raise Bad(f"chunk {kind!r} after IEND")
        if i == 0 and kind != b"IHDR":
            raise Bad(f"first chunk is {kind!r}, expected IHDR")
        if kind == b"IHDR":
            if i != 0 or len(body) != 13:
                raise Bad(f"IHDR at position {i} with {len(body)} bytes, expected first with 13")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            if seen_idat and last != b"IDAT":
                raise Bad("IDAT chunks are not consecutive")
            seen_idat = True
            idat += body
        elif kind == b"IEND":
            if body:
                raise Bad(f"IEND has {len(body)} bytes of data, expected none")
            ended = True
        elif not kind[0] & 0x20:
            raise Bad(f"unknown critical chunk {kind!r}")
        last = kind
    if not ended:
        raise Bad("no IEND chunk")
    if not seen_idat:
        raise Bad("no IDAT chunk")
    width, height, depth, color, compression, filtering, interlace = header
    if width == 0 or height == 0 or depth != 8 or color not in CHANNELS or (compression, filtering, interlace) != (0, 0, 0):
        raise Bad(f"IHDR {header}: expected width, height >= 1, bit depth 8, colour type 0 or 2, methods 0, no interlace")
    z = zlib.decompressobj()
    try:
        raw = z.decompress(bytes(idat))
    except zlib.error as e:
        raise Bad(f"IDAT data is not a valid zlib stream: {e}")
    if not z.eof:
        raise Bad("IDAT data: the zlib stream is truncated")
    if z.unused_data:
        raise Bad(f"IDAT data: {len(z.unused_data)} bytes after the zlib stream")
    channels = CHANNELS[color]
    return width, height, channels, unfilter(raw, width, height, channels)


def main(argv):
    if len(argv) != 3:
        print("usage: check_png.py image.png image.raw", file=sys.stderr)
        return 2
    png_path, raw_path = argv[1], argv[2]
    try:
        with open(png_path, "rb") as f:
            width, height, channels, pixels = decode(f.read())
        with open(raw_path, "rb") as f:
            expected = f.read()
        if len(pixels) != len(expected):
            raise Bad(f"{width}x{height}x{channels} = {len(pixels)} bytes of pixels, {raw_path} has {len(expected)}")
        if pixels != expected:
            at = next(i for i in range(len(pixels)) if pixels[i] != expected[i])
            n = width * channels
            raise Bad(f"pixel byte {at} (row {at // n}, column {at % n // channels}) is {pixels[at]}, "
                      f"{raw_path} has {expected[at]}")
    except (Bad, OSError) as e:
        print(f"check_png: {png_path}: {e}")
        return 1
    print(width, height, channels)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Makes the scan fixtures of tests/api/scans.rs (see SOURCE.md). Deterministic: run it again and
`git diff --exit-code tests/data/scans` stays clean for the same Pillow version."""
import os
import struct
import zlib

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def pattern_rgb(w, h, shift=0):
    """r = 7x, g = 5y, b = x + y + shift (all mod 256): every pixel is known to the tests."""
    img = Image.new("RGB", (w, h))
    img.putdata([((x * 7) % 256, (y * 5) % 256, (x + y + shift) % 256)
                 for y in range(h) for x in range(w)])
    return img


def pattern_gray(w, h):
    """v = 3x + 2y (mod 256)."""
    img = Image.new("L", (w, h))
    img.putdata([(x * 3 + y * 2) % 256 for y in range(h) for x in range(w)])
    return img


def a4_bilevel():
    """An A4 page at 300 dpi (2480 x 3508), white with a black frame and a black box at (200..600,
    300..500): a bilevel scan such as a signed form."""
    img = Image.new("1", (2480, 3508), 1)
    d = ImageDraw.Draw(img)
    d.rectangle([100, 100, 2379, 3407], outline=0, width=8)
    d.rectangle([200, 300, 599, 499], fill=0)
    return img


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(name, width, height, bit_depth, colour_type, raw_rows, extra=b""):
    """A PNG written by hand, for what Pillow cannot write (16-bit RGB, a lying header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    body = b"".join(b"\x00" + row for row in raw_rows)
    data = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", zlib.compress(body, 9)) + png_chunk(b"IEND", b""))
    with open(path(name), "wb") as f:
        f.write(data)


# --- JPEG -----------------------------------------------------------------------------------
pattern_rgb(120, 160).save(path("rgb-300dpi.jpg"), quality=60, dpi=(300, 300))
pattern_gray(120, 160).save(path("gray-300dpi.jpg"), quality=60, dpi=(300, 300))
# No density at all: Pillow writes a JFIF header with units 0 (aspect ratio only).
pattern_rgb(160, 120).save(path("rgb-no-dpi.jpg"), quality=60)
# Pillow writes CMYK JPEGs inverted, with an Adobe APP14 marker (as Photoshop does). White
# (no ink) at the top half, full cyan at the bottom half.
cmyk = Image.new("CMYK", (64, 64), (0, 0, 0, 0))
ImageDraw.Draw(cmyk).rectangle([0, 32, 63, 63], fill=(255, 0, 0, 0))
cmyk.save(path("cmyk-adobe-150dpi.jpg"), quality=90, dpi=(150, 150))

# --- PNG ------------------------------------------------------------------------------------
pattern_rgb(120, 90).save(path("rgb-300dpi.png"), dpi=(300, 300))
rgba = pattern_rgb(64, 48).convert("RGBA")
rgba.putalpha(Image.frombytes("L", (64, 48), bytes((x * 4) % 256 for y in range(48) for x in range(64))))
rgba.save(path("rgba-200dpi.png"), dpi=(200, 200))
pattern_gray(100, 80).save(path("gray-200dpi.png"), dpi=(200, 200))
pattern_rgb(60, 40).convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(path("palette-no-dpi.png"))
a4_bilevel().save(path("a4-bilevel-300dpi.png"), dpi=(300, 300))
# 16-bit RGB, 300 dpi (11811 pixels per metre): sample = (8-bit pattern) * 257 + 1, so the high
# byte is the 8-bit pattern and the low byte is not zero.
w16, h16 = 32, 24
rows = []
for y in range(h16):
    row = b""
    for x in range(w16):
        for v in ((x * 7) % 256, (y * 5) % 256, (x + y) % 256):
            row += struct.pack(">H", min(v * 257 + 1, 65535))
    rows.append(row)
write_png("rgb16-300dpi.png", w16, h16, 16, 2, rows,
          png_chunk(b"pHYs", struct.pack(">IIB", 11811, 11811, 1)))
# A header claiming 100000 x 100000 RGB pixels (30 GB decoded) over one tiny row.
write_png("huge-claim.png", 100000, 100000, 8, 2, [b"\x00" * 30])

# --- TIFF -----------------------------------------------------------------------------------
pages = [pattern_rgb(32, 24, shift=0), pattern_rgb(24, 32, shift=100), pattern_rgb(16, 16, shift=200)]
pages[0].save(path("multipage-lzw-rgb-200dpi.tif"), compression="tiff_lzw", dpi=(200, 200),
              save_all=True, append_images=pages[1:])
pattern_gray(50, 40).save(path("gray-packbits-300dpi.tif"), compression="packbits", dpi=(300, 300))
# Resolution in centimetres (ResolutionUnit 3): 118.11 pixels/cm = 300 dpi.
pattern_rgb(30, 20).save(path("rgb-deflate-cm.tif"), compression="tiff_adobe_deflate",
                         tiffinfo={282: 118.11, 283: 118.11, 296: 3})
pattern_rgb(30, 20).save(path("rgb-raw-no-dpi.tif"), compression="raw")
a4_bilevel().save(path("a4-g4-300dpi.tif"), compression="group4", dpi=(300, 300))

# --- not accepted ---------------------------------------------------------------------------
pattern_rgb(16, 16).save(path("not-accepted.gif"))

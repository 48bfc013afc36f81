#!/usr/bin/env python3
"""Draw the app icons static/appIcon.png (36x36) and static/appIcon_2x.png
(72x72) with the standard library only (zlib + struct), so the images in the
package can be rebuilt and reviewed from source.

The icon: two nodes on a dark teal tile - a DNS answer (left) and the
connection it led to (right) - joined by a link, with a small arrow head.
Drawn at 4x the target size and box-filtered down for smooth edges.

Usage: python3 tests/app/make_icons.py [APP_DIR]   (default: repository root)
"""
import os
import struct
import sys
import zlib

BG = (18, 74, 92)        # tile
LINK = (120, 200, 220)   # link between the nodes
DNS = (255, 196, 64)     # DNS answer node
NET = (240, 248, 250)    # connection node
SS = 4                   # supersampling factor


def inside_rounded_rect(x, y, size, radius):
    """True when (x, y) lies in a size x size square with rounded corners."""
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def dist_to_segment(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = ((px - ax) * dx + (py - ay) * dy) / float(dx * dx + dy * dy)
    t = max(0.0, min(1.0, t))
    qx, qy = ax + t * dx, ay + t * dy
    return ((px - qx) ** 2 + (py - qy) ** 2) ** 0.5


def in_triangle(px, py, a, b, c):
    def side(p1, p2, p3):
        return (p1[0] - p3[0]) * (p2[1] - p3[1]) - (p2[0] - p3[0]) * (p1[1] - p3[1])
    d1 = side((px, py), a, b)
    d2 = side((px, py), b, c)
    d3 = side((px, py), c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


def sample(u, v):
    """Colour (r, g, b, a) of the icon at unit coordinates (u, v) in [0, 1)."""
    if not inside_rounded_rect(u, v, 1.0, 0.18):
        return (0, 0, 0, 0)
    # DNS node (left, upper) and connection node (right, lower).
    if (u - 0.28) ** 2 + (v - 0.36) ** 2 <= 0.15 ** 2:
        return DNS + (255,)
    if (u - 0.72) ** 2 + (v - 0.66) ** 2 <= 0.15 ** 2:
        return NET + (255,)
    # Arrow head pointing at the connection node.
    if in_triangle(u, v, (0.585, 0.575), (0.47, 0.575), (0.56, 0.47)):
        return LINK + (255,)
    if dist_to_segment(u, v, 0.28, 0.36, 0.56, 0.55) <= 0.045:
        return LINK + (255,)
    return BG + (255,)


def render(size):
    """Rows of RGBA bytes, box-filtered from SS x SS samples per pixel."""
    rows = []
    n = size * SS
    for y in range(size):
        row = bytearray()
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    r, g, b, a = sample((x * SS + sx + 0.5) / n, (y * SS + sy + 0.5) / n)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3] // (SS * SS)
            if acc[3]:
                # Un-premultiply so edge pixels keep their colour.
                row += bytes((acc[0] // acc[3], acc[1] // acc[3], acc[2] // acc[3], alpha))
            else:
                row += bytes((0, 0, 0, 0))
        rows.append(bytes(row))
    return rows


def png(size, rows):
    """A minimal, valid PNG: IHDR (8-bit RGBA), one IDAT, IEND."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + r for r in rows)  # filter type 0 per row
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    static = os.path.join(root, "static")
    os.makedirs(static, exist_ok=True)
    for name, size in (("appIcon.png", 36), ("appIcon_2x.png", 72)):
        path = os.path.join(static, name)
        with open(path, "wb") as f:
            f.write(png(size, render(size)))
        print("wrote %s (%dx%d)" % (os.path.normpath(path), size, size))


if __name__ == "__main__":
    main()

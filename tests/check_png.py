#!/usr/bin/env python3
# check_png.py FILE MIN_W MIN_H MAX_W MAX_H [R,G,B]: a PNG within those sizes, its pixels not all
# alike (more than 20 colours sampled) and, when given, holding colour R,G,B (within 8 per channel).
# Standard library only (zlib); used by tests/ui_headless_test.sh and tests/ui_script_test.sh.
import struct, sys, zlib
path, w0, h0, w1, h1 = sys.argv[1], *map(int, sys.argv[2:6])
want = tuple(map(int, sys.argv[6].split(","))) if len(sys.argv) > 6 else None
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
pw, ph, depth, ctype = struct.unpack(">IIBB", data[16:26])
assert w0 <= pw <= w1 and h0 <= ph <= h1, f"{path}: {pw}x{ph}, expected {w0}..{w1} x {h0}..{h1}"
assert len(data) > 10000, f"{path}: only {len(data)} bytes"
idat, pos = b"", 8
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
stride = pw * bpp
prev, colours, found = bytearray(stride), set(), want is None
for r in range(ph):  # undo the PNG row filters (None, Sub, Up, Average, Paeth)
    f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if r % 8 == 0:
        colours |= {bytes(line[i:i + 3]) for i in range(0, stride, bpp * 4)}
    if not found:
        found = any(all(abs(line[i + k] - want[k]) <= 8 for k in range(3))
                    for i in range(0, stride, bpp))
    prev = line
assert len(colours) > 20, f"{path}: nearly uniform ({len(colours)} colours sampled)"
assert found, f"{path}: colour {want} not found"
print(f"ok: {path} {pw}x{ph}, {len(data)} bytes, {len(colours)} distinct colours sampled"
      + (f", colour {want} present" if want else ""))

#!/usr/bin/env bash
# The dashboard without a display: fedsim-ui under Xvfb runs tests/data/scenarios/tiny.toml to the
# end, writes the whole window to PNG and exits 0. Checks the exit code, that the run finished
# ("run finished: PATH" and the file exists), that the PNG has the window's size and that its
# pixels are not all one colour. Fails (never skips) without xvfb-run: tools/setup.sh installs it.
# usage: ui_headless_test.sh FEDSIM_UI SOURCE_DIR WORK_DIR
set -euo pipefail
ui="$(realpath "$1")" src="$2" work="$3"
if ! command -v xvfb-run >/dev/null; then
  echo "FAIL: xvfb-run not found; run tools/setup.sh (Debian packages xvfb xauth libgl1-mesa-dri)" >&2
  exit 1
fi
if ! command -v python3 >/dev/null; then
  echo "FAIL: python3 not found (tools/setup.sh)" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
cp "$src/tests/data/scenarios/tiny.toml" "$work/"
cd "$work"  # results/ and the export directory land here
set +e
HOME="$work" xvfb-run -a -s "-screen 0 1280x800x24" \
  "$ui" --scenario tiny.toml --run --frames 3000 --screenshot shot.png --size 1280x800 >out.txt 2>err.txt
rc=$?
set -e
cat out.txt
cat err.txt >&2
[ "$rc" -eq 0 ] || { echo "FAIL: fedsim-ui exited with $rc" >&2; exit 1; }
path=$(sed -n 's/^run finished: //p' out.txt | head -1)
[ -n "$path" ] || { echo "FAIL: no 'run finished: PATH' line" >&2; exit 1; }
[ -f "$path" ] || { echo "FAIL: result file $path missing" >&2; exit 1; }
# PNG: IHDR width and height (big-endian at bytes 16..23), and the pixels not all equal.
python3 - shot.png 1280 800 <<'PY'
import struct, sys, zlib
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pw, ph, depth, ctype = struct.unpack(">IIBB", data[16:26])
assert (pw, ph) == (w, h), f"PNG is {pw}x{ph}, expected {w}x{h}"
idat, pos = b"", 8
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
stride = pw * bpp
prev, colours = bytearray(stride), set()
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
    prev = line
assert len(colours) > 20, f"screenshot nearly uniform ({len(colours)} colours sampled)"
print(f"ok: {path} {pw}x{ph}, {len(colours)} distinct colours sampled")
PY

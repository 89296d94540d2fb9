#!/usr/bin/env bash
# Packs the CUDA build for a lent GPU machine that cannot build fedsim itself: that machine has
# nvcc, cuBLAS and the driver but none of fedsim's Debian libraries (HDF5, OpenBLAS, toml++,
# libsodium, ...) and no network. Builds here (sm_90 + PTX), then copies into gpu-bundle/ the
# binaries that tools/gpu-check.sh runs, every shared library they load except the CUDA driver and
# cuBLAS (which the GPU machine has, and which are too large to carry), and this machine's glibc
# with its loader, used only where the GPU machine's own glibc is older than the one we built with.
# gpu-bundle/run BIN ARGS runs a bundled binary there. Usage, here:
#   bash tools/gpu-bundle.sh            (BUILD=build-gpu-bundle by default)
# then, through the device tool: carry ["gpu-bundle"], command "bash tools/gpu-check.sh".
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-gpu-bundle}  # "90": sm_90 code plus compute_90 PTX
BUNDLE=gpu-bundle
TARGETS="fedsim test_backend_conformance bench_cuda bench_training"

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEDSIM_WERROR=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target $TARGETS

rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/bin" "$BUNDLE/lib" "$BUNDLE/glibc"
for t in $TARGETS; do
  f=$(find "$BUILD" -type f -name "$t" -perm -u+x | head -1)
  [ -n "$f" ] || { echo "gpu-bundle: $t was not built" >&2; exit 1; }
  strip -o "$BUNDLE/bin/$t" "$f"
done

# Libraries: glibc's family to glibc/, the driver and cuBLAS stay behind, the rest to lib/.
for lib in $(ldd "$BUNDLE"/bin/* | awk '/=> \//{print $3}' | sort -u); do
  name=$(basename "$lib")
  case $name in
    libcuda.so* | libcublas.so* | libcublasLt.so*) ;;
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libresolv.so.*)
      cp -L "$lib" "$BUNDLE/glibc/" ;;
    *) cp -L "$lib" "$BUNDLE/lib/" ;;
  esac
done
cp -L /lib64/ld-linux-x86-64.so.2 "$BUNDLE/glibc/"
git rev-parse --short=12 HEAD >"$BUNDLE/commit"
git diff --quiet HEAD || echo "(with uncommitted changes)" >>"$BUNDLE/commit"

cat >"$BUNDLE/run" <<'EOF'
#!/usr/bin/env bash
# gpu-bundle/run BIN ARGS: runs a bundled fedsim binary with its libraries and the machine's cuBLAS.
# Uses the machine's glibc when it is new enough, else the bundled one through its loader (then
# FEDSIM_BLAS_AUTO=0: the OpenBLAS re-exec goes through /proc/self/exe, which is the loader).
B=$(cd "$(dirname "$0")" && pwd)
[ -d "$B/lib" ] || tar xzf "$B/libs.tar.gz" -C "$B" || exit 1
if [ -z "${FEDSIM_CUBLAS_DIR:-}" ]; then
  FEDSIM_CUBLAS_DIR=$(dirname "$(find /usr/local/cuda/lib64/ /usr/local/cuda/lib/ /usr/local/cuda*/targets/ \
    /usr/lib/x86_64-linux-gnu/ /opt/ -name 'libcublas.so.13' 2>/dev/null | head -1)")
  export FEDSIM_CUBLAS_DIR
fi
export LD_LIBRARY_PATH="$B/lib:$FEDSIM_CUBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
bin=$1
shift
if [ -f "$B/use-loader" ]; then
  export FEDSIM_BLAS_AUTO=0
  exec "$B/glibc/ld-linux-x86-64.so.2" --library-path "$B/glibc:$LD_LIBRARY_PATH" "$B/bin/$bin" "$@"
fi
exec "$B/bin/$bin" "$@"
EOF
chmod +x "$BUNDLE/run"
# gpu-bundle/fedsim: the CLI as one executable path (bench/peers/compare.py runs it by path).
printf '#!/usr/bin/env bash\nexec "$(dirname "$0")/run" fedsim "$@"\n' >"$BUNDLE/fedsim"
chmod +x "$BUNDLE/fedsim"
# The libraries travel packed (the device tool carries 64 MiB at most; OpenBLAS alone is 36 MB);
# run unpacks them on first use.
tar czf "$BUNDLE/libs.tar.gz" -C "$BUNDLE" lib glibc
rm -rf "$BUNDLE/lib" "$BUNDLE/glibc"
du -sh "$BUNDLE"
echo "gpu-bundle: $(tr "\n" " " <"$BUNDLE/commit")"

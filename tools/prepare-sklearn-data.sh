#!/usr/bin/env bash
# Extracts the small real tables that scikit-learn bundles (Debian package python3-sklearn, BSD-3)
# and converts them to CSV files fedsim's loader reads (data.source = "csv", label_column "target"):
#   OUTDIR/breast_cancer.csv  569 x 30, 2 classes     OUTDIR/wine.csv    178 x 13, 3 classes
#   OUTDIR/iris.csv           150 x 4,  3 classes     OUTDIR/digits.csv  1797 x 64, 10 classes
# Usage: tools/prepare-sklearn-data.sh [OUTDIR]   (default build/datasets/sklearn; never committed)
#
# Only the .deb is fetched (`apt-get download python3-sklearn`, into a temporary directory, or taken
# from /var/cache/apt/archives when it is there), and only sklearn/datasets/data/ is unpacked with
# `dpkg-deb -x`: none of python3-sklearn's dependencies are installed. tools/setup.sh runs this;
# it is idempotent and does nothing once the four files exist and are newer than this script.
#
# Conversion (docs/datasets.md, "scikit-learn's bundled tables"): the first line of breast_cancer,
# wine and iris is "n_samples,n_features,class names...", not column names: it is replaced by
# sklearn's feature names and "target" (the last column, already an integer class). digits.csv.gz
# has no header: one is added (pixel_R_C, then target). Row and column counts are checked against
# that first line. Files are written under a temporary name and renamed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/datasets/sklearn}"
files=(breast_cancer.csv wine.csv iris.csv digits.csv)

done_already=1
for f in "${files[@]}"; do
  [ -f "$out/$f" ] && [ "$out/$f" -nt "$0" ] || done_already=0
done
((done_already)) && exit 0

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
deb="$(ls /var/cache/apt/archives/python3-sklearn_*_all.deb 2>/dev/null | tail -1 || true)"
if [ -z "$deb" ]; then
  # apt drops privileges to _apt for downloads: let it write into the temporary directory.
  chmod 777 "$tmp"
  if ! (cd "$tmp" && apt-get download -qq python3-sklearn >/dev/null 2>&1); then
    echo "prepare-sklearn-data: cannot download the Debian package python3-sklearn" \
      "(run \`apt-get update\` first; needs the Debian mirror)" >&2
    exit 1
  fi
  deb="$(ls "$tmp"/python3-sklearn_*.deb)"
fi
dpkg-deb -x "$deb" "$tmp/x"
src="$(echo "$tmp"/x/usr/lib/python3/dist-packages/sklearn/datasets/data)"
[ -d "$src" ] || { echo "prepare-sklearn-data: $deb has no sklearn/datasets/data" >&2; exit 1; }
mkdir -p "$out"

# convert SRC OUT "name1,name2,...": replaces the "n,d,classes..." first line with the given header
# (which must name d features; "target" is appended) after checking n rows of d + 1 fields.
convert() {
  local names="$2,target" dst="$out/$3"
  awk -F, -v names="$names" -v file="$1" '
    NR == 1 { n = $1; d = $2; if (split(names, h, ",") != d + 1) bad = "header has wrong width";
              print names; next }
    NF != d + 1 { bad = "line " NR ": " NF " fields, expected " d + 1; exit 1 }
    { rows++; print }
    END { if (!bad && rows != n) bad = rows " rows, the first line says " n
          if (bad) { print "prepare-sklearn-data: " file ": " bad > "/dev/stderr"; exit 1 } }
  ' "$1" >"$dst.tmp" || { rm -f "$dst.tmp"; exit 1; }
  mv "$dst.tmp" "$dst"
}

# Feature names as sklearn's load_* functions give them (sklearn/datasets/_base.py).
bc="mean radius,mean texture,mean perimeter,mean area,mean smoothness,mean compactness"
bc+=",mean concavity,mean concave points,mean symmetry,mean fractal dimension"
for s in error worst; do
  for f in radius texture perimeter area smoothness compactness concavity "concave points" \
    symmetry "fractal dimension"; do
    if [ "$s" = error ]; then bc+=",$f error"; else bc+=",worst $f"; fi
  done
done
convert "$src/breast_cancer.csv" "$bc" breast_cancer.csv
convert "$src/wine_data.csv" "alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,\
flavanoids,nonflavanoid_phenols,proanthocyanins,color_intensity,hue,od280/od315_of_diluted_wines,\
proline" wine.csv
convert "$src/iris.csv" "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)" \
  iris.csv
# digits: no first line of counts; give it one so convert() checks it like the others.
px=""
for r in 0 1 2 3 4 5 6 7; do for c in 0 1 2 3 4 5 6 7; do px+="${px:+,}pixel_${r}_${c}"; done; done
{ echo "1797,64"; gzip -dc "$src/digits.csv.gz"; } >"$tmp/digits.csv"
convert "$tmp/digits.csv" "$px" digits.csv
echo "prepare-sklearn-data: ${files[*]} in $out (from $(basename "$deb"))"

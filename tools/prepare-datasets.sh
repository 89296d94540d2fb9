#!/usr/bin/env bash
# Converts the real tabular data sets of Debian's r-cran-modeldata to CSV, once:
#   OUTDIR/lending_club.csv  (Lending Club loans, 9,857 rows)
#   OUTDIR/credit_data.csv   (credit scoring, 4,454 rows)
# Usage: tools/prepare-datasets.sh [OUTDIR] [--if-available]
# OUTDIR (relative to the current directory) defaults to build/datasets (never committed). The
# build runs this for its own directory (CMake target `datasets`), so `cmake --build DIR` leaves
# DIR/datasets ready.
# Idempotent: does nothing when both files exist and are newer than this script. Writes to a
# temporary name and renames, so an interrupted run leaves no half file. --if-available: exit 0
# with a note (instead of failing) when Rscript or the R package is missing. The exact conversion is
# documented in docs/datasets.md ("Lending Club", "Credit data").
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/datasets"  # a relative OUTDIR is taken from the current directory
soft=0
for a in "$@"; do
  case "$a" in
    --if-available) soft=1 ;;
    *) out="$a" ;;
  esac
done
self="$root/tools/prepare-datasets.sh"

if [ -f "$out/lending_club.csv" ] && [ -f "$out/credit_data.csv" ] &&
  [ "$out/lending_club.csv" -nt "$self" ] && [ "$out/credit_data.csv" -nt "$self" ]; then
  exit 0
fi

missing() {
  echo "prepare-datasets: $1; install it with tools/setup.sh" \
    "(apt-get install --no-install-recommends r-cran-modeldata)" >&2
  if ((soft)); then exit 0; fi
  exit 1
}
command -v Rscript >/dev/null || missing "Rscript not found"
Rscript -e 'quit(status = !requireNamespace("modeldata", quietly = TRUE))' >/dev/null 2>&1 ||
  missing "R package modeldata not found"

mkdir -p "$out"
# Everything below is R. Labels become integers 1 = bad, 0 = good (fedsim's CSV loader reads
# integer class labels); factors are written as their level names (one-hot encoded by fedsim with
# data.categorical_columns); numeric values as R prints them (15 significant digits).
Rscript --vanilla - "$out" <<'EOF'
suppressPackageStartupMessages(library(modeldata))
out <- commandArgs(trailingOnly = TRUE)[1]

# Missing values: a numeric column with NAs gets a 0/1 indicator column <name>_missing and its NAs
# become 0; a categorical column's NAs become the level "missing". No statistic of the data is used,
# so nothing of a later test split leaks into the training rows.
fill_missing <- function(df) {
  for (v in names(df)) {
    m <- is.na(df[[v]])
    if (!any(m)) next
    if (is.numeric(df[[v]])) {
      df[[paste0(v, "_missing")]] <- as.integer(m)
      df[[v]][m] <- 0
    } else {
      x <- as.character(df[[v]])
      x[m] <- "missing"
      df[[v]] <- x
    }
  }
  stopifnot(!anyNA(df))
  df
}

# label: the good/bad factor `from` becomes the integer column `bad` (1 = bad), written last.
export <- function(df, from, file) {
  df <- as.data.frame(df)
  stopifnot(all(df[[from]] %in% c("good", "bad")))
  bad <- as.integer(df[[from]] == "bad")
  df[[from]] <- NULL
  df <- fill_missing(df)
  df$bad <- bad
  tmp <- paste0(file, ".tmp")
  write.csv(df, tmp, row.names = FALSE, na = "")
  file.rename(tmp, file)
  cat(sprintf("prepare-datasets: %s: %d rows, %d columns, %.4f bad\n", file, nrow(df), ncol(df),
              mean(bad)))
}

data(lending_club, package = "modeldata")
export(lending_club, "Class", file.path(out, "lending_club.csv"))
data(credit_data, package = "modeldata")
export(credit_data, "Status", file.path(out, "credit_data.csv"))
EOF

#!/usr/bin/env bash
# Regenerates docs/<layout>-<page>.png: each page of each layout, from the layout's first sample record,
# through the same `render` command operators use. Cards at 300 dpi, A4 at 100 dpi.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p docs
for dir in layouts/*/; do
  id=$(basename "$dir")
  [ -f "$dir/layout.json" ] || continue
  # carriers print only in a mailing run of the documents they carry (README, Mailing)
  grep -q '"document": "mailer"' "$dir/layout.json" && continue
  # the layout's samples file, as its layout.json names it (a layout may share another's)
  node -e 'const p = require("path"); const d = process.argv[1]; const r = require(p.join(d, require(p.join(d, "layout.json")).samples)); require("fs").writeFileSync(process.argv[2], JSON.stringify([r[0]]))' "$PWD/$dir" "$work/$id.json"
  dpi=300
  case "$id" in *notice) dpi=100 ;; esac
  node bin/shikaku-print.js render --layout "$id" --data "$work/$id.json" --out "$work/$id" --format png --dpi "$dpi" --quiet
  for png in "$work/$id"/0001-*.png; do
    page=${png##*-}
    cp "$png" "docs/$id-${page}"
  done
done
ls -la docs

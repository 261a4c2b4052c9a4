#!/usr/bin/env bash
# Installs what shikaku-print needs on a Debian machine, then checks it. Run by `npm start` and `npm test`
# (as their pre-scripts) and by `npm run setup`. Safe to run again: it installs only what is missing.
#   - Debian packages: Chromium (unless CHROME_PATH names one), poppler-utils (PNG output, PDF checks),
#     mupdf-tools (the proof diff rasterizes both proofs with mutool: six times faster than pdftoppm),
#     qpdf, zbar-tools and unzip (the tests check every PDF's structure, decode the notices' QR codes and
#     read split output's ZIPs with Info-ZIP),
#     ghostscript and icc-profiles-free (the press output: CMYK through an ICC profile, and its checks),
#     and the pinned font packages of fonts/fonts.json; with --test (npm test) also redis-server, whose
#     redis-server binary the scale-out tests and `bench --scale-out` start on a loopback port of their own
#     (`npm start` needs no Redis: the embedded queue is the default), and zxing-cpp-tools, whose ZXingReader
#     is the independent decoder the tests read the mailing runs' DataMatrix matching codes with.
#   - npm packages from package-lock.json, when node_modules is missing or older than the lock file.
#   - the pinned fonts' SHA-256 checksums.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# ---- Debian packages -------------------------------------------------------------------------------
packages=(poppler-utils mupdf-tools qpdf zbar-tools unzip ghostscript icc-profiles-free fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic fonts-ipamj-mincho)
if [ "${1:-}" = "--test" ]; then packages+=(redis-server zxing-cpp-tools); fi
if [ -n "${CHROME_PATH:-}" ]; then
  [ -x "$CHROME_PATH" ] || { say "CHROME_PATH=$CHROME_PATH is not an executable file"; exit 1; }
else
  packages+=(chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    say "missing Debian packages: ${missing[*]}"
    say "install them as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# ---- npm packages ----------------------------------------------------------------------------------
stamp=node_modules/.shikaku-setup
want="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  printf '%s' "$want" > "$stamp"
fi

# ---- pinned fonts ----------------------------------------------------------------------------------
node -e '
  const fonts = require("./fonts/fonts.json").fonts;
  for (const f of fonts) console.log(`${f.sha256}  ${f.path}`);
' | sha256sum --quiet --check - >&2 || {
  say "a pinned font differs from fonts/fonts.json: the layouts are approved with those exact files"
  exit 1
}

#!/usr/bin/env bash
# `npm run bundle`: the offline install bundle for Debian 12 amd64 (docs/spec/interfaces.md, Install), for
# machines on closed networks (no npm registry, no Debian mirror). Writes
# dist/shikaku-print-<version>-debian12-amd64.tar.gz holding, in one folder of that name:
#   app/        the application (the repository's tracked files but its tests) with its production
#               node_modules, installed from package-lock.json
#   node/       the Node.js runtime the bundle was built with (/usr/bin/node) and its licence
#   debs/       every Debian package the set-up installs, with all their dependencies that a minimal
#               Debian 12 lacks, as a local apt repository (Packages.gz): resolved by apt itself in a
#               fresh minimal root file system (mmdebstrap --variant=minbase), at the versions this
#               machine runs (the goldens were approved with its Chromium and fonts)
#   install.sh, uninstall.sh, shikaku-print.service, shikaku-print.env
#   packages.txt  every Debian and npm package and its version (a security review's list)
#   SHA256SUMS    of every other file, checked by install.sh
# `npm run bundle -- --image` also writes dist/shikaku-print-<version>-oci.tar: an OCI image (as `docker load`
# and `podman load` take it) of a fresh minimal Debian 12 root with this bundle installed by its install.sh,
# network cut, with --cluster (its redis-server is a cluster's Redis: dist/compose.yaml), pulled from no
# registry: one layer, `serve` as the user shikaku-print on port 8080, the data folder /var/lib/shikaku-print
# a volume; dist/shikaku-print-<version>-oci.rootfs.sha256 is that layer's digest (what npm run test:bundle
# proves it against).
# Run as root on a Debian 12 amd64 machine that reaches the npm registry and Debian's mirror. The minimal
# root it resolves in is kept in dist/.bundle-work/ for the next build (SHIKAKU_BUNDLE_WORK moves it).
set -euo pipefail
image=no
for a in "$@"; do
  case "$a" in
  --image) image=yes ;;
  *) printf 'bundle: unknown option %s (npm run bundle [-- --image])\n' "$a" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/../.."
say() { printf 'bundle: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: the packages are resolved in a minimal Debian root made with mmdebstrap --mode=root"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] || die "build on Debian 12 (bookworm): the bundle holds this machine's Debian packages; this is ${PRETTY_NAME:-unknown}"
[ "$(dpkg --print-architecture)" = amd64 ] || die "build on amd64: this machine is $(dpkg --print-architecture)"
need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v dpkg-scanpackages >/dev/null || need+=(dpkg-dev)
if [ "$image" = yes ]; then
  command -v umoci >/dev/null || need+=(umoci)
  command -v skopeo >/dev/null || need+=(skopeo)
fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

version=$(node -p 'require("./package.json").version')
name="shikaku-print-$version-debian12-amd64"
work="${SHIKAKU_BUNDLE_WORK:-dist/.bundle-work}"
stage="$work/$name"
out="dist/$name.tar.gz"
mkdir -p dist "$work"
rm -rf "$stage"
mkdir -p "$stage/app" "$stage/node/bin" "$stage/debs"

# ---- the application ---------------------------------------------------------------------------------
say "application: tracked files and production node_modules"
git ls-files -z -- . ':!:test' ':!:.ci' | tar --null -T - -cf - | tar -xf - -C "$stage/app"
(cd "$stage/app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
printf '%s' "$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version)" >"$stage/app/node_modules/.shikaku-setup"

# ---- the Node.js runtime -----------------------------------------------------------------------------
node_bin=$(readlink -f "$(command -v node)")
cp "$node_bin" "$stage/node/bin/node"
licence=""
for f in /usr/share/doc/nodejs/LICENSE /usr/share/doc/nodejs/copyright; do [ -f "$f" ] && licence="$f" && break; done
[ -n "$licence" ] || die "no licence file of Node.js found (/usr/share/doc/nodejs/LICENSE)"
cp "$licence" "$stage/node/LICENSE"
node --version >"$stage/node/VERSION"

# ---- the Debian packages -----------------------------------------------------------------------------
# What scripts/setup.sh installs (without --test's tools), plus what install.sh itself uses.
top=(chromium poppler-utils mupdf-tools qpdf zbar-tools unzip ghostscript icc-profiles-free
  fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic fonts-ipamj-mincho redis-server ca-certificates)
root="$work/minbase"
sources=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
if [ ! -x "$root/usr/bin/apt-get" ]; then
  say "a minimal Debian 12 root to resolve the packages in (mmdebstrap --variant=minbase)"
  rm -rf "$root"
  mmdebstrap --quiet --variant=minbase --mode=root bookworm "$root" "${sources[@]}" >&2
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
rm -f "$root"/var/cache/apt/archives/*.deb
chroot "$root" apt-get update -qq >&2
# This machine's versions (the goldens were approved with its Chromium and fonts) where the mirror still
# has them; a security update may have replaced one: then the mirror's, said here and in packages.txt.
pinned=()
replaced=()
for p in "${top[@]}"; do
  v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
  [ -n "$v" ] || die "$p is not installed here: run npm run setup first (the bundle holds the versions this machine was checked with)"
  if chroot "$root" apt-cache madison "$p" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF "$v"; then
    pinned+=("$p=$v")
  else
    pinned+=("$p")
    replaced+=("$p $v -> $(chroot "$root" apt-cache policy "$p" | awk '/Candidate:/ {print $2}')")
    say "$p $v is no longer on Debian's mirror: the bundle takes $(chroot "$root" apt-cache policy "$p" | awk '/Candidate:/ {print $2}') (check the goldens: npm run test:bundle)"
  fi
done
say "resolving and downloading ${#pinned[@]} packages and their dependencies"
chroot "$root" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install --download-only -y -qq --no-install-recommends "$@"' sh "${pinned[@]}" >&2
cp "$root"/var/cache/apt/archives/*.deb "$stage/debs/"
(cd "$stage/debs" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null | gzip -9n >Packages.gz)
printf '%s\n' "${top[@]}" >"$stage/debs/install.list"

# ---- install, service, lists -------------------------------------------------------------------------
cp scripts/bundle/install.sh scripts/bundle/uninstall.sh scripts/bundle/shikaku-print.service scripts/bundle/shikaku-print.env "$stage/"
chmod 0755 "$stage/install.sh" "$stage/uninstall.sh"
{
  printf '# shikaku-print %s, Debian 12 amd64: what this bundle installs\n' "$version"
  printf '# Node.js\nnode %s\n' "$(node --version)"
  for r in "${replaced[@]}"; do printf '# newer than the build machine'"'"'s: %s\n' "$r"; done
  printf '# Debian packages (debs/)\n'
  for d in "$stage"/debs/*.deb; do dpkg-deb -f "$d" Package Version | paste -sd' '; done | sort
  printf '# npm packages (app/node_modules)\n'
  (cd "$stage/app" && npm ls --omit=dev --all --parseable --long 2>/dev/null | sed -n 's|.*/node_modules/\(.*\)$|\1|p' | awk -F: '{print $2}' | sort -u)
} >"$stage/packages.txt"
(cd "$stage" && find . -type f ! -name SHA256SUMS -print0 | LC_ALL=C sort -z | xargs -0 sha256sum >SHA256SUMS)

say "writing $out"
tar -C "$work" -czf "$out.tmp" "$name"
mv "$out.tmp" "$out"
rm -rf "$stage"
say "wrote $out ($(du -h "$out" | cut -f1); $(ls "$work/minbase/var/cache/apt/archives/" | grep -c '\.deb$') Debian packages)"
[ "$image" = yes ] || exit 0

# ---- the container image -----------------------------------------------------------------------------
iroot="$work/image-root"
say "the image: a fresh minimal Debian 12 root, the bundle installed in it with the network cut"
rm -rf "$iroot"
mmdebstrap --quiet --variant=minbase --mode=root bookworm "$iroot" "${sources[@]}" >&2
rm -f "$iroot/etc/apt/sources.list" "$iroot"/etc/apt/sources.list.d/* "$iroot/etc/resolv.conf"
rm -rf "$iroot"/var/lib/apt/lists/*
mkdir -p "$iroot/tmp/bundle"
tar -xzf "$out" -C "$iroot/tmp/bundle"
unshare --net --mount --fork sh -c "
  set -e
  mount -t proc proc '$iroot/proc'
  chroot '$iroot' /tmp/bundle/$name/install.sh --cluster
  umount '$iroot/proc'
" >&2
# Nothing of the build in the image: the unpacked bundle, apt's downloads and lists, logs.
rm -rf "$iroot"/tmp/* "$iroot"/var/cache/apt/*.bin "$iroot"/var/cache/apt/archives/*.deb "$iroot"/var/lib/apt/lists/*
find "$iroot/var/log" -type f -delete
epoch=$(git log -1 --format=%ct)
layer="$work/rootfs.tar"
tar --sort=name --numeric-owner --mtime="@$epoch" --clamp-mtime --xattrs -C "$iroot" -cf "$layer" .
digest="sha256:$(sha256sum "$layer" | cut -d' ' -f1)"
oci="$work/oci"
rm -rf "$oci"
umoci init --layout "$oci"
umoci new --image "$oci:$version"
umoci raw add-layer --image "$oci:$version" --history.created_by "shikaku-print bundle $version: install.sh on Debian 12 minbase" "$layer"
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
umoci config --image "$oci:$version" --created "$created" --author shikaku-print --architecture amd64 --os linux \
  --config.user shikaku-print --config.workingdir /var/lib/shikaku-print \
  --config.entrypoint /opt/shikaku-print/node/bin/node --config.entrypoint /opt/shikaku-print/app/bin/shikaku-print.js \
  --config.cmd serve --config.exposedports 8080/tcp --config.volume /var/lib/shikaku-print \
  --config.env PORT=8080 --config.env SHIKAKU_DATA_DIR=/var/lib/shikaku-print \
  --config.env SHIKAKU_INSURERS_DIR=/etc/shikaku-print/insurers --config.stopsignal SIGTERM \
  --config.label org.opencontainers.image.title=shikaku-print --config.label "org.opencontainers.image.version=$version"
img="dist/shikaku-print-$version-oci.tar"
rm -f "$img.tmp"
skopeo copy --quiet "oci:$oci:$version" "docker-archive:$img.tmp:shikaku-print:$version" >&2
mv "$img.tmp" "$img"
echo "$digest" >"dist/shikaku-print-$version-oci.rootfs.sha256"
sed "s/@VERSION@/$version/g" scripts/bundle/compose.yaml >dist/compose.yaml
rm -rf "$oci" "$layer"
say "wrote $img ($(du -h "$img" | cut -f1)), its layer $digest"

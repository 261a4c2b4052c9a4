#!/bin/sh
# Installs shikaku-print from this unpacked bundle, with no network: Debian packages from debs/ alone (apt
# pointed at that local repository and nothing else), the application and its Node.js runtime under
# /opt/shikaku-print, the command /usr/local/bin/shikaku-print, the service's user `shikaku-print`, its data
# folder /var/lib/shikaku-print (0700), its settings /etc/shikaku-print/shikaku-print.env and a systemd unit.
# Run as root: sudo ./install.sh [--cluster]. --cluster also installs redis-server (the queue of a cluster of
# serve and worker processes; README, "Scale-out"). Safe to run again (an upgrade keeps settings and data).
set -eu
cluster=no
for a in "$@"; do
  case "$a" in
  --cluster) cluster=yes ;;
  *) printf 'install: unknown option %s (install.sh [--cluster])\n' "$a" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
say() { printf 'install: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo ./install.sh)"
[ -r /etc/os-release ] || die "this machine has no /etc/os-release: the bundle is for Debian 12 (bookworm) amd64"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] ||
  die "this bundle is for Debian 12 (bookworm) amd64; this machine is ${PRETTY_NAME:-unknown}: use the bundle built for it, or the container image"
[ "$(dpkg --print-architecture)" = amd64 ] || die "this bundle is for amd64; this machine is $(dpkg --print-architecture)"

say "checking the bundle's files (SHA256SUMS)"
(cd "$here" && sha256sum --quiet --strict -c SHA256SUMS) || die "the bundle is damaged or was changed: copy it again"

# ---- Debian packages from the bundle alone -----------------------------------------------------------
say "installing Debian packages from the bundle"
apt=$(mktemp -d)
trap 'rm -rf "$apt"' EXIT
mkdir -p "$apt/lists/partial" "$apt/archives/partial"
echo "deb [trusted=yes] file:$here/debs ./" >"$apt/sources.list"
set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
  -o Dir::State::Lists="$apt/lists" -o Dir::Cache::Archives="$apt/archives" -o Acquire::Languages=none \
  -o APT::Get::List-Cleanup=false -o APT::Sandbox::User=root
apt-get "$@" -qq update || die "apt could not read the bundle's packages (debs/Packages.gz)"
# shellcheck disable=SC2046
packages=$(grep -v '^redis-server$' "$here/debs/install.list")
[ "$cluster" = no ] || packages="$packages redis-server"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get "$@" install -y -qq --no-install-recommends $packages >&2 ||
  die "apt could not install the bundle's packages: a package of this machine may be newer than the bundle's (see packages.txt)"

# ---- the application and its runtime -----------------------------------------------------------------
say "installing the application in /opt/shikaku-print"
rm -rf /opt/shikaku-print.new
mkdir -p /opt/shikaku-print.new
cp -a "$here/app" "$here/node" /opt/shikaku-print.new/
cp "$here/packages.txt" /opt/shikaku-print.new/
rm -rf /opt/shikaku-print.old
[ ! -e /opt/shikaku-print ] || mv /opt/shikaku-print /opt/shikaku-print.old
mv /opt/shikaku-print.new /opt/shikaku-print
rm -rf /opt/shikaku-print.old
cat >/usr/local/bin/shikaku-print <<'EOF'
#!/bin/sh
# shikaku-print, installed from the offline bundle (/opt/shikaku-print).
exec /opt/shikaku-print/node/bin/node /opt/shikaku-print/app/bin/shikaku-print.js "$@"
EOF
chmod 0755 /usr/local/bin/shikaku-print

# The pinned fonts, as the set-up checks them: the layouts were approved with these exact files.
say "checking the pinned fonts (fonts/fonts.json)"
(cd /opt/shikaku-print/app && /opt/shikaku-print/node/bin/node -e '
  for (const f of require("./fonts/fonts.json").fonts) console.log(`${f.sha256}  ${f.path}`);
' | sha256sum --quiet --strict -c -) || die "a pinned font differs from fonts/fonts.json: the layouts are approved with those exact files"

# ---- the service -------------------------------------------------------------------------------------
if ! id shikaku-print >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/shikaku-print --no-create-home --shell /usr/sbin/nologin shikaku-print
fi
install -d -m 0700 -o shikaku-print -g shikaku-print /var/lib/shikaku-print
install -d -m 0755 /etc/shikaku-print /etc/shikaku-print/insurers
[ -e /etc/shikaku-print/shikaku-print.env ] || install -m 0640 -g shikaku-print "$here/shikaku-print.env" /etc/shikaku-print/shikaku-print.env
install -m 0644 "$here/shikaku-print.service" /etc/systemd/system/shikaku-print.service
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

say "installed $(/usr/local/bin/shikaku-print --version 2>/dev/null || echo shikaku-print)"
say "start the service: systemctl enable --now shikaku-print (settings: /etc/shikaku-print/shikaku-print.env)"

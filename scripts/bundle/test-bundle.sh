#!/usr/bin/env bash
# `npm run test:bundle`: proves the offline bundle and the image (docs/spec/interfaces.md, Install). Builds
# both (npm run bundle -- --image), makes a fresh minimal Debian 12 root file system from Debian's packages
# (mmdebstrap --variant=minbase), and inside it, with the network cut (unshare --net: loopback only), runs
# install.sh, checks every layout's goldens (0 px), starts the service as its own user with the installed
# settings, asks /readyz (200) and one counter print (a PDF), then uninstalls and installs again. The image:
# its config (entrypoint, user, port, volume) as skopeo reads it, its one layer's digest against the one the
# build recorded, and the same goldens, /readyz and counter print inside its root file system as umoci
# unpacks it, network cut, served by its own entrypoint as its own user (this machine runs no container
# engine). Prints the archive's and the image's size and how long each step took. Run as root on Debian 12
# amd64; exit 0 only when all of it passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf 'test:bundle: %s\n' "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap --mode=root, chroot, unshare)"

t0=$(date +%s)
bash scripts/bundle/bundle.sh --image
t1=$(date +%s)
version=$(node -p 'require("./package.json").version')
name="shikaku-print-$version-debian12-amd64"
archive="dist/$name.tar.gz"
img="dist/shikaku-print-$version-oci.tar"
[ -f "$archive" ] || die "npm run bundle wrote no $archive"
[ -f "$img" ] || die "npm run bundle -- --image wrote no $img"

work=$(mktemp -d /tmp/shikaku-test-bundle.XXXXXX)
root="$work/root"
cleanup() {
  for r in "$root" "$work/image/rootfs"; do
    for m in dev/shm dev sys proc; do umount -l "$r/$m" 2>/dev/null || true; done
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Runs a script inside a root file system with the network cut: proc, sysfs (this namespace's interfaces
# alone), the host's devices and a shared-memory folder for Chromium.
inside() {
  local r=$1 script=$2
  unshare --net --mount --fork sh -c "
    set -e
    ip link set lo up 2>/dev/null || true
    mount -t proc proc '$r/proc'
    mount -t sysfs sysfs '$r/sys'
    mount --rbind /dev '$r/dev'
    mount -t tmpfs -o size=512m tmpfs '$r/dev/shm'
    chroot '$r' /bin/sh '$script'
  "
}

# What both roots must show, network cut: loopback alone, every layout's goldens, the service as its user.
cat >"$work/checks.sh" <<'CHECKS'
say() { printf 'inside: %s\n' "$*" >&2; }
nets=$(ls /sys/class/net | tr '\n' ' ')
[ "$nets" = "lo " ] || { say "network interfaces inside: $nets (expected lo alone)"; exit 1; }
say "network interfaces inside: $nets"
# Every layout's samples print (the command as installed), one PDF each with a page per record side.
check_samples() {
  n=0
  for samples in /opt/shikaku-print/app/layouts/*/samples.json; do
    layout=$(basename "$(dirname "$samples")")
    (cd /opt/shikaku-print/app && /usr/local/bin/shikaku-print render --layout "$layout" --data "$samples" --out "/tmp/samples-$layout.pdf" --quiet)
    head -c 5 "/tmp/samples-$layout.pdf" | grep -q '%PDF-' || { say "$layout: its samples printed no PDF"; exit 1; }
    n=$((n + 1))
  done
  [ "$n" -ge 10 ] || { say "only $n layouts' samples found"; exit 1; }
  say "the samples of $n layouts printed"
}
check_goldens() {
  say "every layout's goldens, 0 px"
  start=$(date +%s)
  (cd /opt/shikaku-print/app && /opt/shikaku-print/node/bin/node bin/shikaku-print.js golden --report /tmp/golden-report)
  echo "golden_seconds=$(($(date +%s) - start))" >>/tmp/figures
}
# check_service USER COMMAND...: the service COMMAND starts as USER answers /readyz 200 and a counter print.
check_service() {
  user=$1
  shift
  (cd /var/lib/shikaku-print && exec setpriv --reuid="$user" --regid="$user" --init-groups "$@" >/tmp/serve.log 2>&1) &
  pid=$!
  /opt/shikaku-print/node/bin/node --input-type=module -e '
    const base = `http://127.0.0.1:${process.env.PORT}`;
    const until = Date.now() + 120_000;
    let ready;
    while (Date.now() < until) {
      ready = await fetch(`${base}/readyz`).catch(() => undefined);
      if (ready?.status === 200) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (ready?.status !== 200) throw new Error(`/readyz answered ${ready?.status ?? "nothing"}`);
    const { readFileSync } = await import("node:fs");
    const record = JSON.parse(readFileSync("/opt/shikaku-print/app/layouts/kokuho-card/samples.json", "utf8"))[0];
    const printed = await fetch(`${base}/v1/render/kokuho-card`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(record),
    });
    const body = Buffer.from(await printed.arrayBuffer());
    if (printed.status !== 200 || body.subarray(0, 5).toString() !== "%PDF-")
      throw new Error(`a counter print answered ${printed.status}: ${body.subarray(0, 200)}`);
    console.error(`inside: /readyz 200, a counter print of ${body.length} bytes`);
  '
  kill -TERM "$pid"
  wait "$pid" || true
}
CHECKS

# ---- the bundle on a fresh minimal Debian 12 ---------------------------------------------------------
say "a fresh minimal Debian 12 root (mmdebstrap --variant=minbase)"
mmdebstrap --quiet --variant=minbase --mode=root bookworm "$root" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main" >&2
# The root knows no mirror it could reach: apt inside it has the bundle alone.
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/* "$root/etc/resolv.conf"
rm -rf "$root"/var/lib/apt/lists/*
cp "$archive" "$root/tmp/"
cp "$work/checks.sh" "$root/tmp/checks.sh"
t2=$(date +%s)
cat >"$root/tmp/inside.sh" <<'INSIDE'
set -eu
. /tmp/checks.sh
cd /tmp
tar -xzf shikaku-print-*.tar.gz
cd shikaku-print-*-debian12-amd64
# Refusals first: another Debian, and a bundle changed after it was made, each say what is wrong.
cp /etc/os-release /tmp/os-release
sed -i 's/^VERSION_ID=.*/VERSION_ID="11"/; s/^PRETTY_NAME=.*/PRETTY_NAME="Debian GNU\/Linux 11 (bullseye)"/' /etc/os-release
if ./install.sh 2>/tmp/refused; then say "install.sh ran on Debian 11"; exit 1; fi
grep -q 'this bundle is for Debian 12 (bookworm) amd64; this machine is Debian GNU/Linux 11' /tmp/refused || { cat /tmp/refused; exit 1; }
cp /tmp/os-release /etc/os-release
echo '# changed' >>shikaku-print.env
if ./install.sh 2>/tmp/refused; then say "install.sh ran a changed bundle"; exit 1; fi
grep -q 'the bundle is damaged or was changed' /tmp/refused || { cat /tmp/refused; exit 1; }
sed -i '$d' shikaku-print.env
[ ! -e /opt/shikaku-print ] || { say "a refused install.sh installed something"; exit 1; }
say "install.sh refused Debian 11 and a changed bundle, installing nothing"
start=$(date +%s)
./install.sh
echo "install_seconds=$(($(date +%s) - start))" >>/tmp/figures
command -v shikaku-print >/dev/null
! command -v redis-server >/dev/null || { say "redis-server was installed without --cluster"; exit 1; }
stat -c '%a %U' /var/lib/shikaku-print | grep -qx '700 shikaku-print' || { say "the data folder is not 0700 shikaku-print"; exit 1; }
check_samples
check_goldens
say "the service, as its user, with the installed settings"
set -a
. /etc/shikaku-print/shikaku-print.env
set +a
export SHIKAKU_DATA_DIR=/var/lib/shikaku-print SHIKAKU_INSURERS_DIR=/etc/shikaku-print/insurers PORT=18080
check_service shikaku-print /usr/local/bin/shikaku-print serve --host 127.0.0.1
say "uninstall.sh, then install.sh again"
/tmp/shikaku-print-*-debian12-amd64/uninstall.sh
[ ! -e /opt/shikaku-print ] && [ ! -e /usr/local/bin/shikaku-print ] && [ -d /var/lib/shikaku-print ] ||
  { say "uninstall.sh left the program or took the data"; exit 1; }
/tmp/shikaku-print-*-debian12-amd64/install.sh >/dev/null 2>&1
shikaku-print --version >/dev/null
say "passed"
INSIDE
say "inside the root, the network cut: install.sh, goldens, the service"
inside "$root" /tmp/inside.sh || {
  tail -20 "$root/tmp/serve.log" 2>/dev/null || true
  die "the install or a check inside failed (above)"
}
t3=$(date +%s)
# shellcheck disable=SC1091
. "$root/tmp/figures"
install_golden=$golden_seconds

# ---- the image ---------------------------------------------------------------------------------------
say "the image's config and layer (skopeo inspect)"
skopeo inspect --config "docker-archive:$img" >"$work/config.json"
node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const want = (what, got, expected) => {
    if (JSON.stringify(got) !== JSON.stringify(expected))
      throw new Error(`the image has ${what} ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  };
  want("entrypoint", c.config.Entrypoint, ["/opt/shikaku-print/node/bin/node", "/opt/shikaku-print/app/bin/shikaku-print.js"]);
  want("command", c.config.Cmd, ["serve"]);
  want("user", c.config.User, "shikaku-print");
  want("exposed ports", Object.keys(c.config.ExposedPorts ?? {}), ["8080/tcp"]);
  want("volumes", Object.keys(c.config.Volumes ?? {}), ["/var/lib/shikaku-print"]);
  want("layers", c.rootfs.diff_ids.length, 1);
  want("layer digest", c.rootfs.diff_ids[0], fs.readFileSync(process.argv[2], "utf8").trim());
  console.error(`test:bundle: the image runs ${c.config.Entrypoint.join(" ")} ${c.config.Cmd.join(" ")} as ${c.config.User}, port ${Object.keys(c.config.ExposedPorts)}, layer ${c.rootfs.diff_ids[0]}`);
' "$work/config.json" "dist/shikaku-print-$version-oci.rootfs.sha256"
# podman takes the archive as it is (podman load), and reads the same config from what it loaded. It
# cannot start a container on this machine (crun may not set RLIMIT_NOFILE here): the checks run in the
# image's unpacked root below.
command -v podman >/dev/null || {
  say "installing podman (to load the image as a user would)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman >&2
}
pod=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver vfs)
"${pod[@]}" load -q -i "$img" >&2
got=$("${pod[@]}" image inspect "shikaku-print:$version" --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.User}}')
[ "$got" = '["/opt/shikaku-print/node/bin/node","/opt/shikaku-print/app/bin/shikaku-print.js"] ["serve"] shikaku-print' ] ||
  die "podman loaded an image with entrypoint, command and user $got"
say "podman load took the image: $got"
"${pod[@]}" rmi -a >/dev/null 2>&1 || true
say "the image's root file system (umoci unpack), network cut: goldens, its entrypoint as its user"
skopeo copy --quiet "docker-archive:$img" "oci:$work/oci:test" >&2
umoci unpack --image "$work/oci:test" "$work/image" >&2
cp "$work/checks.sh" "$work/image/rootfs/tmp/checks.sh"
cat >"$work/image/rootfs/tmp/image-inside.sh" <<'IMAGE'
set -eu
. /tmp/checks.sh
# A cluster's Redis comes from the image too (dist/compose.yaml): no image is pulled.
redis-server --version >/dev/null || { say "the image has no redis-server"; exit 1; }
check_goldens
# The image's own config: its environment, entrypoint, command and user.
export PORT=8080 SHIKAKU_DATA_DIR=/var/lib/shikaku-print SHIKAKU_INSURERS_DIR=/etc/shikaku-print/insurers
check_service shikaku-print /opt/shikaku-print/node/bin/node /opt/shikaku-print/app/bin/shikaku-print.js serve
say "passed"
IMAGE
inside "$work/image/rootfs" /tmp/image-inside.sh || {
  tail -20 "$work/image/rootfs/tmp/serve.log" 2>/dev/null || true
  die "a check inside the image's root failed (above)"
}
# shellcheck disable=SC1091
. "$work/image/rootfs/tmp/figures"
t4=$(date +%s)
say "passed: archive $(du -h "$archive" | cut -f1) ($(stat -c %s "$archive") bytes), image $(du -h "$img" | cut -f1) ($(stat -c %s "$img") bytes); built in $((t1 - t0)) s; minimal root $((t2 - t1)) s; on it: install.sh ${install_seconds} s, goldens ${install_golden} s; in the image's root: goldens ${golden_seconds} s; all $((t4 - t0)) s"

#!/bin/sh
# Removes what install.sh installed: the service and its unit, the command, /opt/shikaku-print. The data
# folder /var/lib/shikaku-print (jobs, registered-mail numbers) and the settings in /etc/shikaku-print stay
# unless --purge is given. The Debian packages stay (other programs may use them); packages.txt lists them.
set -eu
[ "$(id -u)" -eq 0 ] || { echo 'uninstall: run as root' >&2; exit 1; }
if [ -d /run/systemd/system ]; then systemctl disable --now shikaku-print 2>/dev/null || true; fi
rm -f /etc/systemd/system/shikaku-print.service /usr/local/bin/shikaku-print
rm -rf /opt/shikaku-print
if [ "${1:-}" = --purge ]; then
  rm -rf /var/lib/shikaku-print /etc/shikaku-print
  userdel shikaku-print 2>/dev/null || true
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo 'uninstall: removed shikaku-print' >&2

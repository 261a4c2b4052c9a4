#!/bin/sh
# Starts Chromium so that it dies with the process that launched it.
#
# puppeteer starts Chromium detached, in a process group of its own, so nothing ends it when node is killed
# with SIGKILL: the browser, its zygotes, GPU, utility and renderer processes used to live on under init.
# setpriv (util-linux, essential in Debian) asks the kernel for a SIGKILL when the parent dies
# (prctl PR_SET_PDEATHSIG) and then execs, and so does this script: the pid puppeteer holds stays the
# browser's. The browser's own children end when their pipe to it closes.
#
# puppeteer runs this file in Chromium's place with Chromium's arguments; engine/browser/chromium.ts names
# the real binary in SHIKAKU_PRINT_CHROMIUM.
exec /usr/bin/setpriv --pdeathsig KILL -- "$SHIKAKU_PRINT_CHROMIUM" "$@"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make install DESTDIR=...` puts every file where README and etc/README.md
# say, and `make uninstall` takes them away again. Run by `make check`, which
# passes the configured directories in the environment.
set -eu
: "${VFIOBIND_BUILDDIR:?run from make check}"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make=${MAKE:-make}

"$make" -s -C "$VFIOBIND_BUILDDIR" install DESTDIR="$dest" >/dev/null

pass=0 fail=0
expect() {
	if [ -e "$dest$1" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: not installed: $1"
		fail=$((fail + 1))
	fi
}
expect "$VB_SBINDIR/vfiobindd"
expect "$VB_BINDIR/vfiobind"
expect "$VB_MANDIR/man8/vfiobindd.8"
expect "$VB_MANDIR/man1/vfiobind.1"
expect "$VB_MANDIR/man5/vfiobind.conf.5"
expect "$VB_SYSCONFDIR/vfiobind/vfiobind.conf.example"
expect "$VB_UNITDIR/vfiobindd.service"
expect "$VB_MODULESLOADDIR/vfio-pci.conf"
expect "$VB_COMPLETIONDIR/vfiobind"

# The installed unit runs the installed daemon, and no real config is installed.
if grep -q "^ExecStart=$VB_SBINDIR/vfiobindd" "$dest$VB_UNITDIR/vfiobindd.service"; then
	pass=$((pass + 1))
else
	echo "FAIL: ExecStart does not name $VB_SBINDIR/vfiobindd"
	fail=$((fail + 1))
fi
if [ -e "$dest$VB_SYSCONFDIR/vfiobind/vfiobind.conf" ]; then
	echo "FAIL: make install wrote a real vfiobind.conf"
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi

"$make" -s -C "$VFIOBIND_BUILDDIR" uninstall DESTDIR="$dest" >/dev/null
left=$(find "$dest" -type f | head -5)
if [ -n "$left" ]; then
	echo "FAIL: left after uninstall: $left"
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-startup-libs.sh: vfiobindd and vfiobind start without libkmod and
# what it brings (libcrypto, libzstd, liblzma): libkmod is opened on first
# use (system/kmod-dl.h). Mapping and relocating those was most of the
# dynamic loader's work at every start; a link flag or a new direct call
# that brings them back fails here. The objects a program needs are read
# from its ELF dynamic section (readelf, binutils) and from what the
# dynamic loader maps for it (ldd).
set -eu
builddir=${VFIOBIND_BUILDDIR:-.}
heavy='libkmod|libcrypto|libzstd|liblzma'
fail=0
for prog in daemon/vfiobindd client/vfiobind; do
	bin=$builddir/$prog
	[ -x "$bin" ] || { echo "check-startup-libs: $bin is not built" >&2; exit 1; }
	needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	[ -n "$needed" ] || { echo "check-startup-libs: no NEEDED entries read from $bin" >&2; exit 1; }
	if echo "$needed" | grep -Eq "^($heavy)"; then
		echo "FAIL: $prog needs $(echo "$needed" | grep -E "^($heavy)" | tr '\n' ' ')at start" >&2
		fail=1
	fi
	mapped=$(ldd "$bin" | awk '{print $1}')
	if echo "$mapped" | grep -Eq "^($heavy)"; then
		echo "FAIL: $prog maps $(echo "$mapped" | grep -E "^($heavy)" | tr '\n' ' ')at start" >&2
		fail=1
	fi
	# ...and still calls libkmod: by name, through dlsym.
	if ! grep -aq 'kmod_module_new_from_lookup' "$bin"; then
		echo "FAIL: $prog does not name libkmod's functions (not opened on use either?)" >&2
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "ok: vfiobindd and vfiobind start without libkmod, libcrypto, libzstd, liblzma"
exit $fail

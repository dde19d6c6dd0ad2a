#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-layers.sh: the arrows between folders only ever point down.
#
#   protocol/  may include protocol/
#   logic/     protocol/, logic/
#   system/    protocol/, logic/, system/ (the probe half never the act half)
#   daemon/    all of the above, daemon/
#   client/    protocol/, logic/, the probe half of system/, client/; never daemon/
#
# and the vfiobind binary holds nothing of the act half (it links the reading
# half of the system layer for `check`, never the code that writes sysfs).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${VFIOBIND_BUILDDIR:-.}
cd "$top"

# The act half of system/: what only the daemon may link.
act_sources="system/sysfs.c system/bind.c system/modules.c system/confedit-file.c"
act_headers="sysfs.h bind.h confedit-file.h"

where() { # header name -> the folder that has it
	for d in protocol logic system daemon client; do
		[ -f "$d/$1" ] && { echo "$d"; return; }
	done
	echo "?"
}

allowed() { # source folder -> folders it may include
	case $1 in
	protocol) echo "protocol" ;;
	logic) echo "protocol logic" ;;
	system) echo "protocol logic system" ;;
	daemon) echo "protocol logic system daemon" ;;
	client) echo "protocol logic system client" ;;
	esac
}

bad=0
for f in $(find protocol logic system daemon client -name '*.[ch]' | sort); do
	layer=${f%%/*}
	is_probe=no
	case " $act_sources " in *" ${f%.[ch]}.c "*) ;; *) [ "$layer" = system ] && is_probe=yes ;; esac
	for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		d=$(where "$(basename "$h")")
		case " $(allowed "$layer") " in
		*" $d "*) ;;
		*) echo "check-layers: $f includes $h ($d/): $layer/ may not point there"; bad=1 ;;
		esac
		case " $act_headers " in
		*" $(basename "$h") "*)
			if [ "$layer" = client ] || [ "$is_probe" = yes ]; then
				echo "check-layers: $f includes $h: only the daemon and the act half use the writers"
				bad=1
			fi ;;
		esac
	done
done

# The client binary: no symbol of the writing half linked in.
bin="$builddir/client/vfiobind"
if [ -f "$bin" ] && command -v nm >/dev/null; then
	for s in sysfs_write bind_device bind_restore bind_set_numvfs modules_kmod_new \
		confedit_file_add confedit_write_atomic; do
		if nm "$bin" 2>/dev/null | awk '$2 ~ /^[TtDdRrBb]$/ { print $3 }' | grep -qx "$s"; then
			echo "check-layers: client/vfiobind links $s (the act half)"
			bad=1
		fi
	done
fi
[ "$bad" -eq 0 ] && echo "check-layers: every include points down; vfiobind links no writer"
exit "$bad"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Entry of a systemd boot (vmtest.init=systemd): run by vmtest-runner.service
# (guest/systemd-setup.sh) once vfiobindd.service is started and udev's
# coldplug was triggered.  Same contract as guest/runner.sh: every scenario
# ends with "VMTEST-RESULT name=NAME rc=RC" on the console and "NAME RC" in
# /run/vmtest/results.  The unit powers the guest off when this returns.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 LC_ALL=C.UTF-8
VMTEST_SHARE=/run/vmtest
# shellcheck source=/dev/null
. "$VMTEST_SHARE/env"
export HOME=/tmp/home TERM=${VMTEST_TERM:-vt100}
mkdir -p "$HOME" "$VMTEST_SHARE/out"
export VMTEST_SHARE VMTEST_LIB=$VFIOBIND_SRCDIR/tests/vm/guest/lib.sh VMTEST_INIT=systemd

udevadm settle --timeout=60 || echo "VMTEST: udevadm settle timed out"
up=$(cut -d' ' -f1 /proc/uptime)
echo "VMTEST-BOOTED uptime=$up (systemd)"
printf '%s\n' "$up" >"$VMTEST_SHARE/booted"

for path in "${VMTEST_SCENARIOS[@]}"; do
	name=$(basename "$path" .sh)
	tmo=$(sed -n 's/^# *vm-timeout: *//p' "$path" | head -n1)
	tmo=${tmo:-${VMTEST_SCENARIO_TIMEOUT:-120}}
	export VMTEST_NAME=$name VMTEST_WORKDIR=/tmp/vmtest/$name VMTEST_OUT=$VMTEST_SHARE/out/$name
	mkdir -p "$VMTEST_WORKDIR" "$VMTEST_OUT"
	echo "VMTEST-BEGIN name=$name"
	t0=$(date +%s%N)
	# timeout(1) runs the scenario in a process group of its own and
	# signals the whole group when time is up.
	(cd "$VMTEST_WORKDIR" && exec timeout -k 5 "$tmo" bash "$path")
	rc=$?
	((rc == 124)) && echo "VMTEST: $name timed out after ${tmo}s"
	t0=$((($(date +%s%N) - t0) / 1000000))
	echo "VMTEST-RESULT name=$name rc=$rc time=$((t0 / 1000)).$(printf '%03d' $((t0 % 1000)))s"
	printf '%s %s\n' "$name" "$rc" >>"$VMTEST_SHARE/results"
	sync
done
echo "VMTEST-DONE"

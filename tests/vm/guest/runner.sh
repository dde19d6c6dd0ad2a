#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Entry script of a guest boot, run by the initramfs's /init after it chrooted
# into the host root (read-only 9p).  Reads /run/vmtest/env (written by
# vm.sh), starts systemd-udevd so real uevents flow, then either runs the
# scenarios listed there one after another or gives an interactive shell.
# Every scenario ends with a console line "VMTEST-RESULT name=NAME rc=RC" and a
# line "NAME RC" in /run/vmtest/results, which the host reads.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 LC_ALL=C.UTF-8
# udevadm trigger/settle refuse to act in a chroot unless told otherwise.
export SYSTEMD_IGNORE_CHROOT=1
VMTEST_SHARE=/run/vmtest
# shellcheck source=/dev/null
. "$VMTEST_SHARE/env"
export HOME=/tmp/home TERM=${VMTEST_TERM:-vt100}
mkdir -p "$HOME"
hostname vfiobind-vm 2>/dev/null || true

runner_start_udev() {
	local udevd
	for udevd in /usr/lib/systemd/systemd-udevd /lib/systemd/systemd-udevd; do
		[[ -x $udevd ]] && break
	done
	"$udevd" --daemon || {
		echo "VMTEST: systemd-udevd failed to start"
		return 1
	}
	echo "VMTEST: udevd started at $(cut -d' ' -f1 /proc/uptime)"
	# Coldplug: by default only PCI (what the daemon watches; the net, nvme,
	# vfio devices the drivers create then come as real add events).  "all"
	# replays every device, as a real boot does (several seconds more).
	if [[ ${VMTEST_UDEV_TRIGGER:-pci} == all ]]; then
		udevadm trigger --type=subsystems --action=add
		udevadm trigger --type=devices --action=add
	else
		udevadm trigger --type=devices --action=add --subsystem-match=pci
	fi
	udevadm settle --timeout=60 || echo "VMTEST: udevadm settle timed out"
}

# The header value "# vm-KEY: VALUE" of a scenario file.
runner_header() {
	sed -n "s/^# *vm-$2: *//p" "$1" | head -n1
}

# runner_scenario PATH: runs one scenario in its own process group with a
# fresh work dir and a timeout; records its exit code.
runner_scenario() {
	local path=$1 name rc tmo pid wd
	name=$(basename "$path" .sh)
	tmo=$(runner_header "$path" timeout)
	tmo=${tmo:-${VMTEST_SCENARIO_TIMEOUT:-120}}
	# A longer run of a scenario (the soak) raises its own timeout.
	((tmo >= ${VMTEST_SCENARIO_TIMEOUT_MIN:-0})) || tmo=$VMTEST_SCENARIO_TIMEOUT_MIN
	export VMTEST_NAME=$name
	export VMTEST_WORKDIR=/tmp/vmtest/$name
	export VMTEST_OUT=$VMTEST_SHARE/out/$name
	mkdir -p "$VMTEST_WORKDIR" "$VMTEST_OUT"
	echo "VMTEST-BEGIN name=$name"
	t0=$(date +%s%N)
	# set -m: the scenario gets a process group of its own, so a timeout or
	# a daemon it left behind can be ended as a group.
	set -m
	(cd "$VMTEST_WORKDIR" && exec bash "$path") &
	pid=$!
	(
		sleep "$tmo"
		echo "VMTEST: $name timed out after ${tmo}s"
		kill -TERM -- "-$pid" 2>/dev/null
		sleep 5
		kill -KILL -- "-$pid" 2>/dev/null
	) &
	wd=$!
	set +m
	wait "$pid"
	rc=$?
	kill -- "-$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	kill -TERM -- "-$pid" 2>/dev/null && sleep 0.2
	kill -KILL -- "-$pid" 2>/dev/null
	t0=$((($(date +%s%N) - t0) / 1000000))
	echo "VMTEST-RESULT name=$name rc=$rc time=$((t0 / 1000)).$(printf '%03d' $((t0 % 1000)))s"
	printf '%s %s\n' "$name" "$rc" >>"$VMTEST_SHARE/results"
	sync
}

runner_interactive() {
	export PS1='vfiobind-vm:\w# '
	[[ -n ${VMTEST_ROWS:-} ]] && stty rows "$VMTEST_ROWS" cols "${VMTEST_COLS:-80}" </dev/ttyS0
	cat <<EOF

  vfiobind demo VM (kernel $(uname -r), profile: $VMTEST_PROFILE)
  daemon:  \$VFIOBINDD = $VFIOBINDD
  client:  \$VFIOBIND  = $VFIOBIND
  helpers: . \$VMTEST_LIB   (vm_host "device_add ...", pci_driver BDF, ...)
  lspci -nnk, ls /sys/kernel/iommu_groups, cat /proc/cmdline
  Leave with 'exit' (powers the VM off) or Ctrl-A x.

EOF
	cd "$VFIOBIND_SRCDIR" 2>/dev/null || cd /tmp || true
	setsid -c bash --norc -i </dev/ttyS0 >/dev/ttyS0 2>&1
}

export VMTEST_SHARE
export VMTEST_LIB=$VFIOBIND_SRCDIR/tests/vm/guest/lib.sh
mkdir -p "$VMTEST_SHARE/out"
runner_start_udev
up=$(cut -d' ' -f1 /proc/uptime)
echo "VMTEST-BOOTED uptime=$up"
printf '%s\n' "$up" >"$VMTEST_SHARE/booted"

if [[ $VMTEST_MODE == interactive ]]; then
	runner_interactive
	exit 0
fi
for s in "${VMTEST_SCENARIOS[@]}"; do
	runner_scenario "$s"
done
echo "VMTEST-DONE"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boots one QEMU guest (TCG, q35, emulated Intel IOMMU) on a Debian kernel,
# with the host root shared read-only over virtio-9p, and runs scenario
# scripts in it one after another -- or gives an interactive shell.
#
# usage: vm.sh [--profile "nics=2 nvme=1 rootports=2"] [--timeout SEC]
#              [--results FILE] [--out DIR] [--keep] [--verbose] SCENARIO...
#        vm.sh --interactive [--profile ...]
#
# Prints "PASS name" / "FAIL name" / "SKIP name" per scenario (and appends
# "name rc" lines to --results FILE; --out DIR gets a copy of what the
# scenarios left in \$VMTEST_OUT, one folder each); exits 0 iff none failed, 77 if the VM
# cannot be had.  While the guest runs, its monitor is at $run/qmp.sock; the
# guest asks for monitor commands through files in the share (see
# guest/lib.sh vm_host), which this script serves.
set -euo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	sed -n 's/^# \{0,1\}//; 2,/^$/p' "$0" | sed -n '/^usage/,/^$/p' >&2
	exit 2
}

profile="" interactive=0 timeout="" results="" outdir="" keep=0 verbose=${VFIOBIND_VM_VERBOSE:-0}
scenarios=()
while (($#)); do
	case $1 in
	--profile) profile=$2 && shift ;;
	--interactive) interactive=1 ;;
	--timeout) timeout=$2 && shift ;;
	--results) results=$2 && shift ;;
	--out) outdir=$2 && shift ;;
	--keep) keep=1 ;;
	-v | --verbose) verbose=1 ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) scenarios+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")") ;;
	esac
	shift
done
((interactive || ${#scenarios[@]})) || usage

# Kernel, initramfs, packages.
"$VM_DIR/prepare.sh" --quiet || exit $?
# shellcheck source=/dev/null
. "$VM_CACHE/vm.env"

if [[ -z $profile ]]; then
	if ((interactive)); then
		profile=$VM_DEMO_PROFILE
	else
		profile=$(vm_scenario_profile "${scenarios[0]}")
	fi
fi
profile=$(vm_profile_canon "$profile")
vm_profile_parse "$profile"

run=$(mktemp -d "${TMPDIR:-/tmp}/vfiobind-vm.XXXXXX")
share=$run/share
mkdir -p "$share/scenarios" "$share/req" "$share/out"
export VM_QMP=$run/qmp.sock
console=$run/console.log
qemu_pid=""

# shellcheck disable=SC2317 # (invoked by the trap)
cleanup() {
	if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true
	fi
	if ((keep)); then
		vm_log "kept $run"
	else
		rm -rf "$run"
	fi
}
trap cleanup EXIT

# Scenarios are copied into the share so that any path works.
guest_scenarios=()
for s in "${scenarios[@]}"; do
	cp "$s" "$share/scenarios/"
	guest_scenarios+=("/run/vmtest/scenarios/$(basename "$s")")
done

# What the guest runner reads (guest/runner.sh).
{
	printf 'VMTEST_MODE=%q\n' "$( ((interactive)) && echo interactive || echo batch)"
	printf 'VMTEST_SCENARIOS=('
	printf '%q ' "${guest_scenarios[@]}"
	printf ')\n'
	printf 'export VMTEST_SCENARIO_TIMEOUT=%q\n' "${VFIOBIND_VM_SCENARIO_TIMEOUT:-120}"
	printf 'export VMTEST_SCENARIO_TIMEOUT_MIN=%q\n' "${VFIOBIND_VM_SCENARIO_TIMEOUT_MIN:-0}"
	# The fault soak's length (scenarios/52-daemon-soak.sh, tests/vm/soak.sh).
	printf 'export VMTEST_SOAK_ROUNDS=%q VMTEST_SOAK_SEED=%q\n' \
		"${VFIOBIND_SOAK_ROUNDS:-}" "${VFIOBIND_SOAK_SEED:-}"
	printf 'export VMTEST_PROFILE=%q\n' "$profile"
	printf 'export VMTEST_NICS=%q VMTEST_NVME=%q VMTEST_VIRTIO=%q VMTEST_ROOTPORTS=%q\n' \
		"$VM_P_NICS" "$VM_P_NVME" "$VM_P_VIRTIO" "$VM_P_RP"
	printf 'export VMTEST_NVMENS=%q\n' "$VM_P_NVMENS"
	printf 'export VMTEST_VFS=%q VMTEST_VFS2=%q\n' "$VM_P_VFS" "$VM_P_VFS2"
	printf 'export VFIOBIND_SRCDIR=%q VFIOBIND_BUILDDIR=%q\n' "$VM_SRCDIR" "$VM_BUILDDIR"
	printf 'export VFIOBINDD=%q VFIOBIND=%q\n' \
		"$VM_BUILDDIR/daemon/vfiobindd" "$VM_BUILDDIR/client/vfiobind"
	printf 'export VMTEST_TERM=%q\n' "${TERM:-vt100}"
	printf 'export VMTEST_UDEV_TRIGGER=%q\n' "${VFIOBIND_VM_UDEV_TRIGGER:-pci}"
	# A drop-in for vfiobindd.service in a systemd boot (guest/systemd-setup.sh).
	printf 'VMTEST_UNIT_DROPIN=%q\n' "${VFIOBIND_VM_UNIT_DROPIN:-}"
	if ((interactive)) && size=$(stty size 2>/dev/null); then
		printf 'export VMTEST_ROWS=%q VMTEST_COLS=%q\n' "${size% *}" "${size#* }"
	fi
} >"$share/env"

# "# vm-init: systemd" (first scenario): systemd is the guest's PID 1 and runs
# the scenarios from a unit (guest/systemd-setup.sh); give such a scenario
# "# vm-boot: own" too.
if ((!interactive)) && [[ $(sed -n 's/^# *vm-init: *//p' "${scenarios[0]}" | head -n1) == systemd ]]; then
	VM_CMDLINE_EXTRA="vmtest.init=systemd${VM_CMDLINE_EXTRA:+ $VM_CMDLINE_EXTRA}"
fi
rodirs=("$VM_SRCDIR")
[[ $VM_BUILDDIR == "$VM_SRCDIR" || $VM_BUILDDIR == "$VM_SRCDIR"/* ]] || rodirs+=("$VM_BUILDDIR")
vm_qemu_args "$profile" "$share" "${rodirs[@]}"
VM_QEMU_ARGS+=(-qmp "unix:$VM_QMP,server=on,wait=off" -pidfile "$run/qemu.pid")

# Serves the guest's monitor requests (req/ID.req -> req/ID.out, req/ID.rc).
serve_requests() {
	local f base cmd rc
	for f in "$share"/req/*.req; do
		[[ -e $f ]] || return 0
		base=${f%.req}
		mv "$f" "$base.work"
		cmd=$(<"$base.work")
		rc=0
		vm_monitor "$cmd" >"$base.out" 2>&1 || rc=$?
		vm_log "guest asked: $cmd -> rc=$rc"
		printf '%s\n' "$rc" >"$base.rc.tmp"
		mv "$base.rc.tmp" "$base.rc"
	done
}

if ((interactive)); then
	vm_log "profile: $profile; quit with 'exit' in the guest or Ctrl-A x"
	vm_log "monitor: VM_QMP=$VM_QMP (. tests/vm/lib.sh; vm_monitor 'info pci')"
	(
		while [[ ! -e $run/exited ]]; do
			serve_requests
			sleep 0.2
		done
	) &
	server=$!
	rc=0
	qemu-system-x86_64 "${VM_QEMU_ARGS[@]}" -display none -serial mon:stdio || rc=$?
	touch "$run/exited"
	wait "$server" || true
	exit "$rc"
fi

# Batch: QEMU in the background, console to a file, this loop serves requests
# and watches the clock.
: "${timeout:=${VFIOBIND_VM_TIMEOUT:-$((60 + 150 * ${#scenarios[@]}))}}"
start=$(date +%s%N)
qemu-system-x86_64 "${VM_QEMU_ARGS[@]}" -display none \
	-chardev "file,id=con0,path=$console" -serial chardev:con0 </dev/null >"$run/qemu.out" 2>&1 &
qemu_pid=$!
if ((verbose)); then
	tail -F -n +1 "$console" >&2 2>/dev/null &
	tail_pid=$!
fi
booted="" timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	serve_requests
	if [[ -z $booted && -e $share/booted ]]; then
		booted=$((($(date +%s%N) - start) / 1000000))
		vm_log "guest script started $((booted / 1000)).$(printf '%03d' $((booted % 1000)))s after QEMU start (guest uptime $(<"$share/booted")s)"
	fi
	if (((($(date +%s%N) - start) / 1000000000) > timeout)); then
		vm_log "timeout after ${timeout}s: stopping QEMU"
		timed_out=1
		kill "$qemu_pid" 2>/dev/null || true
	fi
	sleep 0.1
done
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
[[ -n ${tail_pid:-} ]] && { kill "$tail_pid" 2>/dev/null || true; }
total=$((($(date +%s%N) - start) / 1000000))
vm_log "VM ran $((total / 1000)).$(printf '%03d' $((total % 1000)))s (qemu rc=$qemu_rc)"

if [[ -n $outdir ]]; then
	mkdir -p "$outdir"
	cp -R "$share/out/." "$outdir/"
fi

# Results: a scenario without a result line failed (crash, timeout).
failed=0
for s in "${scenarios[@]}"; do
	name=$(basename "$s" .sh)
	rc=$(awk -v n="$name" '$1 == n { r = $2 } END { print r }' "$share/results" 2>/dev/null || true)
	if [[ -z $rc ]]; then
		rc=125
		((timed_out)) && rc=124
	fi
	case $rc in
	0) echo "PASS $name" ;;
	77) echo "SKIP $name" ;;
	*)
		echo "FAIL $name (rc=$rc)"
		failed=1
		;;
	esac
	[[ -z $results ]] || printf '%s %s\n' "$name" "$rc" >>"$results"
done
if ((failed)); then
	{
		echo "---- guest console ($console) ----"
		cat "$console" 2>/dev/null || true
		echo "---- qemu output ----"
		cat "$run/qemu.out" 2>/dev/null || true
		echo "---- end ----"
	} >&2
	keep=1
	exit 1
fi
exit 0

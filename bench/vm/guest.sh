# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# guest.sh: the VM bench inside the guest (sourced by the scenario that
# bench/vm/run.sh writes, which sets the BENCH_* variables below). In this one
# boot: the floor (bench/vm/floor), vfiobindd by config edit, by `vfiobind
# add`, by --once, driverctl --nosave and dpdk-devbind.py move NICs and NVMe
# VFs to vfio-pci and back at several N, each timed by bench/vm/linkwatch
# from the command (or the config's rename) until every driver link is right;
# then reaction latencies (a hand rebind, a config save, a hot-plug) and the
# diagnostics that say where the time goes (guest-diag.sh). One JSON object
# a line in $VMTEST_OUT/results.jsonl; bench/vm/report.py makes the tables.
#
# BENCH_RUNS       runs per tool, workload and N (median of them; 3)
# BENCH_NICS       numbers of e1000e NICs to move ("1 2 4 8")
# BENCH_VFS_NVME   numbers of VFs that start on nvme ("8 16 32")
# BENCH_VFS_NONE   numbers of VFs that start driverless ("8 32 120")
# BENCH_TOOLS      "floor edit edit0 add once driverctl dpdk" (edit0: the
#                  config edit with --release-grace 0: what a release costs
#                  without the wait the shipped default adds on purpose)
# BENCH_BUDGET_MS  a peer (driverctl, dpdk) whose run there and back took
#                  longer gets no more runs at that N (20000); the floor and
#                  vfiobindd always get every run
# BENCH_DAEMON_ARGS  more vfiobindd options (none: the shipped defaults)
# BENCH_DIAG       1: also the diagnostics (1)
set -uo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

: "${BENCH_RUNS:=3}" "${BENCH_NICS:=1 2 4 8}" "${BENCH_VFS_NVME:=8 16 32}"
: "${BENCH_VFS_NONE:=8 32 120}" "${BENCH_TOOLS:=floor edit edit0 add once driverctl dpdk}"
: "${BENCH_BUDGET_MS:=20000}" "${BENCH_DAEMON_ARGS:=}" "${BENCH_DIAG:=1}"
BIN=$VFIOBIND_BUILDDIR/bench/vm
FLOOR=$BIN/floor LW=$BIN/linkwatch
W=$VMTEST_WORKDIR
RES=$VMTEST_OUT/results.jsonl
LOGS=$W/logs
mkdir -p "$LOGS"
: >"$RES"

# --- small helpers (builtins where they run often) ---------------------------

# The elapsed milliseconds since a $EPOCHREALTIME mark, as an integer.
ms_since() {
	local now=${EPOCHREALTIME/./} then=${1/./}
	echo $(((now - then) / 1000))
}

# record JSON: one result line.
record() { printf '%s\n' "$1" >>"$RES"; }

# The BDFs of a PF's first N VFs, in VF order (virtfn0, 1, ...).
vfs_of() {
	local pf=$1 n=$2 i d
	for ((i = 0; i < n; i++)); do
		d=$(cd -P "/sys/bus/pci/devices/$pf/virtfn$i" 2>/dev/null && pwd) || return 1
		printf '%s\n' "${d##*/}"
	done
}

# lines_into NAME CMD...: the output lines of CMD into the array NAME (the
# guest has no /dev/fd, so no "< <(...)").
# shellcheck disable=SC2034 # (arr: a nameref to the caller's array)
lines_into() {
	local -n arr=$1
	local out
	shift
	out=$("$@") || true
	arr=()
	[[ -z $out ]] || mapfile -t arr <<<"$out"
}

# The PF of QEMU's NVMe (1b36:0010) behind the root port at 00:01.0 (the
# profile's vfs2= controller) with "second", else the other one.
nvme_pf() {
	local b path
	for b in $(pci_find 1b36 0010); do
		[[ -e /sys/bus/pci/devices/$b/sriov_totalvfs ]] || continue
		path=$(cd -P "/sys/bus/pci/devices/$b" && pwd)
		if [[ $path == */0000:00:01.0/* ]]; then
			[[ $1 == second ]] && { echo "$b"; return 0; }
		else
			[[ $1 == first ]] && { echo "$b"; return 0; }
		fi
	done
	return 1
}

# Wait (outside any timing) until every BDF is on DRIVER ("-": none).
settle_on() {
	local want=$1
	shift
	"$LW" -t 60 -e "$want" "$@" >/dev/null
}

# Put every BDF back on FROM with no override left, as the workload starts.
reset_devs() {
	local from=$1 b d wrong=()
	shift
	for b in "$@"; do
		d=/sys/bus/pci/devices/$b
		[[ $(<"$d/driver_override") == "(null)" ]] || printf '\n' >"$d/driver_override"
		[[ $(pci_driver "$b") == "${from/#-/}" ]] || wrong+=("$b")
	done
	((${#wrong[@]} == 0)) || "$FLOOR" back "${wrong[@]}" 2>>"$LOGS/reset.log"
	settle_on "$from" "$@" || vm_say "reset: not all back on $from: $*"
	udevadm settle -t 10 2>/dev/null
}

# --- the guest's devices -----------------------------------------------------

setup_devices() {
	local nv fns
	modprobe vfio-pci || vm_fail "modprobe vfio-pci"
	lines_into NICS pci_find 8086 10d3
	PF_A="" PF_B="" VFS_A=() VFS_B=()
	# VFs that start on nvme: created without autoprobe (nvme would fail on
	# them), given queues and interrupts, then probed.
	if PF_A=$(nvme_pf first); then
		nv=$VMTEST_VFS
		printf 0 >"/sys/bus/pci/devices/$PF_A/sriov_drivers_autoprobe"
		printf '%s' "$nv" >"/sys/bus/pci/devices/$PF_A/sriov_numvfs" ||
			vm_fail "sriov_numvfs $nv on $PF_A"
		lines_into VFS_A vfs_of "$PF_A" "$nv"
		"$BIN/nvme-vf-online" "$PF_A" "$nv" || vm_say "nvme-vf-online failed"
		printf 1 >"/sys/bus/pci/devices/$PF_A/sriov_drivers_autoprobe"
		"$FLOOR" back "${VFS_A[@]}"
		settle_on nvme "${VFS_A[@]}" || vm_say "not every VF of $PF_A is on nvme"
	fi
	# VFs that start driverless: sriov_drivers_autoprobe 0, as VFs meant for
	# VMs are often made (and as QEMU's VFs without resources end anyway).
	if ((${VMTEST_VFS2:-0})) && PF_B=$(nvme_pf second); then
		printf 0 >"/sys/bus/pci/devices/$PF_B/sriov_drivers_autoprobe"
		printf '%s' "$VMTEST_VFS2" >"/sys/bus/pci/devices/$PF_B/sriov_numvfs" ||
			vm_fail "sriov_numvfs $VMTEST_VFS2 on $PF_B"
		lines_into VFS_B vfs_of "$PF_B" "$VMTEST_VFS2"
	fi
	udevadm settle -t 60 2>/dev/null
	fns=(/sys/bus/pci/devices/*)
	vm_say "NICs: ${#NICS[@]}; $PF_A: ${#VFS_A[@]} VFs; $PF_B: ${#VFS_B[@]} VFs"
	record "{\"kind\":\"setup\",\"nics\":${#NICS[@]},\"pf_nvme\":\"$PF_A\",\"vfs_nvme\":${#VFS_A[@]},\"pf_none\":\"$PF_B\",\"vfs_none\":${#VFS_B[@]},\"kernel\":\"$(uname -r)\",\"functions\":${#fns[@]},\"cpus\":$(nproc)}"
}

# --- the tools ---------------------------------------------------------------
# tool_cmd TOOL DIR: fills LWARGS (linkwatch options and the command after
# the BDFs) for moving the workload's BDFS (WL_PF: their PF, WL_FROM: the
# driver they start on, "-" none) to vfio-pci (DIR=to) or back.

CFG_D=$W/daemon.conf RUN_D=$W/run-daemon SOCK=$W/run-daemon/vfiobind.sock
CFG_O=$W/once.conf RUN_O=$W/run-once
mkdir -p "$RUN_D" "$RUN_O"

config_for() { # config_for FILE BDF...: one DEFAULT line per device
	local f=$1 b
	shift
	{
		echo "# vfiobind bench"
		for b in "$@"; do printf 'DEFAULT %s\n' "$b"; done
	} >"$f"
}

tool_cmd() {
	local tool=$1 dir=$2 n=${#BDFS[@]}
	LWOPTS=() LWCMD=()
	case $tool:$dir in
	floor:to) LWCMD=("$FLOOR" to vfio-pci "${BDFS[@]}") ;;
	floor:back) LWCMD=("$FLOOR" back "${BDFS[@]}") ;;
	once:*)
		if [[ $dir == to ]]; then config_for "$CFG_O" "${BDFS[@]}"; else config_for "$CFG_O"; fi
		# --release-grace 0: with the grace, --once never gives a device
		# back (it ends before the grace does; see bench/README.md).
		LWCMD=("$VFIOBINDD" --once --release-grace 0 --config "$CFG_O" --run-dir "$RUN_O"
			--node-name vmtest) ;;
	edit:* | edit0:*)
		if [[ $dir == to ]]; then config_for "$CFG_D.new" "${BDFS[@]}"; else config_for "$CFG_D.new"; fi
		LWOPTS=(-r "$CFG_D.new:$CFG_D") ;;
	add:to)
		if [[ -n $WL_PF ]]; then
			LWCMD=("$VFIOBIND" --socket "$SOCK" add "pf=$WL_PF" "vfs=0-$((n - 1))")
		else
			LWOPTS=(-x) LWCMD=("$VFIOBIND" --socket "$SOCK" add "{}")
		fi ;;
	add:back)
		if [[ -n $WL_PF ]]; then
			LWCMD=("$VFIOBIND" --socket "$SOCK" remove "pf=$WL_PF")
		else
			LWOPTS=(-x) LWCMD=("$VFIOBIND" --socket "$SOCK" remove "{}")
		fi ;;
	driverctl:to) LWOPTS=(-x) LWCMD=(driverctl --nosave set-override "{}" vfio-pci) ;;
	driverctl:back) LWOPTS=(-x) LWCMD=(driverctl --nosave unset-override "{}") ;;
	dpdk:to) LWCMD=(dpdk-devbind.py -b vfio-pci "${BDFS[@]}") ;;
	dpdk:back)
		if [[ $WL_FROM == - ]]; then
			LWCMD=(dpdk-devbind.py -u "${BDFS[@]}")
		else
			LWCMD=(dpdk-devbind.py -b "$WL_FROM" "${BDFS[@]}")
		fi ;;
	esac
}

# The daemon for the edit and add runs, started afresh for each (an empty
# config) and stopped for everything else, so that it spends nothing while
# other tools are timed. Ready when its log says the first pass is done.
# daemon_start TAG [BDF...]: the config claims the BDFs given.
daemon_start() {
	config_for "$CFG_D" "${@:2}"
	rm -f "$SOCK"
	DLOG=$LOGS/daemon-$WL-${#BDFS[@]}-$1.log
	: >>"$DLOG"
	# shellcheck disable=SC2086 # (BENCH_DAEMON_ARGS, DAEMON_EXTRA: words)
	"$VFIOBINDD" --config "$CFG_D" --run-dir "$RUN_D" --socket "$SOCK" --node-name vmtest \
		$BENCH_DAEMON_ARGS ${DAEMON_EXTRA:-} >>"$DLOG" 2>&1 &
	DPID=$!
	vm_wait 30 file_has 'first pass done' "$DLOG" || vm_say "daemon not ready: $DLOG"
}
daemon_stop() {
	[[ -n ${DPID:-} ]] || return 0
	kill "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=""
}

# one_run TOOL DIR RUN: times one move, records it; returns 1 on failure.
one_run() {
	local tool=$1 dir=$2 run=$3 want json n=${#BDFS[@]}
	want=vfio-pci
	[[ $dir == back ]] && want=$WL_FROM
	tool_cmd "$tool" "$dir"
	if ((${#LWCMD[@]})); then
		json=$("$LW" -t $((60 + 2 * n)) -o "$LOGS/$tool.log" "${LWOPTS[@]}" -e "$want" \
			"${BDFS[@]}" -- "${LWCMD[@]}")
	else
		json=$("$LW" -t $((60 + 2 * n)) "${LWOPTS[@]}" -e "$want" "${BDFS[@]}")
	fi
	record "{\"kind\":\"move\",\"workload\":\"$WL\",\"from\":\"$WL_FROM\",\"n\":$n,\"tool\":\"$tool\",\"dir\":\"$dir\",\"run\":$run,\"lw\":${json:-null}}"
	LAST_MS=${json#*\"stage_ms\":[}
	LAST_MS=${LAST_MS%%]*}
	LAST_MS=${LAST_MS%%.*}
	[[ $json == *'"ok":true'* ]]
}

# bench_workload NAME FROM PF BDF...: every tool, BENCH_RUNS runs, there and
# back; runs interleave the tools so that drift spreads over all of them.
bench_workload() {
	WL=$1 WL_FROM=$2 WL_PF=$3
	shift 3
	BDFS=("$@")
	local run tool dir t spent
	declare -A dead=()
	vm_say "workload $WL: ${#BDFS[@]} functions from ${WL_FROM/#-/no driver}"
	for ((run = 1; run <= BENCH_RUNS; run++)); do
		for tool in $BENCH_TOOLS; do
			[[ -z ${dead[$tool]:-} ]] || continue
			reset_devs "$WL_FROM" "${BDFS[@]}"
			case $tool in
			edit | add) daemon_start "$tool-$run" ;;
			edit0) DAEMON_EXTRA="--release-grace 0" daemon_start "$tool-$run" ;;
			esac
			spent=0
			for dir in to back; do
				# Each move starts on a quiet machine: udev done with the
				# last one's events (Debian dpdk's vfio_name helper runs
				# for every new VFIO group), outside the timing, for every
				# tool alike.
				udevadm settle -t 30 2>/dev/null
				t=$EPOCHREALTIME
				if ! one_run "$tool" "$dir" "$run"; then
					dead[$tool]="failed"
					vm_say "  $tool $dir: failed (see $LOGS/$tool.log); no more runs"
					break
				fi
				spent=$((spent + $(ms_since "$t")))
				vm_say "  run $run $tool $dir: ${LAST_MS} ms"
			done
			daemon_stop
			[[ $tool != driverctl && $tool != dpdk ]] || ((spent <= BENCH_BUDGET_MS)) ||
				dead[$tool]="budget"
		done
	done
	reset_devs "$WL_FROM" "${BDFS[@]}"
}

# --- main ----------------------------------------------------------------------

bench_moves() {
	local n
	for n in $BENCH_NICS; do
		((n <= ${#NICS[@]})) && bench_workload nic e1000e "" "${NICS[@]:0:n}"
	done
	for n in $BENCH_VFS_NVME; do
		((n <= ${#VFS_A[@]})) && bench_workload vf-nvme nvme "$PF_A" "${VFS_A[@]:0:n}"
	done
	for n in $BENCH_VFS_NONE; do
		((n <= ${#VFS_B[@]})) && bench_workload vf-none - "$PF_B" "${VFS_B[@]:0:n}"
	done
	return 0
}

trap 'daemon_stop; cp -R "$LOGS" "$VMTEST_OUT/" 2>/dev/null' EXIT
setup_devices
# shellcheck source=bench/vm/guest-diag.sh
. "$VFIOBIND_SRCDIR/bench/vm/guest-diag.sh"
diag_facts
bench_moves
bench_reactions
((BENCH_DIAG)) && diag_where
vm_say "bench done"

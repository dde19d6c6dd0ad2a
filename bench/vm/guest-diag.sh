# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# (SC2034: WL, BDFS, WL_FROM are read by guest.sh's daemon_start and tool_cmd.)
# guest-diag.sh: the parts of the VM bench that are not a race between tools
# (sourced by guest.sh, in the same boot): facts about the guest (the real
# kernel's uevent files, whether they agree with the links, what the
# observer and a bare exec cost), the reaction latencies (a hand rebind, a
# config save, a hot-plug), and where the time goes (strace of the floor and
# of --once, the daemon's own debug log lined up with the observer, its
# system calls for one move and for one event, perf where it works).
# Everything lands in $VMTEST_OUT: results.jsonl lines, and files in diag/.

DIAG=$VMTEST_OUT/diag
mkdir -p "$DIAG"

# --- facts -------------------------------------------------------------------

# uevent of one function, with a title.
show_uevent() {
	printf '== %s (%s)\n' "$1" "$2"
	cat "/sys/bus/pci/devices/$2/uevent"
	echo
}

# The real kernel's uevent for each kind of function, on and off a driver.
diag_uevents() {
	local nic=${NICS[0]} vfa=${VFS_A[0]:-} vfb=${VFS_B[0]:-}
	{
		show_uevent "e1000e NIC on e1000e" "$nic"
		"$FLOOR" to vfio-pci "$nic" && settle_on vfio-pci "$nic"
		show_uevent "e1000e NIC on vfio-pci" "$nic"
		printf '%s' "$nic" >/sys/bus/pci/drivers/vfio-pci/unbind
		show_uevent "e1000e NIC with no driver (driver_override vfio-pci)" "$nic"
		"$FLOOR" back "$nic" && settle_on e1000e "$nic"
		[[ -z $PF_A ]] || show_uevent "NVMe PF on nvme" "$PF_A"
		[[ -z $vfa ]] || show_uevent "NVMe VF on nvme" "$vfa"
		if [[ -n $vfb ]]; then
			show_uevent "NVMe VF with no driver" "$vfb"
			"$FLOOR" to vfio-pci "$vfb" && settle_on vfio-pci "$vfb"
			show_uevent "NVMe VF on vfio-pci" "$vfb"
			"$FLOOR" back "$vfb" && settle_on - "$vfb"
		fi
	} >"$DIAG/uevents.txt" 2>&1
}

# Does every function's uevent agree with its driver link and attributes?
# (What a scan that reads uevent instead of five attributes would rely on.)
diag_uevent_check() {
	local d b l drv id sub cls v dv sv sd c n=0 bad=()
	for d in /sys/bus/pci/devices/*; do
		b=${d##*/} drv="" id="" sub="" cls=""
		while IFS= read -r l; do
			case $l in
			DRIVER=*) drv=${l#DRIVER=} ;;
			PCI_ID=*) id=${l#PCI_ID=} ;;
			PCI_SUBSYS_ID=*) sub=${l#PCI_SUBSYS_ID=} ;;
			PCI_CLASS=*) cls=${l#PCI_CLASS=} ;;
			esac
		done <"$d/uevent"
		v=$(<"$d/vendor") dv=$(<"$d/device") sv=$(<"$d/subsystem_vendor")
		sd=$(<"$d/subsystem_device") c=$(<"$d/class")
		v=${v#0x} dv=${dv#0x} sv=${sv#0x} sd=${sd#0x} c=$((c))
		n=$((n + 1))
		if [[ $drv != "$(pci_driver "$b")" || $id != "${v^^}:${dv^^}" ||
			$sub != "${sv^^}:${sd^^}" || $cls != "$(printf '%04X' "$c")" ]]; then
			bad+=("\"$b\"")
		fi
	done
	local IFS=,
	record "{\"kind\":\"uevent-check\",\"functions\":$n,\"disagree\":[${bad[*]}]}"
}

# What the observer costs: one look at every link of N devices.
diag_observer() {
	local n json
	for n in 1 8 32 120; do
		((n <= ${#VFS_B[@]})) || ((n <= ${#NICS[@]})) || continue
		if ((n <= ${#VFS_B[@]})); then
			json=$("$LW" -c 200 "${VFS_B[@]:0:n}")
		else
			json=$("$LW" -c 200 "${NICS[@]:0:n}")
		fi
		record "{\"kind\":\"observer\",\"lw\":$json}"
	done
}

# What starting each program costs here, doing nothing (3 times each): the
# part of a tool's time that is only exec, dynamic linking and start-up over
# the 9p root under TCG.
diag_exec() {
	local what t i
	local -a progs=(
		"true|/bin/true"
		"floor|$FLOOR"
		"vfiobindd --version|$VFIOBINDD --version"
		"vfiobind --version|$VFIOBIND --version"
		"vfiobindd --once --dry-run, empty config|$VFIOBINDD --once --dry-run --config $W/empty.conf --node-name vmtest"
		"vfiobindd --once --dry-run, 8 NICs claimed|$VFIOBINDD --once --dry-run --config $W/nic8.conf --node-name vmtest"
		"driverctl --help|driverctl --help"
		"dpdk-devbind.py --help|dpdk-devbind.py --help"
	)
	config_for "$W/empty.conf"
	config_for "$W/nic8.conf" "${NICS[@]:0:8}"
	for what in "${progs[@]}"; do
		for i in 1 2 3; do
			t=$EPOCHREALTIME
			# shellcheck disable=SC2086 # (a command line: words)
			${what#*|} >/dev/null 2>&1
			record "{\"kind\":\"exec\",\"what\":\"${what%%|*}\",\"run\":$i,\"ms\":$(ms_since "$t")}"
		done
	done
}

diag_facts() {
	diag_uevents
	diag_uevent_check
	diag_observer
	diag_exec
}

# --- reaction latencies --------------------------------------------------------

bench_reactions() {
	local nic=${NICS[0]} run json child bus
	WL=react BDFS=("$nic")
	# A hand rebind taken back: the daemon claims the NIC; a person gives it
	# back to e1000e by hand (the floor's three writes). The e1000e stage is
	# not optional: the daemon is on vfio-pci already at the start, and its
	# coalescing window leaves e1000e's bind event time to be seen.
	reset_devs e1000e "$nic"
	daemon_start hand "$nic"
	settle_on vfio-pci "$nic"
	for ((run = 1; run <= BENCH_RUNS; run++)); do
		udevadm settle -t 10 2>/dev/null
		json=$("$LW" -t 60 -e e1000e -e vfio-pci "$nic" -- "$FLOOR" back "$nic")
		record "{\"kind\":\"reaction\",\"what\":\"hand-rebind\",\"run\":$run,\"lw\":${json:-null}}"
		settle_on vfio-pci "$nic"
	done
	daemon_stop
	# A config save: the daemon runs with nothing claimed; a new file with
	# the NIC's line is renamed into place.
	reset_devs e1000e "$nic"
	for ((run = 1; run <= BENCH_RUNS; run++)); do
		daemon_start save-$run
		config_for "$CFG_D.new" "$nic"
		json=$("$LW" -t 60 -r "$CFG_D.new:$CFG_D" -e vfio-pci "$nic")
		record "{\"kind\":\"reaction\",\"what\":\"config-save\",\"run\":$run,\"lw\":${json:-null}}"
		daemon_stop
		reset_devs e1000e "$nic"
	done
	# A hot-plug: an e1000e added into root port rp0 (QEMU device_add,
	# asked of the host), claimed by its address before it exists.
	[[ -e /sys/bus/pci/devices/0000:00:18.0/secondary_bus_number ]] || return 0
	bus=$(</sys/bus/pci/devices/0000:00:18.0/secondary_bus_number)
	child=$(printf '0000:%02x:00.0' "$bus")
	WL=react BDFS=("$child")
	daemon_start hotplug "$child"
	for ((run = 1; run <= BENCH_RUNS; run++)); do
		json=$("$LW" -t 60 -e + -e e1000e? -e vfio-pci "$child" -- \
			bash -c ". '$VMTEST_LIB'; vm_hotplug_nic hpb$run 0 >/dev/null")
		record "{\"kind\":\"reaction\",\"what\":\"hotplug\",\"run\":$run,\"lw\":${json:-null}}"
		vm_unplug "hpb$run" >/dev/null
		vm_wait 30 pci_absent "$child" || vm_say "hot-plugged $child did not go away"
	done
	daemon_stop
}

# --- where the time goes -------------------------------------------------------

# strace_floor NAME FROM DRIVER-OR-back BDF...: each sysfs write of the floor
# with its duration and the file it went to (strace -y -T).
# Where the links did not end right, which devices and what the kernel said
# (dmesg) go to floor-NAME.wrong.
strace_floor() {
	local name=$1 from=$2 how=$3 want=$3 b wrong=()
	shift 3
	[[ $how == back ]] && want=$from
	dmesg -c >/dev/null 2>&1
	if [[ $how == back ]]; then
		strace -y -T -e trace=write -o "$DIAG/floor-$name.strace" "$FLOOR" back "$@"
	else
		strace -y -T -e trace=write -o "$DIAG/floor-$name.strace" "$FLOOR" to "$how" "$@"
	fi
	settle_on "$want" "$@" && return 0
	for b in "$@"; do
		[[ $(pci_driver "$b") == "${want/#-/}" ]] || wrong+=("$b")
	done
	{
		echo "not on ${want/#-/no driver} after the floor: ${wrong[*]}"
		echo "first of them: driver '$(pci_driver "${wrong[0]}")'," \
			"driver_override '$(<"/sys/bus/pci/devices/${wrong[0]}/driver_override")'"
		dmesg 2>/dev/null | tail -n 60
	} >"$DIAG/floor-$name.wrong"
	return 1
}

diag_floor() {
	local n8=("${NICS[@]:0:8}")
	reset_devs e1000e "${n8[@]}"
	strace_floor nic-to vfio-pci vfio-pci "${n8[@]}"
	strace_floor nic-back e1000e back "${n8[@]}"
	if ((${#VFS_A[@]})); then
		strace_floor vf-nvme-to vfio-pci vfio-pci "${VFS_A[@]}"
		strace_floor vf-nvme-back nvme back "${VFS_A[@]}"
	fi
	if ((${#VFS_B[@]})); then
		strace_floor vf-none-to vfio-pci vfio-pci "${VFS_B[@]}"
		strace_floor vf-none-back - back "${VFS_B[@]}"
	fi
}

# --once moving the devices there and back twice: once at --log-level debug,
# its log lined up with the observer's start (t0_realtime_ms) to tell its
# phases (start-up, scan and plan, binds, the final rescan); once under
# strace -C -f -tt -T: its system calls, counted, and the ones that waited.
diag_once() {
	local name=$1 from=$2 json dir
	shift 2
	WL=diag-$name BDFS=("$@")
	reset_devs "$from" "$@"
	for dir in to back; do
		if [[ $dir == to ]]; then config_for "$CFG_O" "$@"; else config_for "$CFG_O"; fi
		json=$("$LW" -t 120 -o "$LOGS/once-$name-$dir.log" -e "$([[ $dir == to ]] &&
			echo vfio-pci || echo "$from")" "$@" -- "$VFIOBINDD" --once --release-grace 0 \
			--config "$CFG_O" --run-dir "$RUN_O" --node-name vmtest --log-level debug)
		record "{\"kind\":\"diag-once\",\"what\":\"$name\",\"dir\":\"$dir\",\"log\":\"once-$name-$dir.log\",\"lw\":${json:-null}}"
	done
	config_for "$CFG_O" "$@"
	strace -C -f -tt -T -o "$DIAG/once-$name-to.strace" "$VFIOBINDD" --once --release-grace 0 \
		--config "$CFG_O" --run-dir "$RUN_O" --node-name vmtest >>"$LOGS/once-diag.log" 2>&1
	settle_on vfio-pci "$@"
	config_for "$CFG_O"
	"$VFIOBINDD" --once --release-grace 0 --config "$CFG_O" --run-dir "$RUN_O" \
		--node-name vmtest >>"$LOGS/once-diag.log" 2>&1
	settle_on "$from" "$@"
}

# The daemon at --log-level debug for one move there and back by config
# edits, its log lined up with the observer; then the same move there again
# with its system calls counted (strace -c -f -p, attached for the move).
diag_daemon() {
	local name=$1 from=$2 json sp
	shift 2
	WL=diag-$name BDFS=("$@") WL_FROM=$from
	reset_devs "$from" "$@"
	DAEMON_EXTRA="--log-level debug" daemon_start edit
	config_for "$CFG_D.new" "$@"
	json=$("$LW" -t 120 -r "$CFG_D.new:$CFG_D" -e vfio-pci "$@")
	record "{\"kind\":\"diag-daemon\",\"what\":\"$name\",\"dir\":\"to\",\"log\":\"${DLOG##*/}\",\"lw\":${json:-null}}"
	config_for "$CFG_D.new"
	json=$("$LW" -t 120 -r "$CFG_D.new:$CFG_D" -e "$from" "$@")
	record "{\"kind\":\"diag-daemon\",\"what\":\"$name\",\"dir\":\"back\",\"log\":\"${DLOG##*/}\",\"lw\":${json:-null}}"
	strace -f -c -o "$DIAG/daemon-$name-to.count" -p "$DPID" 2>/dev/null &
	sp=$!
	sleep 1
	config_for "$CFG_D.new" "$@"
	"$LW" -t 120 -r "$CFG_D.new:$CFG_D" -e vfio-pci "$@" >/dev/null
	sleep 1
	kill -INT "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	daemon_stop
	reset_devs "$from" "$@"
}

# One event: the daemon manages one NIC, a person moves it by hand; what the
# daemon reads and writes for that: counted (strace -c), then, for a second
# hand move, every file it opens or link it reads, in order (strace -tt).
diag_event() {
	local nic=${NICS[0]} sp json what
	WL=diag-event BDFS=("$nic")
	reset_devs e1000e "$nic"
	DAEMON_EXTRA="--log-level debug" daemon_start event "$nic"
	settle_on vfio-pci "$nic"
	for what in count trace; do
		udevadm settle -t 10 2>/dev/null
		sleep 1
		if [[ $what == count ]]; then
			strace -f -c -o "$DIAG/daemon-one-event.count" -p "$DPID" 2>/dev/null &
		else
			strace -f -tt -e trace=openat,readlinkat,readlink,rename,fsync \
				-o "$DIAG/daemon-one-event.trace" -p "$DPID" 2>/dev/null &
		fi
		sp=$!
		sleep 1
		json=$("$LW" -t 60 -e e1000e -e vfio-pci "$nic" -- "$FLOOR" back "$nic")
		record "{\"kind\":\"diag-event\",\"what\":\"$what\",\"log\":\"${DLOG##*/}\",\"lw\":${json:-null}}"
		sleep 1
		kill -INT "$sp" 2>/dev/null
		wait "$sp" 2>/dev/null
		settle_on vfio-pci "$nic"
	done
	daemon_stop
	reset_devs e1000e "$nic"
}

# The daemon's own scan of this guest's real /sys (read only): bench-scan
# --root /sys, 5 scans against none, timed, and one scan counted.
diag_scan() {
	local t0 t5 bs=$VFIOBIND_BUILDDIR/bench/bench-scan
	[[ -x $bs ]] || return 0
	t0=$EPOCHREALTIME
	"$bs" --root /sys --scans 0
	t0=$(ms_since "$t0")
	t5=$EPOCHREALTIME
	"$bs" --root /sys --scans 5
	t5=$(ms_since "$t5")
	strace -f -c -o "$DIAG/scan-guest-0.count" "$bs" --root /sys --scans 0
	strace -f -c -o "$DIAG/scan-guest-1.count" "$bs" --root /sys --scans 1
	local fns=(/sys/bus/pci/devices/*)
	record "{\"kind\":\"diag-scan\",\"functions\":${#fns[@]},\"exec_ms\":$t0,\"five_scans_ms\":$t5}"
}

# perf, where the guest kernel lets it sample (TCG has no PMU: cpu-clock).
diag_perf() {
	local n8=("${NICS[@]:0:8}")
	command -v perf >/dev/null || return 0
	reset_devs e1000e "${n8[@]}"
	config_for "$CFG_O" "${n8[@]}"
	perf record -a -g -F 499 -e cpu-clock -o "$W/perf-once.data" -- \
		"$VFIOBINDD" --once --release-grace 0 --config "$CFG_O" --run-dir "$RUN_O" \
		--node-name vmtest >>"$LOGS/perf.log" 2>&1 || return 0
	perf report -i "$W/perf-once.data" --stdio --no-children --sort comm,dso \
		--percent-limit 0.5 -g none >"$DIAG/perf-once-nic8-to-dso.txt" 2>>"$LOGS/perf.log"
	perf report -i "$W/perf-once.data" --stdio --no-children --comms vfiobindd --sort sym \
		--percent-limit 0.5 -g none >"$DIAG/perf-once-nic8-to-sym.txt" 2>>"$LOGS/perf.log"
	config_for "$CFG_O"
	"$VFIOBINDD" --once --release-grace 0 --config "$CFG_O" --run-dir "$RUN_O" --node-name vmtest \
		>>"$LOGS/perf.log" 2>&1
	settle_on e1000e "${n8[@]}"
}

diag_where() {
	vm_say "diagnostics: where the time goes"
	diag_floor
	diag_once nic8 e1000e "${NICS[@]:0:8}"
	((${#VFS_A[@]} == 0)) || diag_once vf-nvme nvme "${VFS_A[@]}"
	((${#VFS_B[@]} == 0)) || diag_once vf-none - "${VFS_B[@]}"
	diag_daemon nic8 e1000e "${NICS[@]:0:8}"
	((${#VFS_A[@]} == 0)) || diag_daemon vf-nvme nvme "${VFS_A[@]}"
	((${#VFS_B[@]} == 0)) || diag_daemon vf-none - "${VFS_B[@]}"
	diag_event
	diag_scan
	diag_perf
}

# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# (SC2034: the VM_BDF_* names are for the scenarios.)
# Helpers for scenario scripts running inside the guest.  Source with
#   . "$VMTEST_LIB"
# A scenario exits 0 (pass), 77 (skip) or anything else (fail).  The runner
# sets: VMTEST_NAME, VMTEST_WORKDIR (fresh tmpfs dir, also the cwd),
# VMTEST_OUT (writable dir kept on the host after the run), VMTEST_SHARE,
# VFIOBINDD, VFIOBIND (the built binaries), VFIOBIND_SRCDIR,
# VFIOBIND_BUILDDIR, VMTEST_PROFILE and VMTEST_NICS, VMTEST_NVME,
# VMTEST_VIRTIO, VMTEST_ROOTPORTS.

# (No exec: under TCG every program run from the 9p root costs tens of ms.)
vm_say() {
	local up _
	read -r up _ </proc/uptime
	printf '[%s %s] %s\n' "${VMTEST_NAME:-vm}" "$up" "$*"
}
vm_fail() {
	vm_say "FAIL: $*"
	exit 1
}
vm_skip() {
	vm_say "SKIP: $*"
	exit 77
}

# vm_check DESCRIPTION COMMAND...: runs COMMAND, fails the scenario if it fails.
vm_check() {
	local what=$1
	shift
	if "$@"; then
		vm_say "ok: $what"
	else
		vm_fail "$what (command: $*)"
	fi
}

# vm_wait SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds;
# returns 1 on timeout.
vm_wait() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# vm_host "HMP COMMAND": asks the host to run a QEMU monitor command (e.g.
# device_add / device_del) and waits for it; prints the monitor's output,
# returns its status.  Works through files in the 9p share: the guest writes
# req/ID.req, the host answers with req/ID.out and then req/ID.rc.
vm_host() {
	local id dir=$VMTEST_SHARE/req rc
	id=$$-$RANDOM-$SECONDS
	mkdir -p "$dir"
	printf '%s\n' "$1" >"$dir/$id.tmp"
	mv "$dir/$id.tmp" "$dir/$id.req"
	vm_wait "${VMTEST_HOST_TIMEOUT:-30}" test -e "$dir/$id.rc" || {
		vm_say "vm_host: no answer from the host for: $1"
		return 1
	}
	cat "$dir/$id.out" 2>/dev/null
	rc=$(cat "$dir/$id.rc")
	return "$rc"
}

# vm_hotplug_nic ID PORTNUM [MODEL]: hot-adds a NIC (default e1000e) into the
# empty root port rpPORTNUM, using the spare netdev hpnPORTNUM.
vm_hotplug_nic() {
	vm_host "device_add ${3:-e1000e},id=$1,bus=rp$2,netdev=hpn$2"
}

# vm_unplug ID: asks QEMU to remove a hot-added device.  The guest's pciehp
# takes about 5 s to let it go; wait for the BDF to vanish afterwards.
vm_unplug() {
	vm_host "device_del $1"
}

# The BDF behind root port rpN (the device hot-added there), or nothing.
vm_rootport_child() {
	local port
	port=$(printf '0000:00:%02x.0' $((0x18 + $1)))
	local d
	for d in /sys/bus/pci/devices/"$port"/0000:*; do
		[[ -e $d/vendor ]] && printf '%s\n' "${d##*/}"
	done
}

# These helpers use bash builtins and globs only: under TCG every exec of a
# program from the 9p root costs tens of milliseconds.

# vm_rootport_has_child N: true once a function sits behind rpN.
vm_rootport_has_child() {
	[[ -n $(vm_rootport_child "$1") ]]
}

# pci_driver BDF: the name of the bound driver, or nothing.
pci_driver() {
	local d
	for d in /sys/bus/pci/drivers/*/"$1"; do
		[[ -e $d ]] || continue
		d=${d%/*}
		printf '%s\n' "${d##*/}"
	done
	return 0
}

# pci_has_driver BDF DRIVER: true if BDF is bound to DRIVER ("" = no driver).
# For polling: vm_wait 10 pci_has_driver "$bdf" vfio-pci (a "$(...)" in the
# arguments of vm_wait would be evaluated only once).
pci_has_driver() {
	[[ $(pci_driver "$1") == "$2" ]]
}

# pci_iommu_group BDF: the IOMMU group number, or nothing.
pci_iommu_group() {
	local d
	for d in /sys/kernel/iommu_groups/*/devices/"$1"; do
		[[ -e $d ]] || continue
		d=${d%/devices/*}
		printf '%s\n' "${d##*/}"
	done
	return 0
}

# pci_find VENDOR DEVICE: BDFs with that ID (hex without 0x), one per line.
pci_find() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[[ $(<"$d/vendor") == "0x$1" && $(<"$d/device") == "0x$2" ]] && printf '%s\n' "${d##*/}"
	done
	return 0
}

# pci_list: "BDF VENDOR:DEVICE DRIVER GROUP" for every function.
pci_list() {
	local d b
	for d in /sys/bus/pci/devices/*; do
		b=${d##*/}
		printf '%s %s:%s %s %s\n' "$b" "$(<"$d/vendor")" "$(<"$d/device")" \
			"$(pci_driver "$b")" "$(pci_iommu_group "$b" 2>/dev/null)"
	done
}

# pci_sysfs_bind BDF DRIVER: the raw sysfs sequence (driver_override, unbind,
# drivers_probe), guest only.  Verifies the driver link afterwards, since
# drivers_probe succeeds even when no driver took the device.
pci_sysfs_bind() {
	local bdf=$1 drv=$2 dev=/sys/bus/pci/devices/$1
	printf '%s' "$drv" >"$dev/driver_override" || return 1
	if [[ -L $dev/driver ]]; then
		printf '%s' "$bdf" >"$dev/driver/unbind" || return 1
	fi
	printf '%s' "$bdf" >/sys/bus/pci/drivers_probe || return 1
	[[ $(pci_driver "$bdf") == "$drv" ]]
}

# pci_sysfs_restore BDF: clears the override (with a newline: an empty write
# may do nothing), unbinds and reprobes.
pci_sysfs_restore() {
	local bdf=$1 dev=/sys/bus/pci/devices/$1
	printf '\n' >"$dev/driver_override" || return 1
	if [[ -L $dev/driver ]]; then
		printf '%s' "$bdf" >"$dev/driver/unbind" || return 1
	fi
	printf '%s' "$bdf" >/sys/bus/pci/drivers_probe || return 1
}

# The devices of the standard profile.
VM_BDF_NIC0=0000:00:02.0
VM_BDF_NVME=0000:00:10.0
VM_BDF_VIRTIO=0000:00:11.0
# Not to be bound: the guest's own root file system lives on these.
VM_BDF_9P_FIRST=0000:00:12.0

# --- vfiobindd in the guest ------------------------------------------------
# vfb_init: the daemon's files in the scenario's work dir: VFB_CFG (config),
# VFB_RUN (run dir: lock, state.json), VFB_SOCK, VFB_LOG (in $VMTEST_OUT, so
# it is on the host after the run).  Skips when the daemon is not built.
vfb_init() {
	[[ -x $VFIOBINDD ]] || vm_skip "$VFIOBINDD is not built"
	[[ -x $VFIOBIND ]] || vm_skip "$VFIOBIND is not built"
	VFB_CFG=$VMTEST_WORKDIR/vfiobind.conf
	VFB_RUN=$VMTEST_WORKDIR/run
	VFB_SOCK=$VFB_RUN/vfiobind.sock
	VFB_LOG=$VMTEST_OUT/daemon.log
	VFB_PID=""
	mkdir -p "$VFB_RUN"
	: >"$VFB_LOG"
}

# vfb_start [OPTION...]: starts vfiobindd in the background (log appended to
# VFB_LOG), sets VFB_PID, waits for its socket.  Real udev, node "vmtest".
vfb_start() {
	rm -f "$VFB_SOCK"
	printf '==== vfiobindd start at %s\n' "$(cut -d' ' -f1 /proc/uptime)" >>"$VFB_LOG"
	"$VFIOBINDD" --config "$VFB_CFG" --run-dir "$VFB_RUN" --socket "$VFB_SOCK" \
		--node-name vmtest --log-level debug "$@" >>"$VFB_LOG" 2>&1 &
	VFB_PID=$!
	vm_wait 30 vfb_ready || {
		vm_say "vfiobindd did not open $VFB_SOCK"
		return 1
	}
}

# vfb_ready: the daemon runs and its socket answers.
vfb_ready() {
	kill -0 "$VFB_PID" 2>/dev/null && [[ -S $VFB_SOCK ]] && vfb ping >/dev/null 2>&1
}

# vfb_stop: SIGTERM, then waits (bounded) for the daemon to exit.
vfb_stop() {
	[[ -n $VFB_PID ]] || return 0
	kill "$VFB_PID" 2>/dev/null || true
	vm_wait 15 vfb_gone "$VFB_PID" || kill -9 "$VFB_PID" 2>/dev/null || true
	wait "$VFB_PID" 2>/dev/null || true
	VFB_PID=""
}
vfb_gone() { ! kill -0 "$1" 2>/dev/null; }

# vfb ARGS...: the client against this daemon.
vfb() { "$VFIOBIND" --socket "$VFB_SOCK" --no-color "$@"; }

# vfb_converged: "vfiobind status" exits 0 (every listed device converged).
vfb_converged() { vfb status >/dev/null 2>&1; }

# vfb_show ARGS...: runs the client, prints its output (stdout and stderr)
# indented, keeps it in VFB_OUT and its status in VFB_RC, returns that status.
vfb_show() {
	VFB_RC=0
	VFB_OUT=$(vfb "$@" 2>&1) || VFB_RC=$?
	vm_say "\$ vfiobind $* (rc=$VFB_RC)"
	vm_indent "$VFB_OUT"
	return "$VFB_RC"
}

# vm_indent TEXT: prints TEXT with each line indented (builtins only).
vm_indent() {
	local l
	while IFS= read -r l; do
		printf '    %s\n' "$l"
	done <<<"$1"
}

# re_match REGEX STRING: bash =~, for vm_check and vm_wait.
re_match() { [[ $2 =~ $1 ]]; }

# has_text TEXT STRING: STRING contains TEXT as it is (no regex: a reason
# with dots and parentheses is matched exactly).
has_text() { [[ $2 == *"$1"* ]]; }

# file_has REGEX FILE: some line of FILE matches REGEX (bash =~, no exec).
file_has() {
	local l
	while IFS= read -r l; do
		[[ $l =~ $1 ]] && return 0
	done <"$2"
	return 1
}

# vfb_log_has REGEX: some line of the daemon's log matches (bash =~).
vfb_log_has() { file_has "$1" "$VFB_LOG"; }

# vfb_log_mark: remembers the log's length; vfb_log_new_has REGEX then looks
# only at the lines written since, and vfb_log_new_count REGEX counts them.
vfb_log_mark() {
	local lines
	mapfile -t lines <"$VFB_LOG"
	VFB_LOG_MARK=${#lines[@]}
}
vfb_log_new_has() {
	local lines l
	mapfile -t -s "${VFB_LOG_MARK:-0}" lines <"$VFB_LOG"
	for l in "${lines[@]}"; do
		[[ $l =~ $1 ]] && return 0
	done
	return 1
}
vfb_log_new_count() {
	local lines l n=0
	mapfile -t -s "${VFB_LOG_MARK:-0}" lines <"$VFB_LOG"
	for l in "${lines[@]}"; do
		[[ $l =~ $1 ]] && n=$((n + 1))
	done
	printf '%s\n' "$n"
}

# vm_pause SECONDS: sleeps without an exec (a read with a timeout on a FIFO
# nobody writes; sleep(1) costs tens of ms to start under TCG).
vm_pause() {
	if [[ -z ${VM_PAUSE_FD:-} ]]; then
		mkfifo "$VMTEST_WORKDIR/.pause.fifo"
		exec {VM_PAUSE_FD}<>"$VMTEST_WORKDIR/.pause.fifo"
	fi
	read -r -t "$1" -u "$VM_PAUSE_FD" _ || true
}

# vfb_cleanup [RC]: for "trap vfb_cleanup EXIT": stops the daemon; on
# failure prints the daemon's log; then puts the standard devices back as the
# boot left them (e1000e NICs on e1000e, no NVMe VFs, no overrides), so later
# scenarios in the same boot start clean.  Exits with RC (default: $? as the
# trap found it; a trap that runs other commands first passes it along).
vfb_cleanup() {
	local rc=${1:-$?}
	vfb_stop
	if ((rc != 0 && rc != 77)) && [[ -s ${VFB_LOG:-} ]]; then
		vm_say "---- daemon log ($VFB_LOG, last 150 lines) ----"
		tail -n 150 "$VFB_LOG"
		vm_say "---- end of daemon log ----"
	fi
	vm_restore_devices
	exit "$rc"
}

# vm_restore_devices: every e1000e NIC back on e1000e and every override
# cleared, the NVMe PF without VFs, on nvme, with sriov_drivers_autoprobe 1,
# the ICH9 functions on their own drivers.  Raw sysfs; only for cleaning up
# after a scenario.
vm_restore_devices() {
	local d b
	local pf=/sys/bus/pci/devices/$VM_BDF_NVME
	if [[ -e $pf/sriov_numvfs && $(<"$pf/sriov_numvfs") != 0 ]]; then
		printf '0' >"$pf/sriov_numvfs" 2>/dev/null || true
	fi
	if [[ -e $pf/sriov_drivers_autoprobe && $(<"$pf/sriov_drivers_autoprobe") != 1 ]]; then
		printf '1' >"$pf/sriov_drivers_autoprobe" 2>/dev/null || true
	fi
	for d in /sys/bus/pci/devices/*; do
		b=${d##*/}
		[[ $b == "$VM_BDF_9P_FIRST" || $b == 0000:00:1[2-7].* ]] && continue
		if [[ -e $d/driver_override && $(<"$d/driver_override") != "(null)" ]] ||
			[[ $(pci_driver "$b") == vfio-pci ]]; then
			pci_sysfs_restore "$b" 2>/dev/null || true
		fi
	done
}

# pci_numvfs BDF: sriov_numvfs of a PF.
pci_numvfs() { cat "/sys/bus/pci/devices/$1/sriov_numvfs"; }

# pci_absent BDF: the function does not exist (any more).
pci_absent() { [[ ! -e /sys/bus/pci/devices/$1 ]]; }

# vfio_dev_of BDF: true when /dev/vfio/GROUP of BDF exists.
vfio_dev_of() {
	local g
	g=$(pci_iommu_group "$1")
	[[ -n $g && -c /dev/vfio/$g ]]
}

# The standard profile's other NICs.
VM_BDF_NIC1=0000:00:03.0
VM_BDF_NIC2=0000:00:04.0
VM_BDF_NIC3=0000:00:05.0
# Behind root port rp0 once something is hot-added there.
VM_BDF_RP0_CHILD=0000:01:00.0

# --- a process that holds devices the way QEMU does ------------------------
# vm_holder_start BDF...: tests/vm/vfio-holder holds the functions (group,
# container, VFIO_SET_IOMMU, device fd, request eventfd) as uid 107 (the
# qemu/KubeVirt uid, its /dev/vfio/GROUP chowned to it), in the background:
# VM_HOLDER_PID, VM_HOLDER_FAIL (the helper writes there when the kernel
# asked it to give a device up, i.e. someone wrote unbind or sriov_numvfs
# under it, or when its own timeout ran out). Skips when the helper is not
# built (make check builds it).
vm_holder_start() {
	local helper=$VFIOBIND_BUILDDIR/tests/vm/vfio-holder ready=$VMTEST_WORKDIR/holder.ready
	[[ -x $helper ]] || vm_skip "$helper is not built (make check builds it)"
	VM_HOLDER_FAIL=$VMTEST_WORKDIR/holder.fail
	rm -f "$ready" "$VM_HOLDER_FAIL"
	"$helper" --uid 107 --timeout "${VM_HOLDER_TIMEOUT:-100}" --ready "$ready" \
		--fail "$VM_HOLDER_FAIL" "$@" &
	VM_HOLDER_PID=$!
	vm_wait 15 test -s "$ready"
}

# vm_holder_untouched: no request reached the holder (nothing wrote unbind
# or sriov_numvfs under it) and its timeout did not run out.
vm_holder_untouched() { [[ ! -s $VM_HOLDER_FAIL ]] && kill -0 "$VM_HOLDER_PID" 2>/dev/null; }

# vm_reap PID [SIGNAL]: a background child of the scenario exits (TERM by
# default) and is reaped; nothing when PID is empty.
vm_reap() {
	[[ -n $1 ]] || return 0
	kill "-${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# vm_holder_stop [SIGNAL]: the holder exits and is reaped.
vm_holder_stop() {
	vm_reap "${VM_HOLDER_PID:-}" "$@"
	VM_HOLDER_PID=""
}

# vm_holder_cleanup: for a scenario's EXIT trap, before vfb_cleanup: a held
# device would make vm_restore_devices' unbind block for good.
vm_holder_cleanup() {
	local rc=$?
	vm_holder_stop KILL
	vfb_cleanup "$rc"
}

# pci_numvfs_within SECONDS PF: sriov_numvfs of PF, read in the background:
# while a write to it waits for a held VF, even a read blocks, and nothing
# can end it.  Prints the count; returns 1 when the read did not come back.
pci_numvfs_within() {
	local out=$VMTEST_WORKDIR/numvfs.$RANDOM
	(cat "/sys/bus/pci/devices/$2/sriov_numvfs" >"$out.tmp" && mv "$out.tmp" "$out") &
	vm_wait "$1" test -e "$out" || return 1
	cat "$out"
}

# vfb_state_is BDF STATE [REGEX]: "vfiobind status" has a row for BDF in
# STATE whose rest matches REGEX (a PF's numvfs claim is a row of its own);
# VFB_OUT keeps the output.
vfb_state_is() {
	local nl=$'\n'
	VFB_OUT=$(vfb status 2>&1) || true
	re_match "(^|$nl)$1 +$2 [^$nl]*${3:-}" "$VFB_OUT"
}

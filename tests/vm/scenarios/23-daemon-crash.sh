#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash and restart: vfiobindd killed with SIGKILL at several moments of its
# first pass (from right after exec to mid-bind), then started again: it
# converges, and no NIC is left without a driver (claimed ones on vfio-pci,
# the others on e1000e).  Then the lines are removed and the daemon
# restarted (after another SIGKILL): the NICs go back to e1000e, which only
# state.json in the run dir remembers.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 200
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
claimed=("$VM_BDF_NIC0" "$VM_BDF_NIC1" "$VM_BDF_NIC2")
free=$VM_BDF_NIC3
{
	printf '# three NICs claimed, %s not\n' "$free"
	for b in "${claimed[@]}"; do printf 'DEFAULT %s\n' "$b"; done
} >"$VFB_CFG"

# nic_states: "bdf=driver ..." of the four NICs, for the log.
nic_states() {
	local b s=""
	for b in "${claimed[@]}" "$free"; do s+="$b=$(pci_driver "$b") "; done
	printf '%s\n' "$s"
}

# Kill at several delays after the start: under TCG the daemon needs a few
# hundred ms to exec and a second or two for its first pass (loading
# vfio-pci included), so these land before, during and after the binds.
# Before each start the NICs are put back on e1000e by hand (a fresh first
# pass each time), but the run dir and its state.json stay, as they would
# across a crash.  The delay is a builtin
# read with a timeout (an exec of sleep costs tens of ms here).
fifo=$VMTEST_WORKDIR/delay.fifo
mkfifo "$fifo"
exec {delayfd}<>"$fifo"
for delay in 0.01 0.05 0.2 0.4 0.5 0.6 0.65 0.7 0.75 0.8 0.9 1.0 1.5; do
	vm_restore_devices
	printf '==== vfiobindd start, SIGKILL after %ss\n' "$delay" >>"$VFB_LOG"
	"$VFIOBINDD" --config "$VFB_CFG" --run-dir "$VFB_RUN" --socket "$VFB_SOCK" \
		--node-name vmtest --log-level debug >>"$VFB_LOG" 2>&1 &
	pid=$!
	read -r -t "$delay" -u "$delayfd" _ || true
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	vm_say "killed after ${delay}s: $(nic_states)"
done
[[ -e $VFB_RUN/state.json ]] && vm_say "state.json: $(<"$VFB_RUN/state.json")"

vm_check "vfiobindd starts again" vfb_start
for b in "${claimed[@]}"; do
	vm_check "$b on vfio-pci" vm_wait 30 pci_has_driver "$b" vfio-pci
done
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "$free (not claimed) on e1000e" pci_has_driver "$free" e1000e
for b in "${claimed[@]}" "$free"; do
	vm_check "$b has a driver" eval "[[ -n \$(pci_driver $b) ]]"
done
# Nothing else lost its driver either (the NVMe PF, the ICH9 functions).
for b in "$VM_BDF_NVME" 0000:00:1f.0 0000:00:1f.2 0000:00:1f.3; do
	[[ -e /sys/bus/pci/devices/$b ]] || continue
	vm_check "$b has a driver" eval "[[ -n \$(pci_driver $b) ]]"
done
vfb_show status || true
vm_check "state.json in the run dir" test -s "$VFB_RUN/state.json"
vm_say "state.json: $(<"$VFB_RUN/state.json")"

# Crash once more, converged, then remove the lines and restart: only the
# state file knows the NICs came from e1000e.
kill -9 "$VFB_PID"
wait "$VFB_PID" 2>/dev/null || true
VFB_PID=""
printf '# nothing claimed any more\n' >"$VFB_CFG"
vm_check "vfiobindd restarts with no lines" vfb_start
for b in "${claimed[@]}"; do
	vm_check "$b back on e1000e" vm_wait 30 pci_has_driver "$b" e1000e
	vm_check "$b has no override left" \
		eval "[[ \$(</sys/bus/pci/devices/$b/driver_override) == '(null)' ]]"
done
vm_check "$free still on e1000e" pci_has_driver "$free" e1000e
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "the log names the restores" vfb_log_has "${claimed[0]}.*(restore|back)"

# A clean restart with nothing to do moves nothing.
vfb_stop
vm_check "vfiobindd starts on an empty state" vfb_start
vm_check "status converged" vm_wait 30 vfb_converged
for b in "${claimed[@]}" "$free"; do
	vm_check "$b still on e1000e" pci_has_driver "$b" e1000e
done

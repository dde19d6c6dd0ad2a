#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL while sriov_drivers_autoprobe is 0.  To create VFs the daemon
# turns the PF's autoprobe off (so host drivers do not grab them first) and
# back on after; a kill in between used to leave it 0 for good: no host
# driver could then take the PF's VFs, ever.  Here a watcher kills the
# daemon the moment it reads 0; state.json's journal says what was under
# way, and the restarted daemon puts autoprobe back to 1 before anything
# else, then converges (numvfs=4, every VF on vfio-pci).
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
pf=$VM_BDF_NVME
ap=/sys/bus/pci/devices/$pf/sriov_drivers_autoprobe
vfs=(0000:00:10.1 0000:00:10.2 0000:00:10.3 0000:00:10.4)
printf 'DEFAULT %s numvfs=4\n' "$pf" >"$VFB_CFG"
vm_check "autoprobe is 1 to begin with" eval "[[ \$(<$ap) == 1 ]]"

# kill_when_off: starts the daemon and SIGKILLs it the moment autoprobe
# reads 0 (builtins only: the window is one sriov_numvfs write long).
kill_when_off() {
	local pid v deadline=$((SECONDS + 30)) hit=1
	printf '==== vfiobindd start, SIGKILL when autoprobe is 0\n' >>"$VFB_LOG"
	"$VFIOBINDD" --config "$VFB_CFG" --run-dir "$VFB_RUN" --socket "$VFB_SOCK" \
		--node-name vmtest --log-level debug >>"$VFB_LOG" 2>&1 &
	pid=$!
	while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do
		read -r v <"$ap" || continue
		if [[ $v == 0 ]]; then
			kill -9 "$pid"
			hit=0
			break
		fi
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return "$hit"
}

hit=0
for try in 1 2 3; do
	vm_restore_devices
	rm -f "$VFB_RUN/state.json"
	if kill_when_off; then
		hit=1
		break
	fi
	vm_say "try $try: the daemon was never seen with autoprobe 0"
done
vm_check "a SIGKILL landed while sriov_drivers_autoprobe was 0" test "$hit" = 1
vm_say "after the kill: autoprobe $(<"$ap"), sriov_numvfs $(<"/sys/bus/pci/devices/$pf/sriov_numvfs")"
vm_check "autoprobe was left 0 by the kill" eval "[[ \$(<$ap) == 0 ]]"
vm_say "state.json: $(<"$VFB_RUN/state.json")"
if file_has '"sriov_drivers_autoprobe": ?1' "$VFB_RUN/state.json"; then
	vm_say "the journal recorded the value to put back"
fi

vfb_log_mark
vm_check "vfiobindd starts again" vfb_start
vm_check "autoprobe back to 1" vm_wait 30 eval "[[ \$(<$ap) == 1 ]]"
vm_check "the log says what a restart cut short" vfb_log_new_has 'cut short by a restart'
vm_check "sriov_numvfs is 4" vm_wait 45 eval "[[ \$(<'/sys/bus/pci/devices/$pf/sriov_numvfs') == 4 ]]"
for vf in "${vfs[@]}"; do
	vm_check "VF $vf on vfio-pci" vm_wait 45 pci_has_driver "$vf" vfio-pci
done
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "nothing is left under way in the journal" \
	eval "! file_has '\"action\"' '$VFB_RUN/state.json'"
vm_check "autoprobe still 1" eval "[[ \$(<$ap) == 1 ]]"

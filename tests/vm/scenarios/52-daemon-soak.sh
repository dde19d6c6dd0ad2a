#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A fault soak on the real kernel.  Round after round the config flips
# between claiming and releasing the NICs and the NVMe PF's VFs (its content
# always changes; the file is rewritten in place or renamed over, never
# deleted) while the daemon is SIGKILLed at random moments and started
# again, sometimes twice in a round.  After every restart, once it settled
# (vfiobind reconcile exits 0) it stays quiet (no action for a moment, a
# restore loop would show) and the machine is what the file says: claimed
# NICs on vfio-pci, the others on e1000e without an override, none without a
# driver; the NVMe PF on nvme with the VF count the file asks, the selected
# VFs on vfio-pci, the others not; sriov_drivers_autoprobe 1; nothing left
# under way in state.json's journal.  The figures (rounds, kills, settle
# times) are printed and written to $VMTEST_OUT/soak-summary.txt.
# Rounds: VMTEST_SOAK_ROUNDS (default 10, as in make check-vm; make
# check-soak runs tests/vm/soak.sh, 100 rounds).  VMTEST_SOAK_SEED seeds
# the choices (printed, to replay a run).
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 600
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
rounds=${VMTEST_SOAK_ROUNDS:-10}
seed=${VMTEST_SOAK_SEED:-$$}
RANDOM=$seed
pf=$VM_BDF_NVME
pfdir=/sys/bus/pci/devices/$pf
nics=("$VM_BDF_NIC0" "$VM_BDF_NIC1" "$VM_BDF_NIC2" "$VM_BDF_NIC3")
settle_limit=120
action_re='info +(bind|restore|numvfs) 0000:'
vm_say "soak: $rounds rounds, seed $seed"

# What the current config asks: want_nic[i] (0/1), want_numvfs, want_vf[i]
# (0/1 for VF index i, 00:10.(i+1)).
declare -a want_nic want_vf
want_numvfs=0

# uptime_ms: the guest's uptime in ms (no exec).
uptime_ms() {
	local up _
	read -r up _ </proc/uptime
	printf '%s\n' $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

# new_config ROUND: picks what to claim and writes it; the content always
# differs from the last round's (the round is in a comment).
new_config() {
	local text i vfs=()
	text="# soak round $1"$'\n'
	for i in "${!nics[@]}"; do
		want_nic[i]=$((RANDOM % 2))
		((want_nic[i])) && text+="DEFAULT ${nics[i]}"$'\n'
	done
	want_numvfs=0
	want_vf=(0 0 0 0)
	case $((RANDOM % 3)) in
	1)
		want_numvfs=4 want_vf=(1 0 1 0)
		text+="DEFAULT $pf numvfs=4 vfs=0,2"$'\n'
		;;
	2)
		want_numvfs=2 want_vf=(1 1 0 0)
		text+="DEFAULT $pf numvfs=2"$'\n'
		;;
	esac
	if ((RANDOM % 2)); then
		printf '%s' "$text" >"$VFB_CFG" # in place: truncated, then written
	else
		printf '%s' "$text" >"$VFB_CFG.new"
		mv -f "$VFB_CFG.new" "$VFB_CFG"
	fi
	for i in "${!want_vf[@]}"; do
		((i < want_numvfs)) || want_vf[i]=0
	done
}

kills=0
# kill_at_random MAX_TENTHS: lets the daemon run 0 to MAX_TENTHS/10 s, then
# SIGKILLs it.
kill_at_random() {
	local t=$((RANDOM % ($1 + 1)))
	vm_pause "$((t / 10)).$((t % 10))"
	printf '==== SIGKILL after %d.%ds\n' $((t / 10)) $((t % 10)) >>"$VFB_LOG"
	kill -9 "$VFB_PID" 2>/dev/null || true
	wait "$VFB_PID" 2>/dev/null || true
	VFB_PID=""
	kills=$((kills + 1))
}

# settled: reconcile answers once the work settled; 0 when converged.
settled() { vfb reconcile >/dev/null 2>&1; }

# check_machine ROUND: the machine is what the config says.
check_machine() {
	local r=$1 i b d o vf
	for i in "${!nics[@]}"; do
		b=${nics[i]}
		d=$(pci_driver "$b")
		o=$(<"/sys/bus/pci/devices/$b/driver_override")
		if ((want_nic[i])); then
			[[ $d == vfio-pci ]] || vm_fail "round $r: $b claimed but on '${d:-no driver}'"
		else
			[[ $d == e1000e ]] || vm_fail "round $r: $b released but on '${d:-no driver}'"
			[[ $o == "(null)" ]] || vm_fail "round $r: $b released with override $o"
		fi
	done
	[[ $(pci_driver "$pf") == nvme ]] || vm_fail "round $r: the PF is not on nvme"
	[[ $(<"$pfdir/sriov_numvfs") == "$want_numvfs" ]] ||
		vm_fail "round $r: sriov_numvfs $(<"$pfdir/sriov_numvfs"), want $want_numvfs"
	[[ $(<"$pfdir/sriov_drivers_autoprobe") == 1 ]] ||
		vm_fail "round $r: sriov_drivers_autoprobe is $(<"$pfdir/sriov_drivers_autoprobe")"
	for i in 0 1 2 3; do
		vf=0000:00:10.$((i + 1))
		if ((i >= want_numvfs)); then
			pci_absent "$vf" || vm_fail "round $r: $vf still there"
			continue
		fi
		d=$(pci_driver "$vf")
		if ((want_vf[i])); then
			[[ $d == vfio-pci ]] || vm_fail "round $r: $vf selected but on '${d:-no driver}'"
		else
			[[ $d != vfio-pci ]] || vm_fail "round $r: $vf not selected but on vfio-pci"
		fi
	done
	for b in 0000:00:1f.0 0000:00:1f.2 0000:00:1f.3; do
		[[ ! -e /sys/bus/pci/devices/$b || -n $(pci_driver "$b") ]] ||
			vm_fail "round $r: $b lost its driver"
	done
	! file_has '"action"' "$VFB_RUN/state.json" ||
		vm_fail "round $r: state.json still lists an action under way: $(<"$VFB_RUN/state.json")"
}

printf '# soak: nothing claimed yet\n' >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
total_ms=0 max_ms=0 min_ms=999999 doubles=0
for ((r = 1; r <= rounds; r++)); do
	new_config "$r"
	kill_at_random 20
	vfb_start || vm_fail "round $r: the daemon did not start again"
	if ((RANDOM % 2)); then
		# Again, while it recovers and runs its first pass.
		kill_at_random 15
		doubles=$((doubles + 1))
		vfb_start || vm_fail "round $r: the daemon did not start again"
	fi
	t0=$(uptime_ms)
	vm_wait "$settle_limit" settled || {
		vfb_show status || true
		vm_fail "round $r: not settled and converged within ${settle_limit}s"
	}
	ms=$(($(uptime_ms) - t0))
	vfb_log_mark
	vm_pause 1.5
	! vfb_log_new_has "$action_re" || {
		vfb_show status || true
		vm_fail "round $r: actions after it settled: $(vfb_log_new_count "$action_re")"
	}
	vfb_converged || vm_fail "round $r: status no longer 0 after it settled"
	total_ms=$((total_ms + ms))
	((ms > max_ms)) && max_ms=$ms
	((ms < min_ms)) && min_ms=$ms
	check_machine "$r"
	vm_say "round $r: nics ${want_nic[*]} numvfs $want_numvfs vfs ${want_vf[*]}: settled in ${ms} ms"
done

# The end: everything released, and the machine as the boot left it.
printf '# soak done: nothing claimed\n' >"$VFB_CFG"
want_nic=(0 0 0 0) want_numvfs=0 want_vf=(0 0 0 0)
vm_check "the last release settles" vm_wait "$settle_limit" settled
check_machine end
VFB_LOG_MARK=0
cut_short=$(vfb_log_new_count 'cut short by a restart')
summary="soak: $rounds rounds (seed $seed), $kills SIGKILLs ($doubles rounds killed twice),"
summary+=" $cut_short actions cut short and recovered; settle after the last restart:"
summary+=" mean $((total_ms / rounds)) ms, min $min_ms ms, max $max_ms ms; no anomaly"
vm_say "$summary"
printf '%s\n' "$summary" >"$VMTEST_OUT/soak-summary.txt"

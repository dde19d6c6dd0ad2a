#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fault soak at length: scenarios/52-daemon-soak.sh (the config flipped
# between claiming and releasing NICs and NVMe VFs while the daemon is
# SIGKILLed at random moments; after every restart it must converge, leave
# no device without a driver and autoprobe on) for ROUNDS rounds (default
# 100) in a boot of its own, then its figures: rounds, kills, settle times.
# make check-vm runs the same scenario for 10 rounds; make check-soak runs
# this.  Not part of make check: it takes 15 to 40 minutes under TCG.
#
# usage: soak.sh [--seed N] [ROUNDS]
# Exits as vm.sh does: 0 pass, 1 fail, 77 when the VM cannot be had.
set -euo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

rounds=100
while (($#)); do
	case $1 in
	--seed) export VFIOBIND_SOAK_SEED=$2 && shift ;;
	[0-9]*) rounds=$1 ;;
	*)
		echo "usage: soak.sh [--seed N] [ROUNDS]" >&2
		exit 2
		;;
	esac
	shift
done
export VFIOBIND_SOAK_ROUNDS=$rounds
# A round takes 5 to 20 s under TCG on two busy cores: room for the slow end.
export VFIOBIND_VM_SCENARIO_TIMEOUT_MIN=$((300 + rounds * 40))
export VFIOBIND_VM_TIMEOUT=$((420 + rounds * 40))

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
rc=0
"$VM_DIR/vm.sh" --keep "$VM_DIR/scenarios/52-daemon-soak.sh" 2>"$log" || rc=$?
run=$(sed -n 's/^vm: kept //p' "$log" | tail -n1)
if ((rc == 77)); then
	cat "$log" >&2
	exit 77
fi
if [[ -n $run && -d $run ]]; then
	grep -E 'soak: |round [0-9]+:|FAIL' "$run/console.log" || true
	summary=$run/share/out/52-daemon-soak/soak-summary.txt
	[[ -s $summary ]] && vm_log "$(<"$summary")"
	((rc == 0)) && rm -rf "$run"
fi
((rc == 0)) || cat "$log" >&2
((rc == 0)) || vm_log "run dir kept: $run"
vm_log "soak of $rounds rounds: rc=$rc in $(($(date +%s) - start))s"
exit "$rc"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every tests/vm/scenarios/*.sh (or the scenarios given) in QEMU guests.
# Scenarios with the same "# vm-profile:" header share one boot and run one
# after another in file-name order; "# vm-boot: own" gives a scenario a boot
# of its own, and VFIOBIND_VM_BOOT_EACH=1 does that for all.
# Prints "PASS name" / "FAIL name" / "SKIP name" per scenario, then exactly
# "N passed, N failed".  Exits 0 iff none failed; 77 (automake SKIP) if QEMU
# or a kernel cannot be had, unless VFIOBIND_VM_REQUIRED=1 (then 1).
# --keep keeps each boot's run dir (console log, share); -v streams the console.
set -euo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

# usage: run-all.sh [--keep] [-v|--verbose] [SCENARIO...]
vmopts=() all=()
while (($#)); do
	case $1 in
	--keep | -v | --verbose) vmopts+=("$1") ;;
	-*)
		echo "usage: run-all.sh [--keep] [-v|--verbose] [SCENARIO...]" >&2
		exit 2
		;;
	*) all+=("$1") ;;
	esac
	shift
done
if ((${#all[@]} == 0)); then
	all=("$VM_DIR"/scenarios/*.sh)
fi

start=$(date +%s)
rc=0
"$VM_DIR/prepare.sh" --quiet || rc=$?
if ((rc == 77)); then
	echo "SKIP: the QEMU test VM cannot be had here (see above); set VFIOBIND_VM_REQUIRED=1 to fail instead"
	exit 77
elif ((rc)); then
	echo "FAIL: tests/vm/prepare.sh exited $rc"
	echo "0 passed, ${#all[@]} failed"
	exit 1
fi
[[ ${VFIOBIND_BUILDDIR:-} ]] || [[ -x $VM_BUILDDIR/daemon/vfiobindd ]] ||
	vm_log "note: $VM_BUILDDIR/daemon/vfiobindd is not built (scenarios that need it will fail or skip)"

# Group by profile, keeping first-appearance order.
groups=() # one entry per boot: "profile|path path ..."
for s in "${all[@]}"; do
	p=$(vm_scenario_profile "$s")
	own=$(sed -n 's/^# *vm-boot: *//p' "$s" | head -n1)
	if [[ ${VFIOBIND_VM_BOOT_EACH:-0} != 1 && $own != own ]]; then
		found=0
		for i in "${!groups[@]}"; do
			if [[ ${groups[$i]%%|*} == "$p" && ${groups[$i]} != *"|own|"* ]]; then
				groups[i]+=" $s"
				found=1
				break
			fi
		done
		((found)) && continue
		groups+=("$p|$s")
	else
		groups+=("$p|own|$s")
	fi
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for g in "${groups[@]}"; do
	profile=${g%%|*}
	list=${g##*|}
	# shellcheck disable=SC2086 # (list is space-separated paths, no blanks)
	"$VM_DIR/vm.sh" "${vmopts[@]}" --profile "$profile" --results "$results" $list || true
	# A boot that ended without a word about a scenario failed it.
	for s in $list; do
		n=$(basename "$s" .sh)
		if ! awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' "$results"; then
			echo "FAIL $n (no result)"
			printf '%s 1\n' "$n" >>"$results"
		fi
	done
done

passed=$(awk '$2 == 0' "$results" | wc -l)
skipped=$(awk '$2 == 77' "$results" | wc -l)
failed=$(awk '$2 != 0 && $2 != 77' "$results" | wc -l)
vm_log "run-all took $(($(date +%s) - start))s for ${#all[@]} scenarios in ${#groups[@]} boots"
((skipped == 0)) || echo "($skipped skipped)"
echo "$passed passed, $failed failed"
((failed == 0)) || exit 1
((passed > 0 || skipped == 0)) || exit 77
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The scale bench (bench/README.md): what a scan, a refresh, the daemon's
# start and a full pass cost per PCI function on fake trees of 256, 1024 and
# 4096 functions, counted rather than timed: system calls (strace -c) and
# instructions (valgrind --tool=callgrind), RSS and idle wakeups of the real
# daemon; times only as a side note. Each per-function figure also as a ratio
# to its value at the smallest N: 1.00 all along means linear in N.
# Not part of `make check`; needs strace and valgrind; a few minutes.
#
# usage: bench/scale.sh [--sizes "256 1024 4096"] [--json FILE] [--idle SEC]
# Builds with `make bench` first (VFIOBIND_BUILDDIR: the build tree). Runs
# vfiobindd only in --dry-run, on fake trees: never on the real /sys.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${VFIOBIND_BUILDDIR:-$(cd "$here/.." && pwd)}
sizes="256 1024 4096" json="" idle=10
while (($#)); do
	case $1 in
	--sizes) sizes=$2 && shift ;;
	--json) json=$2 && shift ;;
	--idle) idle=$2 && shift ;;
	*)
		echo "usage: bench/scale.sh [--sizes \"256 1024 4096\"] [--json FILE] [--idle SEC]" >&2
		exit 2
		;;
	esac
	shift
done
for t in strace valgrind; do
	command -v "$t" >/dev/null || { echo "scale.sh: needs $t (apt-get install $t)" >&2; exit 1; }
done
make -C "$build" -j2 daemon/vfiobindd client/vfiobind bench/bench-scan bench/bench-daemon \
	bench/fake-tree >/dev/null
D=$build/daemon/vfiobindd C=$build/client/vfiobind
W=$(mktemp -d "${TMPDIR:-/tmp}/vb-scale.XXXXXX")
TREE=""
cleanup() {
	[[ -z $TREE ]] || rm -rf "$TREE"
	rm -rf "$W"
}
trap cleanup EXIT

# calls FILE: the total of an strace -c table.
calls() { awk '$NF == "total" { print $4 }' "$1"; }
# irs FILE: the instructions a callgrind run executed.
irs() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
# per A B N: (A - B) / N with two decimals.
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.2f", (a - b) / n }'; }

scan_counts() { # syscalls and instructions of pci_scan, pci_state_refresh
	local n=$1 s0 s1 sr i0 i1
	strace -f -c -o "$W/s0" "$build/bench/bench-scan" --root "$TREE" --scans 0
	strace -f -c -o "$W/s1" "$build/bench/bench-scan" --root "$TREE" --scans 1
	strace -f -c -o "$W/sr" "$build/bench/bench-scan" --root "$TREE" --scans 1 --refresh 100
	s0=$(calls "$W/s0") s1=$(calls "$W/s1") sr=$(calls "$W/sr")
	valgrind -q --tool=callgrind --callgrind-out-file="$W/c0" "$build/bench/bench-scan" \
		--root "$TREE" --scans 0
	valgrind -q --tool=callgrind --callgrind-out-file="$W/c1" "$build/bench/bench-scan" \
		--root "$TREE" --scans 1
	i0=$(irs "$W/c0") i1=$(irs "$W/c1")
	R[scan_sys]=$(per "$s1" "$s0" "$n") R[refresh_sys]=$(per "$sr" "$s1" 100)
	R[scan_ir]=$(per "$i1" "$i0" "$n")
}

# The daemon in --dry-run claiming nothing that exists: start-up and first
# pass under strace, then a full pass (vfiobind reconcile) counted by
# attaching to it.
daemon_counts() {
	local n=$1 pid sp
	printf 'DEFAULT id=ffff:ffff\n' >"$W/none.conf"
	: >"$W/d.log"
	strace -f -c -o "$W/start" "$D" --dry-run --sysfs-root "$TREE" --config "$W/none.conf" \
		--run-dir "$W" --socket "$W/s" --udev-source none 2>"$W/d.log" &
	sp=$!
	until grep -q 'first pass done' "$W/d.log"; do sleep 0.05; done
	pid=$(pgrep -P "$sp")
	kill "$pid"
	wait "$sp" || true
	R[start_sys]=$(calls "$W/start")
	: >"$W/d.log"
	"$D" --dry-run --sysfs-root "$TREE" --config "$W/none.conf" --run-dir "$W" \
		--socket "$W/s" --udev-source none 2>"$W/d.log" &
	pid=$!
	until grep -q 'first pass done' "$W/d.log"; do sleep 0.05; done
	strace -f -c -o "$W/pass" -p "$pid" 2>/dev/null &
	sp=$!
	sleep 1
	"$C" --socket "$W/s" reconcile >/dev/null || true
	kill -INT "$sp"
	wait "$sp" || true
	kill "$pid"
	wait "$pid" || true
	R[pass_sys]=$(calls "$W/pass")
}

# Instructions of a whole --once --dry-run that claims every function (scan,
# plan, gate, the final rescan), on the NIC tree and on a tree of SR-IOV PFs
# with 63 VFs each.
once_irs() {
	local n=$1 claim=$2 key=$3
	printf 'DEFAULT id=%s\n' "$claim" >"$W/all.conf"
	valgrind -q --tool=callgrind --callgrind-out-file="$W/once" "$D" --once --dry-run \
		--sysfs-root "$TREE" --config "$W/all.conf" --node-name bench >/dev/null 2>&1 || true
	R[$key]=$(irs "$W/once")
	R[${key}_n]=$n
	callgrind_annotate "$W/once" 2>/dev/null |
		awk '/file:function/ { go = 1; next } go && NF { print; if (++k == 12) exit }' \
			>"$W/top-$key-$n" || true
}

# The heap at its peak during the same --once (valgrind massif), and which
# allocations make it.
heap_peak() {
	local n=$1
	printf 'DEFAULT id=8086:10d3\n' >"$W/all.conf"
	valgrind -q --tool=massif --massif-out-file="$W/massif" "$D" --once --dry-run \
		--sysfs-root "$TREE" --config "$W/all.conf" --node-name bench >/dev/null 2>&1 || true
	R[heap_kib]=$(awk -F= '/^mem_heap_B=/ { if ($2 > m) m = $2 } END { printf "%d", m / 1024 }' \
		"$W/massif")
	# The peak snapshot's tree in massif's own file: depth 1 is " nK: BYTES ...",
	# depth 2 "  nK: ..." (the callers that made each).
	awk '/^heap_tree=/ { peak = ($0 == "heap_tree=peak"); next }
		peak && /^  ?n[0-9]+: [0-9]+ / { sub(/0x[0-9A-F]+: /, ""); print }
		peak && /^snapshot=/ { exit }' "$W/massif" | head -n 10 >"$W/heap-$n"
}

daemon_facts() { # RSS, idle wakeups, times (bench-daemon)
	local out
	out=$(VFIOBIND_BUILDDIR=$build "$build/bench/bench-daemon" "$1" "$idle")
	R[rss_kib]=$(awk '/^RSS after start-up/ { print $4 }' <<<"$out")
	R[idle_cs]=$(awk '/^idle wakeups/ { print $3 }' <<<"$out")
	R[start_ms]=$(awk '/^start-up/ { print $2 }' <<<"$out")
	R[edit_ms]=$(awk '/^config edit seen/ { print $4 }' <<<"$out")
}

declare -A R ALL
keys="scan_sys refresh_sys scan_ir start_sys pass_sys once_ir once_ir_n once_vf_ir once_vf_ir_n"
keys+=" heap_kib rss_kib idle_cs start_ms edit_ms"
for n in $sizes; do
	echo "scale.sh: $n functions" >&2
	R=()
	TREE=$("$build/bench/fake-tree" "$n")
	scan_counts "$n"
	daemon_counts "$n"
	once_irs "$n" 8086:10d3 once_ir
	heap_peak "$n"
	rm -rf "$TREE"
	TREE=$("$build/bench/fake-tree" "$n" vfs=63)
	fns=("$TREE"/bus/pci/devices/*)
	once_irs "${#fns[@]}" 1b36:0011 once_vf_ir
	rm -rf "$TREE"
	TREE=""
	daemon_facts "$n"
	for k in $keys; do ALL[$n,$k]=${R[$k]:-}; done
done

# The table: each figure at each size, then its growth: per-function
# figures over their value at the first size (1.00 all along: linear in N);
# for totals (daemon start, a pass, --once), total / N and the marginal cost
# of each function added between two sizes.
first=${sizes%% *}
printf '%-50s' "per function unless said"
for n in $sizes; do printf '%10s' "$n"; done
printf '   %s\n' "growth (over the first size)"
growth() { # growth KEY: the row's values over the first one
	local n v=""
	for n in $sizes; do
		v+=$(awk -v a="${ALL[$n,$1]}" -v b="${ALL[$first,$1]}" \
			'BEGIN { printf "%.2f ", (b > 0 ? a / b : 0) }')
	done
	printf '   %s\n' "$v"
}
row() { # row KEY LABEL: figures as they are
	local n
	printf '%-50s' "$2"
	for n in $sizes; do printf '%10s' "${ALL[$n,$1]}"; done
	growth "$1"
}
total_rows() { # total_rows KEY LABEL [NKEY]: total/N, then marginal per function
	local n p="" np="" nn
	for n in $sizes; do
		nn=${3:+${ALL[$n,$3]}}
		nn=${nn:-$n}
		ALL[$n,$1/n]=$(per "${ALL[$n,$1]}" 0 "$nn")
		ALL[$n,$1/d]=""
		[[ -z $p ]] || ALL[$n,$1/d]=$(per "${ALL[$n,$1]}" "$p" $((nn - np)))
		p=${ALL[$n,$1]} np=$nn
	done
	row "$1/n" "$2, total/N"
	printf '%-50s' "$2, marginal"
	for n in $sizes; do printf '%10s' "${ALL[$n,$1/d]:--}"; done
	printf '\n'
}
row scan_sys "syscalls, pci_scan"
row refresh_sys "syscalls, one device refreshed (per refresh)"
total_rows start_sys "syscalls, daemon start + first pass"
total_rows pass_sys "syscalls, a full pass (vfiobind reconcile)"
row scan_ir "instructions, pci_scan"
total_rows once_ir "instr., --once --dry-run claiming all" once_ir_n
total_rows once_vf_ir "instr., same, PFs with 63 VFs each" once_vf_ir_n
row heap_kib "heap peak of that --once (KiB, total)"
row rss_kib "daemon RSS after start (KiB, total)"
row idle_cs "idle context switches in ${idle} s (total)"
row start_ms "side note: start to first pass (ms, total)"
row edit_ms "side note: config edit seen (ms, total)"
for n in $sizes; do
	echo
	echo "top of --once --dry-run (instructions in each function itself), $n functions:"
	cat "$W/top-once_ir-$n" 2>/dev/null || true
	echo "its heap at the peak, by allocation site:"
	cat "$W/heap-$n" 2>/dev/null || true
done

if [[ -n $json ]]; then
	{
		printf '{\n "license": "SPDX-License-Identifier: GPL-2.0-or-later",\n'
		printf ' "generated": "%s",\n "idle_seconds": %s,\n "sizes": {' "$(date '+%Y-%m-%d %H:%M')" "$idle"
		sep=""
		for n in $sizes; do
			printf '%s\n  "%s": {' "$sep" "$n"
			s2=""
			for k in $keys; do
				printf '%s"%s": %s' "$s2" "$k" "${ALL[$n,$k]:-null}"
				s2=", "
			done
			printf '}'
			sep=","
		done
		printf '\n }\n}\n'
	} >"$json"
	echo "scale.sh: wrote $json" >&2
fi

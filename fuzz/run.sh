#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# fuzz/run.sh: build the libFuzzer targets with clang straight from the
# sources (no configure needed) and run each for a while.
#
#   fuzz/run.sh                  build, then run every target 30 s
#   FUZZ_SECONDS=120 fuzz/run.sh build, then run every target 2 min
#   fuzz/run.sh config proto     only these targets
#   FUZZ_BUILD_ONLY=1 fuzz/run.sh
#
# Environment: CC (clang), FUZZ_SECONDS (30), FUZZ_JOBS (1: parallel
# fuzzing processes per target), FUZZ_WORKDIR (a fresh temporary directory:
# grown corpora, logs and crash inputs go there, never into fuzz/corpus/),
# FUZZ_CFLAGS (extra compiler flags).
#
# Exits non-zero when a target fails to build or any run finds a crash, a
# leak, a timeout or an invariant violation; the input that did it is left in
# FUZZ_WORKDIR (crash-*, leak-*, timeout-*) and its path printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
CC=${CC:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_CFLAGS=${FUZZ_CFLAGS:-}
workdir=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/vfiobind-fuzz.XXXXXX")}
mkdir -p "$workdir"

targets=${*:-"bdf config proto"}

# The sources each target links: only the pure parsers, nothing that opens
# a file under /sys.
sources() {
	case $1 in
	bdf) echo "logic/bdf.c" ;;
	config) echo "logic/config.c logic/config-format.c logic/util.c logic/bdf.c" ;;
	proto) echo "protocol/proto.c protocol/commands.c" ;;
	esac
}

json_cflags=$(pkg-config --cflags json-c)
json_libs=$(pkg-config --libs json-c)

cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -D_GNU_SOURCE -std=gnu11
	-Wall -Wextra -Wno-unused-parameter"

build() {
	t=$1
	srcs=$(sources "$t")
	libs=""
	[ "$t" = proto ] && libs=$json_libs
	echo "== build fuzz-$t"
	# shellcheck disable=SC2086
	(cd "$top" && $CC $cflags $FUZZ_CFLAGS -I protocol -I logic $json_cflags \
		-o "fuzz/fuzz-$t" "fuzz/fuzz-$t.c" $srcs $libs)
}

run() {
	t=$1
	corpus="$workdir/corpus-$t"
	log="$workdir/log-$t.txt"
	mkdir -p "$corpus" "$workdir/artifacts-$t"
	jobs="" dict=""
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	[ "$FUZZ_JOBS" -gt 1 ] && jobs="-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS"
	set +e
	# The grown corpus (first directory) is written to; the seeds are read only.
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$here/fuzz-$t" -max_total_time="$FUZZ_SECONDS" -max_len=65536 \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$workdir/artifacts-$t/" \
		$jobs $dict \
		"$corpus" "$here/corpus/$t" >"$log" 2>&1
	rc=$?
	set -e
	# With -jobs, libFuzzer logs each job to fuzz-N.log in the cwd.
	execs=$(grep -h '^stat::number_of_executed_units' "$log" fuzz-[0-9]*.log 2>/dev/null |
		awk '{s += $2} END {print s + 0}')
	rate=$(grep -h '^stat::average_exec_per_sec' "$log" fuzz-[0-9]*.log 2>/dev/null |
		awk '{s += $2} END {print s + 0}')
	cov=$(grep -h -o 'cov: [0-9]*' "$log" fuzz-[0-9]*.log 2>/dev/null |
		awk '{if ($2 > m) m = $2} END {print m + 0}')
	ft=$(grep -h -o 'ft: [0-9]*' "$log" fuzz-[0-9]*.log 2>/dev/null |
		awk '{if ($2 > m) m = $2} END {print m + 0}')
	units=$(find "$corpus" -type f | wc -l)
	found=$(find "$workdir/artifacts-$t" -type f | head -n 1)
	status=ok
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		status="FAILED (exit $rc) ${found:+input $found}"
		failed=1
	fi
	printf 'fuzz-%s: %s s, %s execs, %s exec/s, cov %s, ft %s, corpus %s: %s\n' \
		"$t" "$FUZZ_SECONDS" "$execs" "$rate" "$cov" "$ft" "$units" "$status" |
		tee -a "$workdir/summary"
	if [ "$status" != ok ]; then
		grep -h -A40 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant failed|re-parse|refused' \
			"$log" fuzz-[0-9]*.log 2>/dev/null | head -n 60 >&2 || true
	fi
}

for t in $targets; do
	case $t in
	bdf | config | proto) build "$t" ;;
	*) echo "run.sh: unknown target $t (bdf, config, proto)" >&2; exit 2 ;;
	esac
done
[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0

failed=0
cd "$workdir" # libFuzzer's per-job logs land in the cwd
for t in $targets; do
	run "$t"
	mkdir -p "jobs-$t"
	mv fuzz-[0-9]*.log "jobs-$t/" 2>/dev/null || true
done
echo "fuzz: logs, grown corpora and any crash inputs in $workdir"
exit "$failed"

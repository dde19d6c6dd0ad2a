#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-client.sh: the vfiobind client against a fake daemon. socat listens on a
# temporary socket and runs a tiny responder per connection that logs the
# request line and answers with a canned reply chosen by the command name, so
# these tests pin the client's side of the protocol (request shape, exit
# codes, --json, error text) without vfiobindd and without touching /sys.
#
# VFIOBIND: the client binary (default: $VFIOBIND_BUILDDIR/client/vfiobind,
# which AM_TESTS_ENVIRONMENT sets for `make check`).
# Exit 77 (skipped) when socat is not installed.
set -u

VFIOBIND=${VFIOBIND:-${VFIOBIND_BUILDDIR:-.}/client/vfiobind}
command -v socat >/dev/null 2>&1 || { echo "SKIP: socat not installed"; exit 77; }
[ -x "$VFIOBIND" ] || { echo "FAIL: no client binary at $VFIOBIND"; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/vfiobind-client.XXXXXX")
sock=$dir/vfiobind.sock
socat_pid=
cleanup() {
	[ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null && wait "$socat_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
export VFIOBIND_SOCKET=$sock NO_COLOR= TZ=UTC

# The responder: one request line in, the file reply.CMD (or reply.default)
# out with @ID@ replaced by the request's id, then the connection closes.
cat >"$dir/respond" <<'EOF'
#!/bin/sh
IFS= read -r req || exit 0
printf '%s\n' "$req" >>"$DIR/requests"
id=$(printf '%s' "$req" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
cmd=$(printf '%s' "$req" | sed -n 's/.*"cmd":"\([a-z]*\)".*/\1/p')
f=$DIR/reply.$cmd
[ -f "$f" ] || f=$DIR/reply.default
[ -f "$DIR/delay" ] && sleep "$(cat "$DIR/delay")"
sed "s/@ID@/$id/g" "$f"
EOF
chmod +x "$dir/respond"

start_server() {
	DIR=$dir socat UNIX-LISTEN:"$sock",fork EXEC:"$dir/respond" 2>/dev/null &
	socat_pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	echo "FAIL: socat did not create $sock"
	exit 1
}

# reply CMD JSON-RESULT-OR-ERROR-LINE...: the canned lines for CMD.
reply() {
	local cmd=$1
	shift
	printf '%s\n' "$@" >"$dir/reply.$cmd"
}
ok() { printf '{"v":1,"id":@ID@,"ok":true,"result":%s}' "$1"; }
err() { printf '{"v":1,"id":@ID@,"ok":false,"error":%s}' "$1"; }

failures=0
tests=0
# run NAME WANT-EXIT ARGS...: run the client, keep stdout/stderr in $out/$errout.
run() {
	local name=$1 want=$2
	shift 2
	: >"$dir/requests"
	out=$("$VFIOBIND" "$@" 2>"$dir/stderr")
	rc=$?
	errout=$(cat "$dir/stderr")
	tests=$((tests + 1))
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $name: exit $rc, want $want"
		echo "  stdout: $out"
		echo "  stderr: $errout"
		failures=$((failures + 1))
		return 1
	fi
	echo "ok: $name"
}
expect() { # expect NAME ACTUAL WANTED
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1"
		echo "  got:  $2"
		echo "  want: $3"
		failures=$((failures + 1))
	fi
}
contains() { # contains NAME HAYSTACK NEEDLE
	case "$2" in
	*"$3"*) ;;
	*) echo "FAIL: $1: no \"$3\" in:"; echo "$2"; failures=$((failures + 1)) ;;
	esac
}
requests() { cat "$dir/requests"; }

# --- the daemon is not there
run unreachable_is_exit_3 3 status
expect unreachable_message "$errout" \
	"vfiobind: cannot reach vfiobindd at $sock: No such file or directory (is vfiobindd running?)"
run version_prints_the_client_even_when_unreachable 3 version
contains version_client_line "$out" "client: vfiobind "

start_server

# --- usage errors never reach the daemon
run unknown_command_is_exit_2 2 frobnicate
run bad_bdf_is_exit_2 2 status 0000:03:00.9
run add_without_device_is_exit_2 2 add
run add_bad_pair_is_exit_2 2 add 03:00.1 driver
run status_takes_no_runtime 2 status --runtime
run plan_missing_file_is_exit_2 2 plan "$dir/no-such-file"
expect usage_errors_send_nothing "$(requests)" ""

# --- help
run help_command 0 help status
contains help_usage "$out" "Usage: vfiobind status [DEVICE...]"
run command_help_option 0 add --help
contains help_exit_codes "$out" "3  vfiobindd cannot be reached"

# --- status
converged='{"devices":[{"device":"0000:03:00.1","line":"/etc/vfiobind.conf:3","desired":"vfio-pci","current":"vfio-pci","state":"converged","reason":"","last_error":null,"retry_at":null}],"summary":{"converged":1,"pending":0,"blocked":0,"error":0,"absent":0,"stuck":0,"passes":4,"binds":1,"restores":0,"failures":0,"reloads":0}}'
reply status "$(ok "$converged")"
run status_all_converged_is_exit_0 0 status 03:00.1
expect status_sends_canonical_bdfs "$(requests)" \
	'{"v":1,"id":1,"cmd":"status","args":{"devices":["0000:03:00.1"]}}'
contains status_table "$out" "0000:03:00.1  converged  vfio-pci  vfio-pci  /etc/vfiobind.conf:3"
contains status_summary "$out" "1 converged"
run status_json 0 --json status
expect status_json_is_the_result_exactly "$out" "$converged"
run status_json_after_command 0 status --json
expect status_json_option_after_the_command "$out" "$converged"

blocked='{"devices":[{"device":"0000:03:00.1","state":"converged","current":"vfio-pci","desired":"vfio-pci"},{"device":"0000:04:00.0","state":"blocked","current":"igb","desired":"vfio-pci","reason":"IOMMU group 7 also holds 0000:04:00.1"}]}'
reply status "$(ok "$blocked")"
run status_blocked_is_exit_1 1 status
contains status_blocked_summary "$out" "1 converged, 1 blocked"
run status_blocked_json_still_exit_1 1 --json status
expect status_blocked_json "$out" "$blocked"

# --- error replies
reply devices "$(err '{"code":"permission-denied","message":"not allowed"}')"
run error_reply_is_exit_1 1 devices
expect error_reply_message "$errout" "vfiobind: permission-denied: not allowed"
reply reload "$(err '{"code":"config-invalid","message":"2 bad lines","errors":[{"file":"/etc/vfiobind.conf","line":3,"message":"bad device \"0000:zz\""},{"file":"/etc/vfiobind.conf","line":7,"message":"unknown key foo"}]}')"
run config_invalid_is_exit_1 1 reload
expect config_invalid_lines "$errout" 'vfiobind: config-invalid: 2 bad lines
/etc/vfiobind.conf:3: bad device "0000:zz"
/etc/vfiobind.conf:7: unknown key foo'
reply ping '{"v":1,"id":null,"ok":false,"error":{"code":"parse-error","message":"not JSON"}}'
run null_id_error_is_exit_1 1 ping
expect null_id_error_message "$errout" "vfiobind: parse-error: not JSON"
reply ping '{"v":1,"id":99,"ok":true,"result":{}}'
run wrong_id_is_exit_1 1 ping
reply ping 'this is not json'
run garbage_reply_is_exit_1 1 ping

# --- a daemon of another protocol version: named, whatever its reply holds
reply ping '{"v":2,"id":@ID@,"ok":true,"result":"a shape of version 2"}'
run newer_daemon_is_exit_1 1 ping
expect newer_daemon_message "$errout" \
	"vfiobind: vfiobindd speaks protocol 2, this vfiobind speaks 1: restart vfiobindd or use the vfiobind that came with it"
expect newer_daemon_prints_no_result "$out" ""
reply ping '{"v":1,"id":@ID@,"ok":false,"error":{"code":"bad-version","message":"m","protocol":3}}'
run bad_version_is_exit_1 1 ping
expect bad_version_names_the_daemons_protocol "$errout" \
	"vfiobind: vfiobindd speaks protocol 3, this vfiobind speaks 1: restart vfiobindd or use the vfiobind that came with it"

# --- add, remove, plan: what goes on the wire
reply add "$(ok '{"added":"DEFAULT 0000:03:00.1 driver=vfio-pci","reloaded":true}')"
run add_builds_the_line 0 add 03:00.1 driver=vfio-pci --runtime
expect add_request "$(requests)" \
	'{"v":1,"id":1,"cmd":"add","args":{"line":"DEFAULT 0000:03:00.1 driver=vfio-pci","runtime":true}}'
run add_with_node 0 add --node 'worker-*' id=8086:10d3 numvfs=4
expect add_node_request "$(requests)" \
	'{"v":1,"id":1,"cmd":"add","args":{"line":"worker-* id=8086:10d3 numvfs=4","runtime":false}}'
reply remove "$(ok '{"removed":0}')"
run remove_nothing_is_exit_1 1 remove --node n1 0000:03:00.1
expect remove_request "$(requests)" \
	'{"v":1,"id":1,"cmd":"remove","args":{"device":"0000:03:00.1","node":"n1","runtime":false}}'
reply plan "$(ok '{"actions":[{"kind":"bind","device":"0000:03:00.1","text":"bind to vfio-pci"}],"statuses":[]}')"
printf 'DEFAULT 03:00.1\n# "quoted" / slash\n' >"$dir/proposed.conf"
run plan_from_stdin 0 plan - <"$dir/proposed.conf"
expect plan_request "$(requests)" \
	'{"v":1,"id":1,"cmd":"plan","args":{"config":"DEFAULT 03:00.1\n# \"quoted\" / slash\n","source":"(stdin)"}}'
contains plan_actions "$out" "bind    0000:03:00.1  bind to vfio-pci"

# --- watch: events until the daemon closes
reply watch "$(ok '{}')" \
	'{"v":1,"id":@ID@,"event":{"kind":"device","device":"0000:03:00.1","state":"pending","message":"unbinding from igb","time":0}}' \
	'{"v":1,"id":@ID@,"event":{"kind":"device","device":"0000:03:00.1","state":"converged","message":"bound to vfio-pci","time":1000}}'
run watch_exits_0_when_the_daemon_closes 0 watch
expect watch_lines "$out" '1970-01-01 00:00:00 device 0000:03:00.1 pending   unbinding from igb
1970-01-01 00:00:01 device 0000:03:00.1 converged bound to vfio-pci'
run watch_json 0 --json watch
expect watch_json_lines "$out" '{"kind":"device","device":"0000:03:00.1","state":"pending","message":"unbinding from igb","time":0}
{"kind":"device","device":"0000:03:00.1","state":"converged","message":"bound to vfio-pci","time":1000}'

# --- strings from the daemon reach the terminal made printable
esc=$(printf '\033')
noesc() { # noesc NAME TEXT: no ESC, BEL or CR byte in TEXT
	case "$2" in
	*"$esc"* | *$'\a'* | *$'\r'*) echo "FAIL: $1: a control character passed:"; printf '%s\n' "$2" | od -c | head -5
		failures=$((failures + 1)) ;;
	esac
}
reply version "$(ok '{"version":"9.9\u001b[31m","protocol":1,"node":"n1\u001b]0;pwned\u0007","sysfs_root":"/sys\r","dry_run":false,"config_path":"/etc/vfiobind/vfiobind.conf"}')"
run version_of_a_hostile_daemon 0 version
noesc version_shows_no_escape "$out"
contains version_escape_shown "$out" "daemon: vfiobindd 9.9?[31m (protocol 1) on node n1?]0;pwned?, sysfs /sys?"
run version_json_of_a_hostile_daemon 0 --json version
noesc version_json_shows_no_escape "$out"
contains version_json_escapes_them "$out" '"version":"9.9\u001b[31m"'
reply add "$(ok '{"added":"DEFAULT 0000:03:00.1\u001b[2J\u001b[H","reloaded":true}')"
run add_of_a_hostile_daemon 0 add 03:00.1
noesc add_shows_no_escape "$out"
expect add_escape_shown "$out" "added: DEFAULT 0000:03:00.1?[2J?[H"
reply status "$(err '{"code":"internal\u001b[5m","message":"boom\u001b[31m\u0007"}')"
run error_of_a_hostile_daemon 1 status
noesc error_shows_no_escape "$errout"
expect error_escape_shown "$errout" "vfiobind: internal?[5m: boom?[31m?"
# --- the node's health: status --quiet, wait, metrics
health() { printf '{"health":{"state":"%s","settled":%s,"healthy":false,"reason":"%s","waiting":"%s","counts":{"converged":2,"pending":%s}}}' "$@"; }
reply status "$(ok "$(health healthy true '' '' 0)")"
run status_quiet_healthy_is_exit_0 0 status --quiet
expect status_quiet_line "$out" "healthy: 2 converged"
reply status "$(ok "$(health progressing false 'x (pending: bind)' 'x (pending: bind)' 1)")"
run status_quiet_progressing_is_exit_4 4 status -q
expect status_quiet_progressing_line "$out" "progressing: 2 converged, 1 pending; waiting for x (pending: bind)"
reply status "$(ok "$(health degraded true 'x: error: busy' '' 0)")"
run status_quiet_degraded_is_exit_1 1 status --quiet
run status_quiet_is_only_for_status 2 devices --quiet
reply wait "$(ok "{\"settled\":true,$(health healthy true '' '' 0 | sed 's/^{//')")"
run wait_settled_is_exit_0 0 wait --timeout 5 03:00.1 id=8086:10d3
# the time left of the 5 s, in ms: what the clock says, so only its bounds
expect wait_request "$(requests | sed 's/"timeout":[1-4][0-9][0-9][0-9]}/"timeout":T}/; s/"timeout":5000}/"timeout":T}/')" \
	'{"v":1,"id":1,"cmd":"wait","args":{"devices":["0000:03:00.1","id=8086:10d3"],"timeout":T}}'
expect wait_line "$out" "healthy: 2 converged"
reply wait "$(ok '{"settled":false,"waiting":[{"device":"0000:03:00.1","state":"pending","reason":"bind to vfio-pci"}],"health":{}}')"
run wait_not_settled_in_time_is_exit_4 4 wait --timeout 0.3
expect wait_says_what_it_waits_for "$errout" "vfiobind: still waiting for 0000:03:00.1 (pending: bind to vfio-pci)"
run wait_bad_device_is_exit_2 2 wait 0000:03:00.9
reply metrics "$(ok '{"text":"# TYPE vfiobind_settled gauge\nvfiobind_settled 1\n"}')"
run metrics_prints_the_text 0 metrics
expect metrics_text "$out" '# TYPE vfiobind_settled gauge
vfiobind_settled 1'

# --- a daemon that does not answer
reply ping "$(ok '{"pong":true}')"
echo 3 >"$dir/delay"
run timeout_is_exit_3 3 --timeout 0.3 ping
contains timeout_message "$errout" "no reply from vfiobindd"
rm -f "$dir/delay"
run ping_answers 0 ping

echo "$tests runs, $failures failures"
[ "$failures" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Check the systemd units vfiobind ships:
#   - etc/vfiobindd.service.in, rendered the way make renders it (@sbindir@
#     pointing at a temporary directory that holds an executable stand-in,
#     because `systemd-analyze verify` insists that ExecStart= exists);
#   - the podman-based unit inline in etc/openshift/99-worker-vfiobind.bu
#     (with /usr/bin/podman replaced by a stand-in), when python3 + PyYAML
#     are there to extract it;
#   - etc/systemd/vfiobind-wait.conf.in, the consumer's drop-in, rendered
#     like make renders it and verified as the drop-in of a stand-in
#     consumer unit next to the host unit.
# Static checks first, then `systemd-analyze verify`, which must print
# nothing about our units (it exits 0 even for unknown directives).
# Exit status: 0 pass, 1 fail, 77 (automake: skipped) without systemd-analyze.
# Nothing here starts a unit or touches /sys.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
unit_in="$top/etc/vfiobindd.service.in"
dropin_in="$top/etc/systemd/vfiobind-wait.conf.in"
bu="$top/etc/openshift/99-worker-vfiobind.bu"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfiobind-check-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # check DESCRIPTION COMMAND...
	what=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}

mkdir "$tmp/sbin" "$tmp/bin" "$tmp/host" "$tmp/rhcos"
printf '#!/bin/sh\nexit 0\n' >"$tmp/sbin/vfiobindd"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/podman"
chmod 0755 "$tmp/sbin/vfiobindd" "$tmp/bin/podman"

# Same substitution as etc/local.mk.
unit="$tmp/host/vfiobindd.service"
sed -e "s|@sbindir[@]|$tmp/sbin|g" -e "s|@sysconfdir[@]|/etc|g" "$unit_in" >"$unit"

# ---- static checks of the host unit ----------------------------------------
has() { grep -qxF -- "$1" "$unit"; }
has_word() { # has_word KEY WORD: some KEY= line lists WORD
	# shellcheck disable=SC2020 # both space and = become newlines
	grep "^$1=" "$unit" | tr ' =' '\n\n' | grep -qxF -- "$2"
}
check "no @var@ left after substitution" sh -c "! grep -q '@[a-z_]*@' '$unit'"
# shellcheck disable=SC2016 # 'ExecReload=... $MAINPID' is literal
for line in \
	"Type=notify" \
	"Restart=on-failure" \
	"ExecStart=$tmp/sbin/vfiobindd" \
	'ExecReload=/bin/kill -HUP $MAINPID' \
	"RuntimeDirectory=vfiobind" \
	"WantedBy=multi-user.target" \
	"CapabilityBoundingSet=CAP_SYS_MODULE CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" \
	"ProtectProc=default" \
	"DevicePolicy=closed" \
	"NoNewPrivileges=yes" \
	"ProtectSystem=strict" \
	"ProtectHome=yes" \
	"PrivateTmp=yes" \
	"ProtectClock=yes" \
	"RestrictRealtime=yes" \
	"RestrictNamespaces=yes" \
	"LockPersonality=yes" \
	"MemoryDenyWriteExecute=yes" \
	"SystemCallArchitectures=native" \
	"SystemCallFilter=@system-service @module" \
	"RestrictAddressFamilies=AF_UNIX AF_NETLINK" \
	"DevicePolicy=closed" \
	"DeviceAllow=block-* r"
do
	check "host unit: $line" has "$line"
done
for w in systemd-udevd.service systemd-modules-load.service; do
	check "host unit: After=$w" has_word After "$w"
done
for w in libvirtd.service virtqemud.service; do
	check "host unit: Before=$w" has_word Before "$w"
done
for w in /sys/bus/pci /sys/devices /etc/vfiobind; do
	check "host unit: $w writable" sh -c "grep '^ReadWritePaths=' '$unit' | tr ' =' '\n\n' | sed 's/^-//' | grep -qxF '$w'"
done
# Settings that would break the daemon (see the comment block in the unit):
# ProtectProc=invisible and PrivateDevices=yes hide the holders of a device
# and the nodes they hold.
for line in ProtectKernelModules=yes PrivateNetwork=yes PrivateUsers=yes ProcSubset=pid DynamicUser=yes \
	ProtectProc=invisible PrivateDevices=yes; do
	check "host unit: no $line" sh -c "! grep -qxF '$line' '$unit'"
done
check "host unit: no User=" sh -c "! grep -q '^User=' '$unit'"
# add/remove refuse what they cannot keep rather than the unit granting
# CAP_CHOWN (why: the comment at the capability notes in the unit).
check "host unit: no CAP_CHOWN in the bounding set" sh -c "! grep '^CapabilityBoundingSet=' '$unit' | grep -qw CAP_CHOWN"
# vfiobindd refuses a run directory that others can write.
check "host unit: RuntimeDirectoryMode=0755" has "RuntimeDirectoryMode=0755"

# ---- the consumer's drop-in -------------------------------------------------------
# A stand-in consumer beside the host unit, so that Wants=/After= resolve.
mkdir "$tmp/host/vfiobind-consumer.service.d"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/vfiobind"
chmod 0755 "$tmp/bin/vfiobind"
printf '[Unit]\nDescription=uses the devices\n[Service]\nExecStart=/bin/true\n' >"$tmp/host/vfiobind-consumer.service"
dropin="$tmp/host/vfiobind-consumer.service.d/vfiobind-wait.conf"
# Same substitution as etc/local.mk.
sed -e "s|@bindir[@]|$tmp/bin|g" "$dropin_in" >"$dropin"
dhas() { grep -qxF -- "$1" "$dropin"; }
check "drop-in: no @var@ left after substitution" sh -c "! grep -q '@[a-z_]*@' '$dropin'"
check "drop-in: Wants=vfiobindd.service" dhas "Wants=vfiobindd.service"
check "drop-in: After=vfiobindd.service" dhas "After=vfiobindd.service"
check "drop-in: no Requires= (a restart of vfiobindd must not restart the consumer)" sh -c "! grep -q '^Requires=' '$dropin'"
wait_line=$(grep '^ExecStartPre=' "$dropin" || true)
check "drop-in: ExecStartPre= runs the installed vfiobind wait" \
	sh -c "printf '%s\n' '$wait_line' | grep -Eq '^ExecStartPre=[-+]*$tmp/bin/vfiobind wait --timeout [0-9]+\$'"
# systemd's default TimeoutStartSec= (90 s) covers ExecStartPre=: the wait
# must end by its own exit code first.
secs=$(printf '%s\n' "$wait_line" | sed -n 's/.*--timeout \([0-9]*\)$/\1/p')
check "drop-in: the wait (${secs:-?} s) ends before the default 90 s start timeout" \
	sh -c "[ -n '$secs' ] && [ '$secs' -lt 90 ]"

# ---- the RHCOS (podman) unit -------------------------------------------------
rhcos=""
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
	rhcos="$tmp/rhcos/vfiobindd.service"
	if python3 - "$bu" "$rhcos" "$tmp/bin/podman" <<'EOF'
import sys, yaml
bu, out, podman = sys.argv[1:]
units = {u["name"]: u for u in yaml.safe_load(open(bu))["systemd"]["units"]}
text = units["vfiobindd.service"]["contents"].replace("/usr/bin/podman", podman)
open(out, "w").write(text)
EOF
	then ok "RHCOS unit extracted from $(basename "$bu")"
	else fail "RHCOS unit extracted from $(basename "$bu")"; rhcos=""
	fi
else
	echo "note: python3 with PyYAML not found; the RHCOS unit is not verified"
fi

# ---- systemd-analyze verify ---------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "$passed passed, $failed failed (systemd-analyze not found: verify skipped)"
	[ "$failed" -eq 0 ] || exit 1
	exit 77
fi

# --man=no: the man pages are not installed while testing a build tree.
# --recursive-errors=no (systemd >= 250): judge our unit, not the host's.
opts="--man=no"
version=$(systemd-analyze --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
if [ -n "$version" ] && [ "$version" -ge 250 ]; then
	opts="$opts --recursive-errors=no"
fi

verify() { # verify LABEL UNITFILE
	out="$tmp/verify.out"
	rc=0
	# shellcheck disable=SC2086 # $opts is a list of options
	systemd-analyze verify $opts "$2" >"$out" 2>&1 || rc=$?
	name=$(basename "$2")
	if [ "$rc" -eq 0 ] && ! grep -qF -e "$name" -e "$2" "$out"; then
		ok "$1: systemd-analyze verify"
	else
		fail "$1: systemd-analyze verify (exit $rc)"
		sed 's/^/    /' "$out"
	fi
}
verify "host unit" "$unit"
verify "drop-in (on a stand-in consumer)" "$tmp/host/vfiobind-consumer.service"
[ -z "$rhcos" ] || verify "RHCOS unit" "$rhcos"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped unit under a real systemd: this boot has systemd as PID 1
# (guest/systemd-setup.sh), with etc/vfiobindd.service.in rendered as make
# renders it (hardening untouched; a drop-in adds only --log-level debug) and
# started by the boot with "DEFAULT 0000:00:02.0" in /etc/vfiobind.  This
# scenario runs from a unit ordered After=vfiobindd.service, so: NIC 0 is on
# vfio-pci already (Type=notify, READY=1 after the first pass), vfio-pci was
# loaded by the daemon (libkmod: CAP_SYS_MODULE, @module, /lib/modules),
# the sandbox is in force (capability bounding set, seccomp, no_new_privs),
# `vfiobind status` answers on /run/vfiobind/vfiobind.sock, a config edit
# and `vfiobind add/remove` (which rewrite /etc/vfiobind) work and keep the
# file's POSIX ACL, while a group root is not a member of is refused (no
# CAP_CHOWN) and the file left as it was, `systemctl
# reload` (SIGHUP) re-reads, `systemctl restart` and `stop` keep state.json,
# a line removed while stopped gives the NIC back to e1000e on the next
# start, and a line removed under a holder of another uid (the way QEMU
# holds a device) names it in status and waits for it to let go (the
# capabilities and device policy let the daemon see and watch it).  The
# device policy lets the in-use check read a disk's signature (an NVMe
# namespace with ext4 is blocked for its filesystem, not for "cannot
# tell").  The journal has no EROFS/EPERM/SIGSYS.
# vm-profile: nics=3 nvme=1 rootports=0 nvmens=16
# vm-boot: own
# vm-init: systemd
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

[[ $(</proc/1/comm) == systemd ]] || vm_skip "needs systemd as PID 1 (# vm-init: systemd)"
[[ -x $VFIOBINDD && -x $VFIOBIND ]] || vm_skip "vfiobindd or vfiobind is not built"

# VMTEST_SYSCONFDIR: the daemon's built-in sysconfdir, which the unit was
# rendered with (guest/systemd-setup.sh).
# shellcheck source=/dev/null
. /etc/vmtest-systemd.env
U=vfiobindd.service
CFG=$VMTEST_SYSCONFDIR/vfiobind/vfiobind.conf
n0=$VM_BDF_NIC0 n1=$VM_BDF_NIC1 n2=$VM_BDF_NIC2
# The client on its default socket, /run/vfiobind/vfiobind.sock.
vfb() { "$VFIOBIND" --no-color "$@"; }
prop() { systemctl show -P "$1" "$U"; }
journal() { journalctl -b -u "$U" -o short-monotonic --no-pager 2>&1; }
journal_has() { re_match "$1" "$(journal)"; }
is_active() { [[ $(prop ActiveState) == "$1" ]]; }
running_unrestarted() { [[ $(prop ActiveState)/$(prop SubState)/$(prop NRestarts) == active/running/0 ]]; }
lacks() { ! re_match "$1" "$2"; }

on_exit() {
	local rc=$?
	vm_holder_stop KILL
	if ((rc != 0 && rc != 77)); then
		vm_say "---- systemctl status $U ----"
		systemctl status --no-pager -l "$U" 2>&1 | tail -n 20 || true
		vm_say "---- journalctl -u $U ----"
		journal | tail -n 80 || true
		journal >"$VMTEST_OUT/vfiobindd.journal" 2>&1 || true
	fi
	exit "$rc"
}
trap on_exit EXIT

vm_say "systemd $(systemctl --version | sed -n 's/^systemd \([0-9]*\).*/\1/p'), system state: $(systemctl is-system-running 2>&1 || true)"
vm_indent "$(systemctl cat "$U" | grep -E '^(ExecStart|Type|Protect|ReadWrite|Capab|SystemCall|Private|Restrict|Memory|NoNew)=')"

# --- 1. started by the boot, ready after the first pass --------------------
vm_check "$U is active (running), NRestarts=0" running_unrestarted
# This unit is After=vfiobindd.service: with Type=notify it started only
# after READY=1, which comes after the first pass.  So no waiting here.
vm_check "$n0 was on vfio-pci when the consumer started" pci_has_driver "$n0" vfio-pci
vm_check "/dev/vfio/$(pci_iommu_group "$n0") exists" vfio_dev_of "$n0"
vm_check "$n1 stays on e1000e" pci_has_driver "$n1" e1000e
t_start=$(prop ExecMainStartTimestampMonotonic) t_ready=$(prop ActiveEnterTimestampMonotonic)
vm_say "exec at $((t_start / 1000)) ms, READY=1 at $((t_ready / 1000)) ms after boot"
vm_check "the journal: first pass done, then ready" journal_has 'first pass done: ready'
vm_check "the journal: bound $n0" journal_has "bound $n0 to vfio-pci"
# Nothing else loaded vfio-pci in this boot (no modules-load.d entry).
vm_check "vfio_pci loaded" test -d /sys/module/vfio_pci
vm_check "the daemon loaded it itself (libkmod)" journal_has 'module vfio_pci loaded'

# --- 2. the sandbox is really in force --------------------------------------
pid=$(prop MainPID)
st=$(</proc/"$pid"/status)
vm_indent "$(grep -E '^(Cap|NoNewPrivs|Seccomp)' <<<"$st")"
# CapBnd: CAP_DAC_READ_SEARCH (2), CAP_SYS_MODULE (16), CAP_SYS_PTRACE (19)
# = 0x90004: libkmod, and every process's /proc/PID/fd for the holders.
vm_check "bounding set is CAP_DAC_READ_SEARCH, CAP_SYS_MODULE, CAP_SYS_PTRACE" \
	re_match $'CapBnd:[ \t]+0000000000090004' "$st"
vm_check "no_new_privs" re_match $'NoNewPrivs:[ \t]+1' "$st"
vm_check "seccomp filter" re_match $'Seccomp:[ \t]+2' "$st"
vm_check "own mount namespace" test "$(readlink /proc/"$pid"/ns/mnt)" != "$(readlink /proc/1/ns/mnt)"
# ProtectSystem=strict + ReadWritePaths: what the daemon sees.
mi=$(<"/proc/$pid/mountinfo")
vm_check "/ is read-only for it" re_match $'(^|\n)[0-9]+ [0-9]+ [0-9:]+ / / ro,' "$mi"
vm_check "/sys/devices is writable for it" re_match $'(^|\n)[0-9]+ [0-9]+ [0-9:]+ [^ ]+ /sys/devices rw,' "$mi"
vm_check "/sys/bus/pci is writable for it" re_match $'(^|\n)[0-9]+ [0-9]+ [0-9:]+ [^ ]+ /sys/bus/pci rw,' "$mi"
vm_check "$VMTEST_SYSCONFDIR/vfiobind is writable for it" re_match "(^|"$'\n'")[0-9]+ [0-9]+ [0-9:]+ [^ ]+ $VMTEST_SYSCONFDIR/vfiobind rw," "$mi"

# --- 3. the client on the default socket --------------------------------------
vm_check "vfiobind status (converged)" vfb_show status
vfb_show version || true
vm_check "socket is /run/vfiobind/vfiobind.sock" test -S /run/vfiobind/vfiobind.sock

# --- 4. config edits: in place, and through the client ------------------------
printf 'DEFAULT %s\n' "$n1" >>"$CFG"
vm_check "a line appended to $CFG binds $n1" vm_wait 30 pci_has_driver "$n1" vfio-pci
vm_check "vfiobind add $n2 (rewrites $CFG)" vfb_show add "$n2"
vm_check "$n2 -> vfio-pci" vm_wait 30 pci_has_driver "$n2" vfio-pci
vm_check "$CFG has the added line" file_has "^DEFAULT +$n2" "$CFG"
vm_check "$CFG kept its comment" file_has '^# written by' "$CFG"
vm_check "vfiobind remove $n2" vfb_show remove "$n2"
vm_check "$n2 back on e1000e" vm_wait 30 pci_has_driver "$n2" e1000e
vm_check "the line is gone from $CFG" eval "! file_has '$n2' '$CFG'"
vm_check "status converged" vm_wait 30 vfb_converged

# --- 4b. add/remove keep the file's ACL, and refuse a group they cannot keep --
# The unit has no CAP_CHOWN (its comments say why).  A root:root file keeps
# its POSIX ACL through add and remove (the daemon owns the new file, so it
# may set the ACL); a file of a group root is not a member of cannot be
# given that group again: the edit is refused, the file stays as it was.
# The ACL goes in as the raw system.posix_acl_access xattr (python3; no
# setfacl needed): user::rw- user:65534:rw- group::r-- mask::rw- other::r--.
acl_put() {
	python3 -c 'import os, struct, sys
e = ((1, 6, 2**32 - 1), (2, 6, 65534), (4, 4, 2**32 - 1), (16, 6, 2**32 - 1), (32, 4, 2**32 - 1))
os.setxattr(sys.argv[1], "system.posix_acl_access",
            struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *x) for x in e))' "$1"
}
acl_hex() {
	python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "system.posix_acl_access").hex())' "$1"
}
if command -v python3 >/dev/null && acl_put "$CFG" 2>/dev/null; then
	acl0=$(acl_hex "$CFG")
	vm_check "vfiobind add $n2 on a file with an ACL" vfb_show add "$n2"
	vm_check "the ACL is kept by add, byte for byte" test "$(acl_hex "$CFG")" = "$acl0"
	vm_check "vfiobind remove $n2" vfb_show remove "$n2"
	vm_check "the ACL is kept by remove" test "$(acl_hex "$CFG")" = "$acl0"
	vm_check "$n2 back on e1000e" vm_wait 30 pci_has_driver "$n2" e1000e
	python3 -c 'import os, sys; os.removexattr(sys.argv[1], "system.posix_acl_access")' "$CFG"
else
	vm_say "no POSIX ACL on $CFG here (python3 or the file system): ACL check skipped"
fi
cfg_before=$(<"$CFG")
chgrp 4242 "$CFG"
vm_check "vfiobind add on a root:4242 file is refused" eval '! vfb_show add "$n2"'
vm_check "... as config-readonly" re_match 'config-readonly' "$VFB_OUT"
vm_check "... naming the group and CAP_CHOWN" \
	re_match "cannot keep the file's group \\(gid 4242\\) without CAP_CHOWN" "$VFB_OUT"
vm_check "$CFG is still root:4242" test "$(stat -c %u:%g "$CFG")" = 0:4242
vm_check "$CFG is unchanged" test "$(<"$CFG")" = "$cfg_before"
vm_check "$n2 stays on e1000e" pci_has_driver "$n2" e1000e
chgrp 0 "$CFG"

# --- 4c. the sandbox lets the in-use check read block devices ----------------
# DevicePolicy=closed + DeviceAllow=block-* r: libblkid opens the namespace
# read-only. Under PrivateDevices=yes its /dev had no disk, and every NVMe
# claim was "cannot tell".
nvme=$VM_BDF_NVME
vm_check "the namespace is a disk" vm_wait 30 test -b /dev/nvme0n1
vm_check "mkfs.ext4 /dev/nvme0n1" mkfs.ext4 -F -q /dev/nvme0n1
vm_check "vfiobind add $nvme" vfb_show add "$nvme"
nvme_reason() {
	VFB_OUT=$(vfb status 2>&1) || true
	[[ $VFB_OUT == *"nvme0n1 has an ext4 filesystem (not mounted)"* ]]
}
vm_check "the unit's daemon reads the signature: blocked for the filesystem" vm_wait 30 nvme_reason
vm_check "$nvme still on nvme" pci_has_driver "$nvme" nvme
vm_check "vfiobind remove $nvme" vfb_show remove "$nvme"
vm_check "wipefs /dev/nvme0n1" wipefs -q -a /dev/nvme0n1
vm_check "status converged" vm_wait 30 vfb_converged

# --- 5. systemctl reload (ExecReload: kill -HUP $MAINPID) ---------------------
vm_check "systemctl reload" systemctl reload "$U"
vm_check "the journal: SIGHUP: reloading" vm_wait 15 journal_has "SIGHUP: reloading $CFG"
vm_check "same main PID after reload" test "$(prop MainPID)" = "$pid"
vm_check "still active" is_active active

# --- 6. systemctl restart: /run/vfiobind (state.json) is kept -----------------
vm_check "state.json in /run/vfiobind" test -s /run/vfiobind/state.json
vm_check "systemctl restart" systemctl restart "$U"
vm_check "a new main PID" test "$(prop MainPID)" != "$pid"
vm_check "state.json kept across the restart" test -s /run/vfiobind/state.json
vm_check "$n0 and $n1 still on vfio-pci" eval "pci_has_driver $n0 vfio-pci && pci_has_driver $n1 vfio-pci"
vm_check "status converged after restart" vm_wait 30 vfb_converged

# --- 7. stop, remove a line, start: the NIC goes back to e1000e ---------------
vm_check "systemctl stop" systemctl stop "$U"
vm_check "inactive" is_active inactive
vm_say "after stop: $n0=$(pci_driver "$n0") $n1=$(pci_driver "$n1")"
# RuntimeDirectoryPreserve=yes: state.json is the only record that $n1 came
# from e1000e (with =restart, stop deleted it and $n1 stayed on vfio-pci).
vm_check "state.json kept across stop" test -s /run/vfiobind/state.json
sed -i "/$n1/d" "$CFG"
vm_check "systemctl start" systemctl start "$U"
vm_check "$n1 back on e1000e" vm_wait 30 pci_has_driver "$n1" e1000e
vm_check "$n1 has no override left" eval "[[ \$(</sys/bus/pci/devices/$n1/driver_override) == '(null)' ]]"
vm_check "$n0 still on vfio-pci" pci_has_driver "$n0" vfio-pci
vm_check "status converged" vm_wait 30 vfb_converged

# --- 8. the last line removed live, under a holder: the sandbox sees it -------
# A process of another uid (107, as libvirt's qemu or KubeVirt) holds $n0 the
# way QEMU does: the unit's capabilities must let the daemon name it (not
# "cannot tell"), and its device policy must let it hear the close.
vm_say "/proc/devices: $(grep -E ' vfio' /proc/devices | tr '\n' ' ')"
vm_check "the holder holds $n0 (uid 107)" vm_holder_start "$n0"
sed -i "/$n0/d" "$CFG"
vm_check "status: $n0 blocked, naming the holder" vm_wait 30 vfb_state_is "$n0" blocked \
	"held by pid $VM_HOLDER_PID \(vfio-holder, uid 107\) through /dev/vfio/$(pci_iommu_group "$n0")"
vm_check "$n0 still on vfio-pci" pci_has_driver "$n0" vfio-pci
vm_check "nothing was written under the holder" vm_holder_untouched
kill -USR1 "$VM_HOLDER_PID"
vm_check "$n0 back on e1000e once the holder closed it" vm_wait 30 pci_has_driver "$n0" e1000e
vm_check "heard the close (inotify on the group node)" journal_has 'a holder closed a device it held'
vm_holder_stop
vm_check "still active (running), never restarted by systemd" running_unrestarted

# --- 9. nothing in the journal says the sandbox got in the way ----------------
j=$(journal)
vm_check "no EROFS in the journal" lacks '[Rr]ead-only file system|EROFS' "$j"
vm_check "no EPERM/EACCES in the journal" lacks '[Oo]peration not permitted|[Pp]ermission denied|EPERM|EACCES' "$j"
vm_check "no SIGSYS / core dump" lacks 'SIGSYS|status=31|core-dump|dumped core' "$j"
vm_say "journal of $U: $(wc -l <<<"$j") lines; the last ones:"
vm_indent "$(tail -n 12 <<<"$j")"
journal >"$VMTEST_OUT/vfiobindd.journal" 2>&1 || true

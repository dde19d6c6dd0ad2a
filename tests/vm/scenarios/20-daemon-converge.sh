#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfiobindd as a daemon against the real kernel, one run through a config's
# life: boot with two NICs for this node and one for another node (exactly
# the two move, /dev/vfio/N appears, status converged); live edits (append
# in place, rename over, "vfiobind add" keeping comments, "vfiobind remove",
# a removed line's NIC back on e1000e); a hand rebind behind the daemon's
# back is undone; an invalid file is refused and the old config stays in
# force until the file is fixed.  Smoke-runs devices, plan FILE, check.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 240
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
NL=$'\n'
n0=$VM_BDF_NIC0 n1=$VM_BDF_NIC1 n2=$VM_BDF_NIC2 n3=$VM_BDF_NIC3
for b in $n0 $n1 $n2 $n3; do
	vm_check "$b starts on e1000e" pci_has_driver "$b" e1000e
done

cat >"$VFB_CFG" <<CFG
# vfiobind test config (this comment must survive "vfiobind add")
DEFAULT     $n0
DEFAULT     $n1   # trailing comment
other-node  $n2
CFG

# --- 1. the first pass --------------------------------------------------
vm_check "vfiobindd starts" vfb_start
vm_check "$n0 -> vfio-pci" vm_wait 30 pci_has_driver "$n0" vfio-pci
vm_check "$n1 -> vfio-pci" vm_wait 30 pci_has_driver "$n1" vfio-pci
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "/dev/vfio/$(pci_iommu_group "$n0") for $n0" vfio_dev_of "$n0"
vm_check "/dev/vfio/$(pci_iommu_group "$n1") for $n1" vfio_dev_of "$n1"
vm_check "$n2 (other-node's line) stays on e1000e" pci_has_driver "$n2" e1000e
vm_check "$n3 (no line) stays on e1000e" pci_has_driver "$n3" e1000e
vm_check "the guest's 9p root stays on virtio-pci" pci_has_driver "$VM_BDF_9P_FIRST" virtio-pci
vm_check "vfiobind status exits 0" vfb_show status
vm_check "status: $n0 converged on vfio-pci" re_match "(^|$NL)$n0 +converged +vfio-pci" "$VFB_OUT"
vm_check "status: $n1 converged on vfio-pci" re_match "(^|$NL)$n1 +converged +vfio-pci" "$VFB_OUT"
vm_check "status summary: 2 converged" re_match "(^|$NL)2 converged$" "$VFB_OUT"
vm_check "status does not list $n2 (other node's line)" eval "[[ \$VFB_OUT != *$n2* ]]"

# Read-only commands: they must run and not fail.
vm_check "vfiobind devices" vfb_show devices
vm_check "devices lists $n0 on vfio-pci" re_match "(^|$NL)$n0 [^$NL]* vfio-pci " "$VFB_OUT"
vm_check "vfiobind devices $n2" vfb_show devices "$n2"
vm_check "vfiobind config" vfb_show config
vm_check "vfiobind version" vfb_show version
vm_check "vfiobind plan (nothing to do)" vfb_show plan
printf 'DEFAULT %s\n' "$n3" >"$VMTEST_WORKDIR/proposed.conf"
# (plan exits 1: the proposed state is not converged.)
vfb_show plan "$VMTEST_WORKDIR/proposed.conf" || true
vm_check "plan FILE exits 0 or 1 (rc=$VFB_RC)" test "$VFB_RC" -le 1
vm_check "plan FILE names the bind of $n3" re_match "bind +$n3" "$VFB_OUT"
vm_check "plan FILE moved nothing" pci_has_driver "$n3" e1000e
printf 'DEFAULT 0000:00:02\n' >"$VMTEST_WORKDIR/bad.conf"
vfb_show plan "$VMTEST_WORKDIR/bad.conf" || true
vm_check "plan of a bad FILE exits 1 (rc=$VFB_RC)" test "$VFB_RC" = 1
# vfiobind(1) says FILE:LINE; the daemon names a proposed file "(proposed)".
vm_check "plan of a bad FILE names line 1" re_match "(bad\.conf|\(proposed\)):1: invalid device" "$VFB_OUT"
if vfb help check >/dev/null 2>&1; then
	vfb_show check || true
	vm_check "vfiobind check runs (rc=$VFB_RC: 0 or 1)" test "$VFB_RC" -le 1
else
	vm_say "note: this client has no 'check' command yet"
fi

# --- 2. live edits ------------------------------------------------------
printf 'DEFAULT     %s\n' "$n3" >>"$VFB_CFG"
vm_check "a line appended in place binds $n3" vm_wait 30 pci_has_driver "$n3" vfio-pci
vm_check "status converged" vm_wait 30 vfb_converged

# Rename over: the new file drops $n3 and claims $n2 for this node by name.
sed "/$n3/d" "$VFB_CFG" >"$VFB_CFG.tmp"
printf 'vmtest      %s\n' "$n2" >>"$VFB_CFG.tmp"
mv "$VFB_CFG.tmp" "$VFB_CFG"
vm_check "a file renamed over binds $n2 (its node-name line)" vm_wait 30 pci_has_driver "$n2" vfio-pci
vm_check "and gives $n3 (line gone) back to e1000e" vm_wait 30 pci_has_driver "$n3" e1000e
vm_check "status converged" vm_wait 30 vfb_converged

vm_check "vfiobind add $n3" vfb_show add "$n3"
vm_check "$n3 -> vfio-pci after add" vm_wait 30 pci_has_driver "$n3" vfio-pci
vm_say "config file after add:"
vm_indent "$(<"$VFB_CFG")"
vm_check "the file has the added line" file_has "^DEFAULT +$n3" "$VFB_CFG"
vm_check "the file kept its comment line" file_has '^# vfiobind test config \(this comment must survive' "$VFB_CFG"
vm_check "the file kept its trailing comment" file_has "$n1 .*# trailing comment" "$VFB_CFG"

vm_check "vfiobind remove $n3" vfb_show remove "$n3"
vm_check "$n3 back on e1000e after remove" vm_wait 30 pci_has_driver "$n3" e1000e
vm_check "the line is gone from the file" eval "! file_has '$n3' '$VFB_CFG'"
vm_check "the comments are still there" file_has '^# vfiobind test config' "$VFB_CFG"
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "$n3 has no override left" \
	eval "[[ \$(</sys/bus/pci/devices/$n3/driver_override) == '(null)' ]]"

# --- 3. a hand rebind behind the daemon's back --------------------------
# Clear the override, then unbind from vfio-pci and bind e1000e right away
# (builtins: microseconds apart, the daemon hears of it through udev later).
dev=/sys/bus/pci/devices/$n0
vfb_log_mark
printf '\n' >"$dev/driver_override"
printf '%s' "$n0" >/sys/bus/pci/drivers/vfio-pci/unbind
if printf '%s' "$n0" >/sys/bus/pci/drivers/e1000e/bind 2>/dev/null; then
	vm_say "bound $n0 to e1000e by hand"
else
	vm_say "note: the daemon took $n0 back before the e1000e bind"
fi
vm_check "$n0 goes back to vfio-pci" vm_wait 30 pci_has_driver "$n0" vfio-pci
vm_check "status converged" vm_wait 30 vfb_converged
# Whichever udev event shows it first (usually "unbind"), the daemon warns
# once that the NIC was moved behind its back, then takes it back.
vm_check "the log warns of the hand rebind of $n0" vm_wait 10 vfb_log_new_has \
	"$n0: (unbound|moved to e1000e) behind vfiobindd's back; taking it back to vfio-pci"
vm_check "the warning comes once" \
	eval "[[ \$(grep -c \"$n0: .*behind vfiobindd's back\" \"\$VFB_LOG\") -eq 1 ]]"
vm_indent "$(grep -F "$n0" "$VFB_LOG" | tail -n 8)"

# --- 9. an invalid file while running ------------------------------------
cp "$VFB_CFG" "$VMTEST_WORKDIR/good.conf"
mapfile -t lines <"$VFB_CFG"
good_lines=${#lines[@]}
{
	cat "$VMTEST_WORKDIR/good.conf"
	printf 'DEFAULT %s numfs=2\n' "$n3"
	printf 'default 0000:00:02\n'
} >"$VFB_CFG.tmp"
mv "$VFB_CFG.tmp" "$VFB_CFG"
vm_check "the daemon logs the rejected lines" vm_wait 20 vfb_log_has 'vfiobind.conf:[0-9]+:.*numfs'
vfb_show config || true
vm_check "vfiobind config exits 1 on a refused file (rc=$VFB_RC)" test "$VFB_RC" = 1
vm_check "vfiobind config shows the numfs error with its line" \
	re_match "vfiobind\\.conf:$((good_lines + 1)): [^$NL]*numfs" "$VFB_OUT"
vm_check "... and the second bad line" re_match "vfiobind\\.conf:$((good_lines + 2)): " "$VFB_OUT"
vm_check "... and still the old entries" re_match "DEFAULT $n1" "$VFB_OUT"
vm_check "status still converged (old config in force)" vfb_converged
for b in $n0 $n1 $n2; do
	vm_check "$b still on vfio-pci" pci_has_driver "$b" vfio-pci
done
vm_check "$n3 untouched (e1000e)" pci_has_driver "$n3" e1000e
# Fix it: the last line now valid.
{
	cat "$VMTEST_WORKDIR/good.conf"
	printf 'DEFAULT %s\n' "$n3"
} >"$VFB_CFG.tmp"
mv "$VFB_CFG.tmp" "$VFB_CFG"
vm_check "the fixed file applies: $n3 -> vfio-pci" vm_wait 30 pci_has_driver "$n3" vfio-pci
vm_check "vfiobind config exits 0 again" vm_wait 10 vfb_show config
vm_check "status converged" vm_wait 30 vfb_converged

# --- back to nothing: every line gone, every NIC back on e1000e ----------
printf '# empty\n' >"$VFB_CFG"
for b in $n0 $n1 $n2 $n3; do
	vm_check "$b back on e1000e (empty config)" vm_wait 30 pci_has_driver "$b" e1000e
done
vm_check "the daemon is still running" kill -0 "$VFB_PID"

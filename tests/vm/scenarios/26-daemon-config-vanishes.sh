#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A config file that goes missing never releases anything. The file deleted,
# then its directory deleted and re-created empty, then the file truncated
# and written again in place: the two NICs it claims stay on vfio-pci
# throughout, and `vfiobind status` says why. Only a file without their lines
# that stays gives them back, after the release grace.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
dir=$VMTEST_WORKDIR/etc
mkdir -p "$dir"
VFB_CFG=$dir/vfiobind.conf
n0=$VM_BDF_NIC0 n1=$VM_BDF_NIC1
lines=$(printf 'DEFAULT %s\nDEFAULT %s\n' "$n0" "$n1")

both_held() { pci_has_driver "$n0" vfio-pci && pci_has_driver "$n1" vfio-pci; }
# A full pass that answers once its work settled: what the daemon does with
# the file as it is now has been done when this returns.
settled_pass() { vfb reconcile >/dev/null 2>&1 || true; }

printf '%s\n' "$lines" >"$VFB_CFG"
# A long grace, so that the truncate-and-rewrite below is seen inside it
# however slow the guest is; 26 is about what the file says, not the clock.
vm_check "vfiobindd starts" vfb_start --release-grace 20
vm_check "$n0 and $n1 on vfio-pci" vm_wait 30 both_held
vm_check "converged" vm_wait 30 vfb_converged

# 1. The file deleted.
vfb_log_mark
rm -f "$VFB_CFG"
vm_check "the daemon saw the file go" vm_wait 15 vfb_log_new_has 'no such file: the last good config'
settled_pass
vm_check "deleted file: both NICs stay on vfio-pci" both_held
vfb_show status || true
vm_check "status says the file is missing" re_match 'warning: .*vfiobind.conf is missing: the last good config \(2 entries\) stays in force' "$VFB_OUT"

# 2. Its directory deleted, then re-created empty.
rm -rf "$dir"
settled_pass
vm_check "directory gone: both NICs stay" both_held
mkdir "$dir"
settled_pass
vm_check "directory back, no file: both NICs stay" both_held

# 3. The file back, then truncated and written again in place, the way
#    `cp` or a shell redirection writes.
printf '%s\n' "$lines" >"$VFB_CFG"
vm_check "the file is back" vm_wait 15 vfb_log_new_has 'the file is back'
vfb_log_mark
: >"$VFB_CFG"
vm_check "the daemon read the truncated file" vm_wait 15 vfb_log_new_has 'loaded 0 entries'
printf '%s\n' "$lines" >>"$VFB_CFG"
vm_check "and the rewritten one" vm_wait 15 vfb_log_new_has 'loaded 2 entries'
vm_check "truncated file: both NICs stay" both_held
vm_check "the grace ends and the file is read again" vm_wait 60 vfb_log_new_has 'pass requested: release grace ended'
settled_pass
vm_check "rewritten file: both NICs still on vfio-pci" both_held
vm_check "no restore was started" eval '! vfb_log_new_has "info +restore 0000:00:0[23].0"'

# 4. A file without their lines that stays: given back after the grace.
vfb_log_mark
printf '# nothing claimed\n' >"$VFB_CFG"
vm_check "$n0 back on e1000e" vm_wait 60 pci_has_driver "$n0" e1000e
vm_check "$n1 back on e1000e" vm_wait 30 pci_has_driver "$n1" e1000e
vm_check "the release waited for the grace" vfb_log_new_has 'pass requested: release grace ended'
vm_check "status converged" vm_wait 30 vfb_converged
vfb_show status || true
vm_check "no warning once the file is whole" eval '! re_match warning "$VFB_OUT"'

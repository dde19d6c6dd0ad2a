#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A disk that is not mounted but carries data: the NVMe's namespace (a
# 64 MiB file on the host, nvmens=64) gets an ext4 filesystem; a line for
# the NVMe is refused (`blocked`, "nvme0n1 has an ext4 filesystem (not
# mounted)") in status and `vfiobind check`, and nothing moves; mounted, the
# reason says so; force=yes takes it; wiped it moves without force; a GPT
# with an ext4 partition is refused naming the partition, and once wiped
# too it moves.  Nothing is ever stuck.  The namespace is left blank.
# vm-profile: nics=4 nvme=1 rootports=0 nvmens=64
# vm-timeout: 240
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
nvme=$VM_BDF_NVME
mnt=$VMTEST_WORKDIR/mnt
# shellcheck disable=SC2317 # (invoked by the trap)
cleanup() {
	local rc=$?
	umount "$mnt" 2>/dev/null || true
	vfb_stop
	# Blank again for the scenarios after this one in the same boot.
	if pci_has_driver "$nvme" nvme && [[ -n ${disk:-} && -b /dev/$disk ]]; then
		wipefs -q -a "/dev/$disk"p* 2>/dev/null || true
		wipefs -q -a "/dev/$disk" 2>/dev/null || true
	fi
	vfb_cleanup "$rc"
}
trap cleanup EXIT

# The namespace's disk: nvmeXnY, not a multipath path nvmeXcYnZ (hidden).
ns_disk() {
	local b n
	for b in /sys/class/block/nvme*n1; do
		n=${b##*/}
		[[ -e $b && $n =~ ^nvme[0-9]+n1$ && -b /dev/$n ]] && disk=$n && return 0
	done
	return 1
}
vm_check "the NVMe is on nvme" pci_has_driver "$nvme" nvme
vm_check "its namespace is a disk" vm_wait 30 ns_disk
vm_say "disk: $disk; block devices: $(cd /sys/class/block && echo nvme*)"
for b in /sys/class/block/nvme*; do
	vm_say "${b##*/}: dev=$(cat "$b/dev" 2>/dev/null) hidden=$(cat "$b/hidden" 2>/dev/null) -> $(readlink -f "$b")"
done
vm_check "blank to start with" eval "! blkid -p /dev/$disk >/dev/null"

vm_check "mkfs.ext4 /dev/$disk" mkfs.ext4 -F -q "/dev/$disk"
want="$disk has an ext4 filesystem (not mounted)"
printf 'DEFAULT %s\n' "$nvme" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
status_has() {
	VFB_OUT=$(vfb status 2>&1) || true
	[[ $VFB_OUT == *"$1"* ]]
}
vm_check "blocked: $want" vm_wait 30 status_has "$want"
vfb_show status || true
vm_check "status exits 1" test "$VFB_RC" = 1
vm_check "$nvme blocked" re_match "$nvme +blocked" "$VFB_OUT"
check_out=$("$VFIOBIND" check --config "$VFB_CFG" --node-name vmtest 2>&1) || true
vm_indent "$check_out"
vm_check "vfiobind check tells it" has_text "blocked: $want" "$check_out"
sleep 6 # past one in-use re-check
vm_check "$nvme still on nvme" pci_has_driver "$nvme" nvme

vm_check "modprobe ext4" modprobe ext4
mkdir -p "$mnt"
vm_check "mount /dev/$disk" mount -t ext4 "/dev/$disk" "$mnt"
vm_check "mounted: the reason says where" vm_wait 30 status_has "$disk is mounted on $mnt"
vm_check "umount" umount "$mnt"
vm_check "unmounted: the signature again" vm_wait 30 status_has "$want"
vm_check "$nvme still on nvme" pci_has_driver "$nvme" nvme

printf 'DEFAULT %s force=yes\n' "$nvme" >"$VFB_CFG"
vm_check "force=yes: -> vfio-pci" vm_wait 45 pci_has_driver "$nvme" vfio-pci
vm_check "converged" vm_wait 30 vfb_converged
printf '# empty\n' >"$VFB_CFG"
vm_check "line removed: back on nvme" vm_wait 45 pci_has_driver "$nvme" nvme
vm_check "its disk is back" vm_wait 30 ns_disk
vm_check "the filesystem is still there" vm_wait 10 eval "blkid -p /dev/$disk | grep -q ext4"

# A partition table with an ext4 partition: the partition is named.
vm_check "wipefs /dev/$disk" wipefs -q -a "/dev/$disk"
vm_check "GPT with two partitions" eval "printf 'label: gpt\n,16M\n,\n' | sfdisk -q /dev/$disk"
vm_check "partitions appear" vm_wait 20 test -b "/dev/${disk}p2"
vm_check "mkfs.ext4 /dev/${disk}p2" mkfs.ext4 -F -q "/dev/${disk}p2"
want2="${disk}p2 has an ext4 filesystem (not mounted)"
printf 'DEFAULT %s\n' "$nvme" >"$VFB_CFG"
vm_check "blocked: $want2" vm_wait 30 status_has "$want2"
vfb_show status || true
sleep 6
vm_check "$nvme still on nvme" pci_has_driver "$nvme" nvme

# Freed: the partition wiped (an empty partition table holds nothing).
vm_check "wipefs /dev/${disk}p2" wipefs -q -a "/dev/${disk}p2"
vm_check "wiped: -> vfio-pci without force" vm_wait 45 pci_has_driver "$nvme" vfio-pci
vm_check "converged" vm_wait 30 vfb_converged
vm_check "nothing was ever stuck" eval "! vfb_log_has 'stuck'"
printf '# empty\n' >"$VFB_CFG"
vm_check "line removed: back on nvme" vm_wait 45 pci_has_driver "$nvme" nvme
vm_check "its disk is back" vm_wait 30 ns_disk
vm_check "blank again" eval "wipefs -q -a /dev/$disk && ! blkid -p /dev/$disk >/dev/null"
vm_check "the daemon is still running" vfb_ready

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# NICs held by a stacked device: e1000e NIC1 enslaved to a bond with an
# address, NIC2 a port of a bridge whose VLAN has an address, NIC3 under a
# macvlan with an address.  Each is refused (`blocked`) with the reason
# naming the chain, in `vfiobind status` and `vfiobind check`, and does not
# move; freed (nomaster, the VLAN deleted, the address flushed), each moves
# to vfio-pci without any event, on the daemon's in-use re-check.  Nothing
# is ever stuck.  Addresses are from the documentation ranges; the NICs'
# netdevs are restrict=on, so nothing leaves QEMU.
# vm-profile: nics=4 nvme=1 rootports=0 nvmens=64
# vm-timeout: 180
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
nics=("$VM_BDF_NIC1" "$VM_BDF_NIC2" "$VM_BDF_NIC3")
# shellcheck disable=SC2317 # (invoked by the trap)
cleanup() {
	local rc=$?
	ip link del vbbond0 2>/dev/null || true
	ip link del vbbr0.7 2>/dev/null || true
	ip link del vbbr0 2>/dev/null || true
	ip link del vbmv0 2>/dev/null || true
	[[ -z ${ra_default:-} ]] || printf '%s' "$ra_default" >"$ra/default/accept_ra" || true
	vfb_cleanup "$rc"
}
trap cleanup EXIT

ifname_of() {
	local n
	for n in "/sys/bus/pci/devices/$1/net/"*; do
		[[ -e $n ]] && printf '%s' "${n##*/}" && return 0
	done
	return 1
}
has_ifname() { ifname_of "$1" >/dev/null; }
for b in "${nics[@]}"; do
	vm_check "$b on e1000e" pci_has_driver "$b" e1000e
	vm_check "$b has an interface" vm_wait 20 has_ifname "$b"
done
if1=$(ifname_of "$VM_BDF_NIC1") if2=$(ifname_of "$VM_BDF_NIC2") if3=$(ifname_of "$VM_BDF_NIC3")
vm_say "interfaces: $if1 $if2 $if3"
# QEMU's user network answers with IPv6 router advertisements even with
# restrict=on: an interface brought up gets a fec0:: address and a default
# route (a real fact, and then the reason). Only the addresses set here.
no_ra() {
	local i
	for i in default "$@"; do
		printf 0 >"$ra/$i/accept_ra" || return 1
	done
}
ra=/proc/sys/net/ipv6/conf
ra_default=$(<"$ra/default/accept_ra")
vm_check "no IPv6 autoconfiguration on the test interfaces" no_ra "$if1" "$if2" "$if3"

# The stacks, as an operator builds them with iproute2.  The modules come
# from the guest kernel's 9p'd tree, loaded here: the kernel's own autoload
# runs modprobe outside the chroot, where there is none.  max_bonds=0: no
# stray bond0.
vm_check "modprobe bonding" modprobe bonding max_bonds=0
vm_check "modprobe bridge 8021q macvlan" modprobe -a bridge 8021q macvlan
vm_check "bond: $if1 in vbbond0 with 192.0.2.5/24" eval "
	ip link add vbbond0 type bond mode active-backup &&
	ip link set $if1 down && ip link set $if1 master vbbond0 &&
	ip link set vbbond0 up && ip addr add 192.0.2.5/24 dev vbbond0"
vm_check "bridge: $if2 a port of vbbr0, VLAN vbbr0.7 with 198.51.100.7/24" eval "
	ip link add vbbr0 type bridge && ip link set $if2 master vbbr0 &&
	ip link set vbbr0 up &&
	ip link add link vbbr0 name vbbr0.7 type vlan id 7 && ip link set vbbr0.7 up &&
	ip addr add 198.51.100.7/24 dev vbbr0.7"
vm_check "macvlan: vbmv0 on $if3 with 203.0.113.3/24" eval "
	ip link set $if3 up && ip link add vbmv0 link $if3 type macvlan mode bridge &&
	ip link set vbmv0 up && ip addr add 203.0.113.3/24 dev vbmv0"
for u in vbbond0 vbbr0 vbbr0.7 vbmv0; do
	vm_say "$u: $(tr '\n' ' ' </sys/class/net/$u/uevent)"
done

want1="$if1 is a member of vbbond0, which has 192.0.2.5/24"
want2="$if2 is a port of vbbr0, which carries VLAN vbbr0.7, which has 198.51.100.7/24"
# A macvlan has no DEVTYPE (Linux 6.1): the reason names it without a kind.
want3="$if3 carries vbmv0, which has 203.0.113.3/24"
printf 'DEFAULT %s\nDEFAULT %s\nDEFAULT %s\n' "${nics[@]}" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
status_has() {
	VFB_OUT=$(vfb status 2>&1) || true
	local want
	for want in "$@"; do
		[[ $VFB_OUT == *"$want"* ]] || return 1
	done
}
vm_check "all three blocked with the chain as the reason" vm_wait 30 status_has "$want1" "$want2" "$want3"
vfb_show status || true
vm_check "status exits 1 (not converged)" test "$VFB_RC" = 1
for b in "${nics[@]}"; do
	vm_check "$b blocked" re_match "$b +blocked" "$VFB_OUT"
done
check_out=$("$VFIOBIND" check --config "$VFB_CFG" --node-name vmtest 2>&1) || true
vm_indent "$check_out"
vm_check "vfiobind check tells the bond" has_text "blocked: $want1" "$check_out"
vm_check "vfiobind check tells the bridge's VLAN" has_text "blocked: $want2" "$check_out"
vm_check "vfiobind check tells the macvlan" has_text "blocked: $want3" "$check_out"
sleep 6 # past one in-use re-check
for b in "${nics[@]}"; do
	vm_check "$b still on e1000e" pci_has_driver "$b" e1000e
done
vm_check "the bond still has its member" test -e "/sys/class/net/vbbond0/lower_$if1"

# Freed, one by one: each moves on the re-check, no event or request needed.
vm_check "ip link set $if1 nomaster" ip link set "$if1" nomaster
vm_check "$VM_BDF_NIC1 freed: -> vfio-pci" vm_wait 30 pci_has_driver "$VM_BDF_NIC1" vfio-pci
vm_check "$VM_BDF_NIC2 still held" pci_has_driver "$VM_BDF_NIC2" e1000e
vm_check "ip link del vbbr0.7 (the bridge has no address left)" ip link del vbbr0.7
vm_check "$VM_BDF_NIC2 freed: -> vfio-pci" vm_wait 30 pci_has_driver "$VM_BDF_NIC2" vfio-pci
vm_check "$VM_BDF_NIC3 still held" pci_has_driver "$VM_BDF_NIC3" e1000e
vm_check "ip addr flush dev vbmv0" ip addr flush dev vbmv0
vm_check "$VM_BDF_NIC3 freed: -> vfio-pci" vm_wait 30 pci_has_driver "$VM_BDF_NIC3" vfio-pci
vm_check "status converged" vm_wait 30 vfb_converged
vfb_show status || true
vm_check "nothing was ever stuck" eval "! vfb_log_has 'stuck'"

printf '# empty\n' >"$VFB_CFG"
for b in "${nics[@]}"; do
	vm_check "line removed: $b back on e1000e" vm_wait 45 pci_has_driver "$b" e1000e
done
vm_check "the daemon is still running" vfb_ready

# shellcheck shell=bash disable=SC2034
# (SC2034: the VM_BDF_* names are for the scenarios.)
# Helpers for scenario scripts running inside the guest.  Source with
#   . "$VMTEST_LIB"
# A scenario exits 0 (pass), 77 (skip) or anything else (fail).  The runner
# sets: VMTEST_NAME, VMTEST_WORKDIR (fresh tmpfs dir, also the cwd),
# VMTEST_OUT (writable dir kept on the host after the run), VMTEST_SHARE,
# VFIOBINDD, VFIOBIND (the built binaries), VFIOBIND_SRCDIR,
# VFIOBIND_BUILDDIR, VMTEST_PROFILE and VMTEST_NICS, VMTEST_NVME,
# VMTEST_VIRTIO, VMTEST_ROOTPORTS.

vm_say() { printf '[%s %s] %s\n' "${VMTEST_NAME:-vm}" "$(cut -d' ' -f1 /proc/uptime)" "$*"; }
vm_fail() {
	vm_say "FAIL: $*"
	exit 1
}
vm_skip() {
	vm_say "SKIP: $*"
	exit 77
}

# vm_check DESCRIPTION COMMAND...: runs COMMAND, fails the scenario if it fails.
vm_check() {
	local what=$1
	shift
	if "$@"; then
		vm_say "ok: $what"
	else
		vm_fail "$what (command: $*)"
	fi
}

# vm_wait SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds;
# returns 1 on timeout.
vm_wait() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# vm_host "HMP COMMAND": asks the host to run a QEMU monitor command (e.g.
# device_add / device_del) and waits for it; prints the monitor's output,
# returns its status.  Works through files in the 9p share: the guest writes
# req/ID.req, the host answers with req/ID.out and then req/ID.rc.
vm_host() {
	local id dir=$VMTEST_SHARE/req rc
	id=$$-$RANDOM-$SECONDS
	mkdir -p "$dir"
	printf '%s\n' "$1" >"$dir/$id.tmp"
	mv "$dir/$id.tmp" "$dir/$id.req"
	vm_wait "${VMTEST_HOST_TIMEOUT:-30}" test -e "$dir/$id.rc" || {
		vm_say "vm_host: no answer from the host for: $1"
		return 1
	}
	cat "$dir/$id.out" 2>/dev/null
	rc=$(cat "$dir/$id.rc")
	return "$rc"
}

# vm_hotplug_nic ID PORTNUM [MODEL]: hot-adds a NIC (default e1000e) into the
# empty root port rpPORTNUM, using the spare netdev hpnPORTNUM.
vm_hotplug_nic() {
	vm_host "device_add ${3:-e1000e},id=$1,bus=rp$2,netdev=hpn$2"
}

# vm_unplug ID: asks QEMU to remove a hot-added device.  The guest's pciehp
# takes about 5 s to let it go; wait for the BDF to vanish afterwards.
vm_unplug() {
	vm_host "device_del $1"
}

# The BDF behind root port rpN (the device hot-added there), or nothing.
vm_rootport_child() {
	local port
	port=$(printf '0000:00:%02x.0' $((0x18 + $1)))
	local d
	for d in /sys/bus/pci/devices/"$port"/0000:*; do
		[[ -e $d/vendor ]] && printf '%s\n' "${d##*/}"
	done
}

# These helpers use bash builtins and globs only: under TCG every exec of a
# program from the 9p root costs tens of milliseconds.

# vm_rootport_has_child N: true once a function sits behind rpN.
vm_rootport_has_child() {
	[[ -n $(vm_rootport_child "$1") ]]
}

# pci_driver BDF: the name of the bound driver, or nothing.
pci_driver() {
	local d
	for d in /sys/bus/pci/drivers/*/"$1"; do
		[[ -e $d ]] || continue
		d=${d%/*}
		printf '%s\n' "${d##*/}"
	done
	return 0
}

# pci_has_driver BDF DRIVER: true if BDF is bound to DRIVER ("" = no driver).
# For polling: vm_wait 10 pci_has_driver "$bdf" vfio-pci (a "$(...)" in the
# arguments of vm_wait would be evaluated only once).
pci_has_driver() {
	[[ $(pci_driver "$1") == "$2" ]]
}

# pci_iommu_group BDF: the IOMMU group number, or nothing.
pci_iommu_group() {
	local d
	for d in /sys/kernel/iommu_groups/*/devices/"$1"; do
		[[ -e $d ]] || continue
		d=${d%/devices/*}
		printf '%s\n' "${d##*/}"
	done
	return 0
}

# pci_find VENDOR DEVICE: BDFs with that ID (hex without 0x), one per line.
pci_find() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[[ $(<"$d/vendor") == "0x$1" && $(<"$d/device") == "0x$2" ]] && printf '%s\n' "${d##*/}"
	done
	return 0
}

# pci_list: "BDF VENDOR:DEVICE DRIVER GROUP" for every function.
pci_list() {
	local d b
	for d in /sys/bus/pci/devices/*; do
		b=${d##*/}
		printf '%s %s:%s %s %s\n' "$b" "$(<"$d/vendor")" "$(<"$d/device")" \
			"$(pci_driver "$b")" "$(pci_iommu_group "$b" 2>/dev/null)"
	done
}

# pci_sysfs_bind BDF DRIVER: the raw sysfs sequence (driver_override, unbind,
# drivers_probe), guest only.  Verifies the driver link afterwards, since
# drivers_probe succeeds even when no driver took the device.
pci_sysfs_bind() {
	local bdf=$1 drv=$2 dev=/sys/bus/pci/devices/$1
	printf '%s' "$drv" >"$dev/driver_override" || return 1
	if [[ -L $dev/driver ]]; then
		printf '%s' "$bdf" >"$dev/driver/unbind" || return 1
	fi
	printf '%s' "$bdf" >/sys/bus/pci/drivers_probe || return 1
	[[ $(pci_driver "$bdf") == "$drv" ]]
}

# pci_sysfs_restore BDF: clears the override (with a newline: an empty write
# may do nothing), unbinds and reprobes.
pci_sysfs_restore() {
	local bdf=$1 dev=/sys/bus/pci/devices/$1
	printf '\n' >"$dev/driver_override" || return 1
	if [[ -L $dev/driver ]]; then
		printf '%s' "$bdf" >"$dev/driver/unbind" || return 1
	fi
	printf '%s' "$bdf" >/sys/bus/pci/drivers_probe || return 1
}

# The devices of the standard profile.
VM_BDF_NIC0=0000:00:02.0
VM_BDF_NVME=0000:00:10.0
VM_BDF_VIRTIO=0000:00:11.0
# Not to be bound: the guest's own root file system lives on these.
VM_BDF_9P_FIRST=0000:00:12.0

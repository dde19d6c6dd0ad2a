# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034,SC2054
# (SC2034: variables used by the sourcing scripts; SC2054: QEMU options have commas.)
# Host-side library of the QEMU test harness (sourced by prepare.sh, vm.sh,
# run-all.sh and shell.sh).  It owns the cache location, the device profiles
# and the QEMU command line, and the QMP monitor helper.  Nothing here touches
# the host's /sys: every bind happens inside the guest.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_SRCDIR=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${VFIOBIND_VM_CACHE:-${HOME:-/root}/.cache/vfiobind-vm}
# Where the built binaries live (differs from the source tree in VPATH builds).
VM_BUILDDIR=${VFIOBIND_BUILDDIR:-$VM_SRCDIR}

vm_log() { printf 'vm: %s\n' "$*" >&2; }
vm_die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

# Exit 77 (automake SKIP) when the VM cannot be had, unless the caller insists.
vm_skip() {
	if [[ ${VFIOBIND_VM_REQUIRED:-0} == 1 ]]; then
		vm_die "$* (VFIOBIND_VM_REQUIRED=1, so this is a failure)"
	fi
	printf 'vm: SKIP: %s\n' "$*" >&2
	exit 77
}

# --- device profiles -------------------------------------------------------
# A profile is a string of key=value words, e.g. "nics=2 nvme=1 rootports=2".
#   nics=N       e1000e functions at 00:02.0 .. (max 14)
#   nvme=0|1     NVMe PF with SR-IOV capacity (4 VFs) at 00:10.0
#   nvmens=MiB   a namespace (nsid 1) of that size on the NVMe (0: none), backed
#                by a file of zeroes made in the run dir for each boot
#   vfs=N        the NVMe's sriov_totalvfs (default 4, at most 127), with
#                flexible queues and interrupts for every VF (2 and 1 each);
#                above 7 the PF sits alone behind its own root port "rpn" at
#                00:1e.0 (its VFs take the device numbers that follow the
#                PF's, which on pcie.0 belong to other devices), so it is at
#                bus K+1:00.0 with K root ports (0000:01:00.0 with none)
#   vfs2=M       a second SR-IOV NVMe (nvme1, M VFs, same resources per VF)
#                alone behind root port "rpm" at 00:01.0 (default 0: none);
#                as the first bridge it takes bus 01, so the hot-plug ports'
#                buses move up by one (read rpK's secondary_bus_number)
#   virtio=0|1   virtio-net at 00:11.0
#   rootports=K  empty pcie-root-port rp0..rpK-1 at 00:18.0 .. (max 6),
#                each with a spare netdev hpnK for hot-added NICs
#   mem=MiB      guest memory (default 1024)
#   smp=N        guest CPUs (default 2)
VM_DEFAULT_PROFILE="nics=1 nvme=1 virtio=0 rootports=1"
# What shell.sh / vm.sh --interactive boot: something of everything.
VM_DEMO_PROFILE="nics=4 nvme=1 virtio=1 rootports=2"

# vm_profile_parse PROFILE: sets VM_P_NICS, VM_P_NVME, VM_P_VIRTIO, VM_P_RP,
# VM_P_MEM, VM_P_SMP, VM_P_NVMENS.
vm_profile_parse() {
	local word key val
	VM_P_NICS=1 VM_P_NVME=1 VM_P_VFS=4 VM_P_VFS2=0 VM_P_VIRTIO=0 VM_P_RP=1 VM_P_MEM=1024 VM_P_SMP=2 VM_P_NVMENS=0
	for word in $1; do
		key=${word%%=*} val=${word#*=}
		[[ $val =~ ^[0-9]+$ ]] || vm_die "profile: '$word' is not key=number"
		case $key in
		nics) VM_P_NICS=$val ;;
		nvme) VM_P_NVME=$val ;;
		vfs) VM_P_VFS=$val ;;
		vfs2) VM_P_VFS2=$val ;;
		virtio) VM_P_VIRTIO=$val ;;
		rootports) VM_P_RP=$val ;;
		mem) VM_P_MEM=$val ;;
		smp) VM_P_SMP=$val ;;
		nvmens) VM_P_NVMENS=$val ;;
		*) vm_die "profile: unknown key '$key'" ;;
		esac
	done
	((VM_P_NICS <= 14)) || vm_die "profile: at most 14 nics"
	((VM_P_RP <= 6)) || vm_die "profile: at most 6 rootports"
	((VM_P_NVMENS == 0 || VM_P_NVME)) || vm_die "profile: nvmens needs nvme=1"
	((VM_P_NVMENS <= 4096)) || vm_die "profile: nvmens at most 4096 (MiB)"
	((VM_P_VFS >= 1 && VM_P_VFS <= 127)) || vm_die "profile: vfs from 1 to 127 (QEMU's limit)"
	((VM_P_VFS2 <= 127)) || vm_die "profile: vfs2 at most 127 (QEMU's limit)"
}

# The canonical form of a profile, so that equal profiles group together
# (nvmens=, and vfs= and vfs2= when not the default, only when set: the
# profiles that had no such key keep their form).
vm_profile_canon() {
	vm_profile_parse "$1"
	printf 'nics=%s nvme=%s virtio=%s rootports=%s mem=%s smp=%s' \
		"$VM_P_NICS" "$VM_P_NVME" "$VM_P_VIRTIO" "$VM_P_RP" "$VM_P_MEM" "$VM_P_SMP"
	((VM_P_NVMENS == 0)) || printf ' nvmens=%s' "$VM_P_NVMENS"
	((VM_P_VFS == 4)) || printf ' vfs=%s' "$VM_P_VFS"
	((VM_P_VFS2 == 0)) || printf ' vfs2=%s' "$VM_P_VFS2"
}

# The profile a scenario declares in a header line "# vm-profile: ...".
vm_scenario_profile() {
	local line
	line=$(sed -n 's/^# *vm-profile: *//p' "$1" | head -n1)
	vm_profile_canon "${line:-$VM_DEFAULT_PROFILE}"
}

# --- QEMU command line -----------------------------------------------------
# The SR-IOV properties of an emulated NVMe with N VFs: two flexible queues
# (admin + one I/O) and one interrupt for each VF, the PF keeping two queue
# pairs and its vectors. The VFs' secondary controllers start offline with
# nothing assigned (nvme fails on them) until bench/vm/nvme-vf-online.
vm_nvme_sriov() {
	printf 'sriov_max_vfs=%s,sriov_vq_flexible=%s,sriov_vi_flexible=%s,max_ioqpairs=%s,msix_qsize=%s' \
		"$1" $((2 * $1)) "$1" $((2 * $1 + 2)) $(($1 + 2))
}

# vm_qemu_args PROFILE SHAREDIR ROOTDIRS... : fills the array VM_QEMU_ARGS.
# With nvmens=MiB it also makes the namespace's backing file, zeroes, next
# to SHAREDIR (in the run dir, not in the share: the guest sees it only as
# the namespace).
# Fixed addresses, so scenarios can name functions:
#   00:02.0+i e1000e nic i    00:10.0 nvme PF (VFs 00:10.1-.4)
#   00:11.0   virtio-net      00:12.0.. virtio-9p (guest's root etc.: never bind)
#   00:18.0+k pcie-root-port rpK (secondary bus assigned by the guest)
#   00:1f.x   ICH9 (q35 built-in; .0/.2/.3 share one IOMMU group)
vm_qemu_args() {
	local profile=$1 share=$2
	shift 2
	local i slot tag cmdline
	vm_profile_parse "$profile"
	VM_QEMU_ARGS=(
		-accel tcg -cpu max -m "$VM_P_MEM" -smp "$VM_P_SMP"
		-machine q35,kernel-irqchip=split -nodefaults -no-reboot
		-device intel-iommu,intremap=on,caching-mode=on
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD"
	)
	# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer
	# check can time out and panic ("timer doesn't work through
	# Interrupt-remapped IO-APIC"); the check proves nothing about our code.
	cmdline="console=ttyS0 intel_iommu=on no_timer_check ${VFIOBIND_VM_KCMDLINE:-quiet} panic=-1 vmtest.kver=$VM_KVER"
	cmdline+=" vmtest.entry=$VM_DIR/guest/runner.sh"
	# VM_CMDLINE_EXTRA: more guest kernel parameters (vm.sh: vmtest.init=systemd
	# for a scenario with "# vm-init: systemd").
	cmdline+=${VM_CMDLINE_EXTRA:+ $VM_CMDLINE_EXTRA}
	# virtio-9p exports: the host root read-only, the guest kernel's modules,
	# the writable share dir, and extra read-only dirs mounted at their own
	# path (so a tree under /tmp stays visible above the guest's tmpfs).
	slot=$((0x12))
	VM_QEMU_ARGS+=(
		-fsdev "local,id=fs_hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
		-device "virtio-9p-pci,fsdev=fs_hostroot,mount_tag=hostroot,addr=$(printf '0x%x' $slot)"
		-fsdev "local,id=fs_kmods,path=$VM_MODDIR,security_model=none,readonly=on"
		-device "virtio-9p-pci,fsdev=fs_kmods,mount_tag=kmods,addr=$(printf '0x%x' $((slot + 1)))"
		-fsdev "local,id=fs_share,path=$share,security_model=none"
		-device "virtio-9p-pci,fsdev=fs_share,mount_tag=vmshare,addr=$(printf '0x%x' $((slot + 2)))"
	)
	i=0
	for dir in "$@"; do
		((i < 3)) || vm_die "at most 3 extra read-only dirs"
		[[ $dir != *[[:space:]]* ]] || vm_die "path with blanks not supported: $dir"
		tag=ro$i
		VM_QEMU_ARGS+=(
			-fsdev "local,id=fs_$tag,path=$dir,security_model=none,readonly=on,multidevs=remap"
			-device "virtio-9p-pci,fsdev=fs_$tag,mount_tag=$tag,addr=$(printf '0x%x' $((slot + 3 + i)))"
		)
		cmdline+=" vmtest.$tag=$dir"
		i=$((i + 1))
	done
	VM_QEMU_ARGS+=(-append "$cmdline")
	for ((i = 0; i < VM_P_NICS; i++)); do
		VM_QEMU_ARGS+=(
			-netdev "user,id=n$i,restrict=on"
			-device "e1000e,netdev=n$i,id=nic$i,romfile=,addr=$(printf '0x%x' $((2 + i)))"
		)
	done
	if ((VM_P_NVME)); then
		VM_QEMU_ARGS+=(-device nvme-subsys,id=subsys0,nqn=vfiobind-test)
		if ((VM_P_VFS == 4)); then
			VM_QEMU_ARGS+=(-device "nvme,id=nvme0,serial=vfiobind0,subsys=subsys0,addr=0x10,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=12,msix_qsize=8")
		else
			local nv=$VM_P_VFS where=addr=0x10
			if ((nv > 7)); then
				VM_QEMU_ARGS+=(-device "pcie-root-port,id=rpn,bus=pcie.0,chassis=32,slot=32,addr=0x1e")
				where=bus=rpn,addr=0x0
			fi
			VM_QEMU_ARGS+=(-device "nvme,id=nvme0,serial=vfiobind0,subsys=subsys0,$where,$(vm_nvme_sriov "$nv")")
		fi
		if ((VM_P_NVMENS)); then
			local img
			img=$(dirname "$share")/nvme-ns1.img
			rm -f "$img"
			truncate -s "${VM_P_NVMENS}M" "$img" || vm_die "cannot make $img"
			VM_QEMU_ARGS+=(
				-drive "file=$img,if=none,id=nvmens1,format=raw,cache=writeback"
				-device "nvme-ns,drive=nvmens1,bus=nvme0,nsid=1"
			)
		fi
	fi
	if ((VM_P_VFS2)); then
		VM_QEMU_ARGS+=(
			-device "pcie-root-port,id=rpm,bus=pcie.0,chassis=33,slot=33,addr=0x1"
			-device nvme-subsys,id=subsys1,nqn=vfiobind-test-2
			-device "nvme,id=nvme1,serial=vfiobind1,subsys=subsys1,bus=rpm,addr=0x0,$(vm_nvme_sriov "$VM_P_VFS2")"
		)
	fi
	if ((VM_P_VIRTIO)); then
		VM_QEMU_ARGS+=(
			-netdev user,id=vn0,restrict=on
			-device virtio-net-pci,netdev=vn0,id=vnet0,romfile=,addr=0x11
		)
	fi
	for ((i = 0; i < VM_P_RP; i++)); do
		VM_QEMU_ARGS+=(
			-device "pcie-root-port,id=rp$i,bus=pcie.0,chassis=$((i + 1)),slot=$((i + 1)),addr=$(printf '0x%x' $((0x18 + i)))"
			-netdev "user,id=hpn$i,restrict=on"
		)
	done
}

# --- the monitor -----------------------------------------------------------
# vm_monitor "HMP COMMAND": runs one human-monitor command through the QMP
# socket of the running VM ($VM_QMP), prints its output, and returns 1 if QEMU
# reported an error (the error text is printed on stderr).  Example:
#   vm_monitor "device_add e1000e,id=hp0,bus=rp0,netdev=hpn0"
vm_monitor() {
	local cmd=$1 esc line reply="" rc=0
	[[ -S ${VM_QMP:-} ]] || {
		vm_log "vm_monitor: no QMP socket (VM_QMP=${VM_QMP:-})"
		return 1
	}
	esc=${cmd//\\/\\\\}
	esc=${esc//\"/\\\"}
	# QMP serves one client at a time: serialize host-side callers.
	exec {lockfd}>"$VM_QMP.lock"
	flock "$lockfd"
	coproc QMP { socat - "UNIX-CONNECT:$VM_QMP"; }
	# Greeting, then capabilities negotiation, then the command.
	vm_qmp_read_reply >/dev/null || rc=1
	printf '{"execute":"qmp_capabilities"}\n' >&"${QMP[1]}"
	vm_qmp_read_reply >/dev/null || rc=1
	printf '{"execute":"human-monitor-command","arguments":{"command-line":"%s"}}\n' \
		"$esc" >&"${QMP[1]}"
	line=$(vm_qmp_read_reply) || rc=1
	local wfd=${QMP[1]}
	exec {wfd}>&-
	wait "$QMP_PID" 2>/dev/null || true
	exec {lockfd}>&-
	line=${line%$'\r'}
	if [[ $line == *'"error"'* ]]; then
		printf '%s\n' "$line" >&2
		return 1
	fi
	reply=$(sed -e 's/^{"return": *"//' -e 's/"}$//' -e 's/^{"return": *{}}$//' <<<"$line")
	reply=${reply//\\r\\n/$'\n'}
	reply=${reply//\\n/$'\n'}
	# HMP reports most failures as text, not as a QMP error.
	if [[ $reply == *Error* || $reply == *error:* ]]; then
		printf '%s' "$reply" >&2
		return 1
	fi
	printf '%s' "$reply"
	return "$rc"
}

# Reads QMP lines from the coprocess until a greeting, return or error line
# (events are skipped); prints that line.
vm_qmp_read_reply() {
	local l
	while IFS= read -r -t 30 l <&"${QMP[0]}"; do
		case $l in
		*'"QMP"'* | *'"return"'* | *'"error"'*)
			printf '%s\n' "$l"
			return 0
			;;
		esac
	done
	return 1
}

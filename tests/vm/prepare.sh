#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prepares what the QEMU harness needs, idempotently:
#   - Debian packages (qemu-system-x86, busybox-static, cpio, kmod, udev, socat,
#     iproute2, e2fsprogs, fdisk), installed with apt-get only when missing;
#   - a Debian kernel (linux-image-*-amd64) unpacked into the cache with
#     dpkg -x and indexed with depmod -b;
#   - a small initramfs (busybox + the virtio/9p modules) that mounts the host
#     root read-only over virtio-9p and chroots into it (see guest/init).
# Writes $VM_CACHE/vm.env (VM_KVER, VM_KERNEL, VM_MODDIR, VM_INITRD).
# Exits 77 when QEMU or a kernel cannot be had (1 with VFIOBIND_VM_REQUIRED=1).
# usage: prepare.sh [--refresh] [--quiet]
#   --refresh  ask apt again which kernel is current (default: keep the cached one)
# Env: VFIOBIND_VM_CACHE (default ~/.cache/vfiobind-vm),
#      VFIOBIND_VM_KERNEL_PKG (e.g. linux-image-6.1.0-56-amd64).
set -euo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

# iproute2, e2fsprogs, fdisk: what the in-use scenarios build stacks and
# filesystems with (ip, mkfs.ext4, sfdisk), run from the 9p'd host root.
VM_PACKAGES=(qemu-system-x86 busybox-static cpio kmod udev socat xz-utils util-linux coreutils
	iproute2 e2fsprogs fdisk)

prepare_packages() {
	local missing=() p
	for p in "${VM_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[[ $(id -u) == 0 ]] || vm_skip "packages missing (${missing[*]}) and not root to install them"
	vm_log "installing ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >&2; then
		apt-get update -q >&2 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >&2 || vm_skip "cannot install ${missing[*]}"
	fi
}

# Prints the kernel package to use.
prepare_kernel_pkg() {
	local pkg
	if [[ -n ${VFIOBIND_VM_KERNEL_PKG:-} ]]; then
		printf '%s\n' "$VFIOBIND_VM_KERNEL_PKG"
		return
	fi
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: *\(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
	if [[ -z $pkg ]]; then
		pkg=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
			grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n1)
	fi
	printf '%s\n' "$pkg"
}

# prepare_download_kernel PKG DIR: apt-get download, dpkg -x, depmod -b.
prepare_download_kernel() {
	local pkg=$1 dir=$2 tmp kver rc=0
	tmp=$(mktemp -d "$VM_CACHE/dl.XXXXXX")
	vm_log "downloading $pkg"
	if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2 2>&1); then
		apt-get update -q >&2 2>&1 || true
		(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2 2>&1) || rc=1
	fi
	if ((rc == 0)); then
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg -x "$tmp"/*.deb "$dir"
		kver=$(basename "$(ls -d "$dir"/lib/modules/*)")
		depmod -b "$dir" "$kver"
		touch "$dir/.done"
	fi
	rm -rf "$tmp"
	return "$rc"
}

# Newest kernel already unpacked in the cache (for offline runs).
prepare_cached_kernel() {
	local d best=""
	for d in "$VM_CACHE"/kernel/linux-image-*; do
		[[ -f $d/.done ]] && best=$d
	done
	printf '%s\n' "$best"
}

prepare_kernel() {
	local pkg="" dir=""
	# A kernel already in the cache is kept (runs stay comparable and work
	# offline) unless a package is named or --refresh is given.
	if [[ -z ${VFIOBIND_VM_KERNEL_PKG:-} && $PREP_REFRESH == 0 ]]; then
		dir=$(prepare_cached_kernel)
	fi
	if [[ -z $dir ]]; then
		pkg=$(prepare_kernel_pkg)
		if [[ -z $pkg ]]; then
			apt-get update -q >&2 2>&1 || true
			pkg=$(prepare_kernel_pkg)
		fi
		[[ -n $pkg ]] && dir=$VM_CACHE/kernel/$pkg
		if [[ -n $pkg && ! -f $dir/.done ]]; then
			prepare_download_kernel "$pkg" "$dir" || true
		fi
		if [[ -z $pkg || ! -f $dir/.done ]]; then
			dir=$(prepare_cached_kernel)
			[[ -n $dir ]] || vm_skip "cannot download a Debian kernel (${pkg:-no linux-image package found})"
			vm_log "using cached kernel $dir"
		fi
	fi
	VM_KVER=$(basename "$(ls -d "$dir"/lib/modules/*)")
	VM_KERNEL=$dir/boot/vmlinuz-$VM_KVER
	VM_MODDIR=$dir/lib/modules/$VM_KVER
	[[ -f $VM_KERNEL && -f $VM_MODDIR/modules.dep ]] || vm_die "broken kernel cache in $dir"
	if [[ ${VFIOBIND_VM_PVH:-1} == 1 ]]; then
		prepare_vmlinux "$VM_KERNEL" "$dir/boot/vmlinux-$VM_KVER" &&
			VM_KERNEL=$dir/boot/vmlinux-$VM_KVER
	fi
}

# The uncompressed ELF kernel, booted through its PVH entry: under TCG the
# bzImage's own xz decompression plus the BIOS path cost about 4 s a boot.
prepare_vmlinux() {
	local bz=$1 out=$2 off
	[[ -f $out ]] && return 0
	command -v xz >/dev/null || return 1
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$bz" | head -n1 | cut -d: -f1) || return 1
	[[ -n $off ]] || return 1
	# xz stops with an error at the trailing data after the stream: ignore it
	# and check the result is an ELF file instead.
	tail -c +$((off + 1)) "$bz" | xz -dc >"$out.tmp" 2>/dev/null || true
	if [[ $(head -c4 "$out.tmp" | od -An -c | tr -d ' ') == '177ELF' ]]; then
		mv "$out.tmp" "$out"
	else
		rm -f "$out.tmp"
		return 1
	fi
}

# Appends to PREP_ORDER the module (path relative to VM_MODDIR) after its
# dependencies, once.
prepare_add_module() {
	local mod=$1 line deps d
	[[ " ${PREP_ORDER[*]} " == *" $mod "* ]] && return 0
	line=$(grep -m1 "^$mod:" "$VM_MODDIR/modules.dep") || vm_die "module $mod not in modules.dep"
	deps=${line#*:}
	for d in $deps; do
		prepare_add_module "$d"
	done
	PREP_ORDER+=("$mod")
}

prepare_initrd() {
	local m path stage key bb
	PREP_ORDER=()
	for m in virtio_pci 9pnet_virtio 9p; do
		path=$(grep -m1 -oE "^[^:]*/$m\.ko(\.[a-z]+)?:" "$VM_MODDIR/modules.dep") ||
			{ grep -qE "/$m\.ko" "$VM_MODDIR/modules.builtin" && continue; } ||
			vm_die "no module $m in $VM_KVER"
		prepare_add_module "${path%:}"
	done
	bb=$(command -v busybox) || vm_skip "no busybox"
	key=$({
		printf '%s\n' "$VM_KVER" "${PREP_ORDER[@]}"
		cat "$bb" "$VM_DIR/guest/init" | sha256sum
	} | sha256sum | cut -c1-16)
	VM_INITRD=$VM_CACHE/initrd-$VM_KVER-$key.cpio.gz
	[[ -f $VM_INITRD ]] && return 0
	vm_log "building $VM_INITRD"
	stage=$(mktemp -d "$VM_CACHE/initrd.XXXXXX")
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules}
	cp "$bb" "$stage/bin/busybox"
	cp "$VM_DIR/guest/init" "$stage/init"
	chmod 755 "$stage/init"
	for m in "${PREP_ORDER[@]}"; do
		cp "$VM_MODDIR/$m" "$stage/lib/modules/"
		printf '%s\n' "$(basename "$m")" >>"$stage/modules.list"
	done
	# The kernel opens /dev/console before running /init.
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) \
		>"$VM_INITRD.tmp"
	mv "$VM_INITRD.tmp" "$VM_INITRD"
	# Drop initramfs images of older inputs.
	find "$VM_CACHE" -maxdepth 1 -name 'initrd-*.cpio.gz' ! -path "$VM_INITRD" -delete
	rm -rf "$stage"
}

main() {
	PREP_REFRESH=0 PREP_QUIET=0
	while (($#)); do
		case $1 in
		--refresh) PREP_REFRESH=1 ;;
		--quiet) PREP_QUIET=1 ;;
		*) vm_die "usage: prepare.sh [--refresh] [--quiet]" ;;
		esac
		shift
	done
	mkdir -p "$VM_CACHE"
	prepare_packages
	command -v qemu-system-x86_64 >/dev/null || vm_skip "no qemu-system-x86_64"
	prepare_kernel
	prepare_initrd
	# The guest mounts a tmpfs over /lib/modules and its kernel's modules on
	# top, so that directory must exist on the host root (empty is fine).
	if [[ ! -d /lib/modules ]]; then
		mkdir -p /lib/modules 2>/dev/null || vm_skip "/lib/modules missing on the host"
	fi
	{
		printf 'VM_KVER=%q\n' "$VM_KVER"
		printf 'VM_KERNEL=%q\n' "$VM_KERNEL"
		printf 'VM_MODDIR=%q\n' "$VM_MODDIR"
		printf 'VM_INITRD=%q\n' "$VM_INITRD"
	} >"$VM_CACHE/vm.env.tmp"
	mv "$VM_CACHE/vm.env.tmp" "$VM_CACHE/vm.env"
	((PREP_QUIET)) || cat "$VM_CACHE/vm.env"
}

main "$@"

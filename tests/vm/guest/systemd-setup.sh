#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run by guest/init for a boot with vmtest.init=systemd ("# vm-init: systemd"
# in the scenario), chrooted into the overlay root (tmpfs over the read-only
# 9p host root), just before systemd becomes PID 1.  Everything it writes
# goes to the overlay's tmpfs: the host is not touched.
#
# It installs:
#   - vfiobindd.service rendered from etc/vfiobindd.service.in exactly as
#     etc/local.mk does (sed of @sbindir@ and @sysconfdir@), with the
#     built daemon installed as /usr/local/sbin/vfiobindd (make install's
#     place; the build tree may sit under /tmp or /root, hidden by
#     PrivateTmp=/ProtectHome=): the shipped hardening, unchanged;
#   - SYSCONFDIR/vfiobind/vfiobind.conf (SYSCONFDIR: the daemon's built-in
#     default, /usr/local/etc for a plain ./configure, written to
#     /etc/vmtest-systemd.env) with "DEFAULT 0000:00:02.0" (NIC 0), so the
#     daemon has a function to bind when the boot starts it;
#   - vmtest.target (systemd --unit=vmtest.target): wants vfiobindd.service
#     and vmtest-runner.service, which is ordered After=vfiobindd.service
#     (the consumer ordering the unit promises) and runs the scenarios
#     (guest/systemd-runner.sh), then powers the guest off;
#   - masks for what a test boot does not need or what would take the
#     console (gettys, emergency/rescue shells, timesyncd, ...), an empty
#     fstab, no generators, short default timeouts, a volatile journal.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck source=/dev/null
. /run/vmtest/env
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E=/etc/systemd/system

mkdir -p "$E" /etc/systemd/system.conf.d /etc/systemd/journald.conf.d \
	/etc/systemd/system-generators
# The host may be a container (/.dockerenv): systemd would believe it runs
# in one.  The overlay hides the file; the host keeps it.
rm -f /.dockerenv

# sysconfdir as the daemon was built with it (its default --config is
# SYSCONFDIR/vfiobind/vfiobind.conf): /usr/local/etc for a plain
# ./configure.  make renders the unit with the same value.
sysconfdir=/etc
if h=$("$VFIOBIND_BUILDDIR/daemon/vfiobindd" --help 2>&1) &&
	[[ $h =~ config\ file\ \(default\ ([^\)]*)/vfiobind/vfiobind\.conf\) ]]; then
	sysconfdir=${BASH_REMATCH[1]}
fi
printf 'VMTEST_SYSCONFDIR=%q\n' "$sysconfdir" >/etc/vmtest-systemd.env
mkdir -p "$sysconfdir/vfiobind"

# The daemon where `make install` puts it: the build tree may be under /tmp
# or /root, which the unit's PrivateTmp= and ProtectHome= hide from it.
sbindir=/usr/local/sbin
install -D -m 0755 "$VFIOBIND_BUILDDIR/daemon/vfiobindd" "$sbindir/vfiobindd"
# The unit as make renders it.
sed -e "s|@sbindir[@]|$sbindir|g" -e "s|@sysconfdir[@]|$sysconfdir|g" \
	"$VFIOBIND_SRCDIR/etc/vfiobindd.service.in" >"$E/vfiobindd.service"
# The one local change: debug logging (the module load is logged at debug),
# through a drop-in as the unit's header comment recommends.
mkdir -p "$E/vfiobindd.service.d"
printf '[Service]\nExecStart=\nExecStart=%s --log-level debug\n' \
	"$sbindir/vfiobindd" >"$E/vfiobindd.service.d/10-vmtest-debug.conf"
# VMTEST_UNIT_DROPIN (in /run/vmtest/env): an optional drop-in, for
# bisecting a hardening directive by hand.
if [[ -n ${VMTEST_UNIT_DROPIN:-} ]]; then
	printf '%b\n' "$VMTEST_UNIT_DROPIN" >"$E/vfiobindd.service.d/20-vmtest.conf"
fi
printf '# written by tests/vm/guest/systemd-setup.sh\nDEFAULT 0000:00:02.0\n' \
	>"$sysconfdir/vfiobind/vfiobind.conf"
# The host's modules-load.d must not load vfio-pci: the daemon should.
rm -f /etc/modules-load.d/vfio-pci.conf /usr/lib/modules-load.d/vfio-pci.conf 2>/dev/null || true

cat >"$E/vmtest.target" <<EOF
[Unit]
Description=vfiobind VM test boot
Wants=vfiobindd.service vmtest-runner.service
AllowIsolate=yes
# Whatever happens, the guest does not outlive this.
JobTimeoutSec=600
JobTimeoutAction=poweroff-force
EOF

cat >"$E/vmtest-runner.service" <<EOF
[Unit]
Description=vfiobind VM test scenarios
# A consumer of the bound functions, ordered as etc/vfiobindd.service.in
# tells consumers to be: when this starts, the first pass is done.
Wants=vfiobindd.service
After=vfiobindd.service systemd-udev-trigger.service systemd-journald.service
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStart=/bin/bash $here/systemd-runner.sh
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/console
EOF

# What a test boot does not need, or what would take the console or wait.
for u in serial-getty@ttyS0.service getty@tty1.service console-getty.service \
	emergency.service rescue.service systemd-timesyncd.service \
	systemd-pstore.service systemd-firstboot.service systemd-repart.service \
	systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
	systemd-remount-fs.service systemd-random-seed.service \
	systemd-machine-id-commit.service systemd-update-utmp.service \
	systemd-pcrphase.service systemd-pcrphase-sysinit.service \
	systemd-hwdb-update.service ldconfig.service \
	systemd-journal-catalog-update.service systemd-update-done.service \
	apparmor.service systemd-journal-flush.service systemd-sysusers.service \
	modprobe@fuse.service modprobe@configfs.service modprobe@drm.service \
	sys-fs-fuse-connections.mount sys-kernel-config.mount \
	sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount \
	systemd-ask-password-console.path systemd-ask-password-wall.path; do
	ln -sf /dev/null "$E/$u"
done
for g in /lib/systemd/system-generators/* /usr/lib/systemd/system-generators/*; do
	[[ -e $g ]] && ln -sf /dev/null "/etc/systemd/system-generators/${g##*/}"
done
: >/etc/fstab
# Coldplug only PCI, as guest/runner.sh does (VFIOBIND_VM_UDEV_TRIGGER=all:
# every device, as a real boot).
if [[ ${VMTEST_UDEV_TRIGGER:-pci} != all ]]; then
	mkdir -p "$E/systemd-udev-trigger.service.d"
	printf '[Service]\nExecStart=\nExecStart=-udevadm trigger --type=devices --action=add --subsystem-match=pci\n' \
		>"$E/systemd-udev-trigger.service.d/vmtest.conf"
fi

cat >/etc/systemd/system.conf.d/vmtest.conf <<EOF
[Manager]
DefaultTimeoutStartSec=60s
DefaultTimeoutStopSec=10s
EOF
cat >/etc/systemd/journald.conf.d/vmtest.conf <<EOF
[Journal]
Storage=volatile
EOF
echo vfiobind-vm >/etc/hostname
echo "VMTEST: systemd-setup done at $(cut -d' ' -f1 /proc/uptime)"

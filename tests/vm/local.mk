# SPDX-License-Identifier: GPL-2.0-or-later
# Real-kernel tests in a QEMU guest (tests/vm/README.md).  Included from the
# top Makefile.am.  Not part of "make check": "make check-vm" needs QEMU, a
# downloaded Debian kernel and a few minutes; it exits 77 (skipped) when they
# cannot be had, unless VFIOBIND_VM_REQUIRED=1.
VM_TEST_FILES = \
	%D%/README.md \
	%D%/lib.sh \
	%D%/prepare.sh \
	%D%/vm.sh \
	%D%/run-all.sh \
	%D%/soak.sh \
	%D%/shell.sh \
	%D%/guest/init \
	%D%/guest/runner.sh \
	%D%/guest/lib.sh \
	%D%/guest/systemd-setup.sh \
	%D%/guest/systemd-runner.sh \
	%D%/scenarios/00-smoke.sh \
	%D%/scenarios/01-hotplug.sh \
	%D%/scenarios/02-sriov.sh \
	%D%/scenarios/10-daemon-once.sh \
	%D%/scenarios/11-daemon-watch.sh \
	%D%/scenarios/20-daemon-converge.sh \
	%D%/scenarios/21-daemon-hotplug.sh \
	%D%/scenarios/22-daemon-sriov.sh \
	%D%/scenarios/23-daemon-crash.sh \
	%D%/scenarios/24-daemon-modload.sh \
	%D%/scenarios/25-daemon-group.sh \
	%D%/scenarios/26-daemon-config-vanishes.sh \
	%D%/scenarios/27-daemon-inuse-net.sh \
	%D%/scenarios/28-daemon-inuse-disk.sh \
	%D%/scenarios/50-daemon-vf-handback.sh \
	%D%/scenarios/51-daemon-crash-autoprobe.sh \
	%D%/scenarios/52-daemon-soak.sh \
	%D%/scenarios/53-scan-uevent.sh \
	%D%/scenarios/30-systemd-unit.sh \
	%D%/scenarios/40-holders-vfio.sh \
	%D%/scenarios/41-holders-sriov.sh \
	%D%/scenarios/42-holders-group.sh \
	%D%/scenarios/43-holders-qemu.sh \
	%D%/demo.sh \
	%D%/demo-guest.sh \
	%D%/demo.conf

EXTRA_DIST += $(VM_TEST_FILES)

# The guest sees the build tree read-only at the same path, so the binaries
# built here run there unchanged.
check-vm: all %D%/vfio-holder
	VFIOBIND_BUILDDIR="$(abs_top_builddir)" bash "$(srcdir)/%D%/run-all.sh"

# The fault soak at length (100 rounds, 15-40 minutes; check-vm runs 10).
# SOAK_ROUNDS=N for another length.
check-soak: all
	VFIOBIND_BUILDDIR="$(abs_top_builddir)" bash "$(srcdir)/%D%/soak.sh" $(SOAK_ROUNDS)

# Interactive demo VM.
vm-shell: all
	VFIOBIND_BUILDDIR="$(abs_top_builddir)" bash "$(srcdir)/%D%/shell.sh"

# No ".PHONY:" here: the top Makefile.am declares .PHONY inside a conditional,
# and automake -Werror rejects a second, unconditional one.

# tests/vm/vfio-holder: holds devices the way QEMU does, for the holder
# scenarios (4x-holders-*.sh); built by make check, run only in the guest.
check_PROGRAMS += %D%/vfio-holder
%C%_vfio_holder_SOURCES = %D%/vfio-holder.c

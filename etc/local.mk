# SPDX-License-Identifier: GPL-2.0-or-later
# etc/local.mk -- deployment files: the systemd unit, modules-load.d, the
# example config, the OpenShift and Kubernetes manifests, and their tests.
# Included from the top-level (non-recursive) Makefile.am; paths are relative
# to the top of the source tree.
#
# Expected from configure.ac (AC_SUBST):
#   systemdsystemunitdir   where vfiobindd.service goes, or "no"
#   modulesloaddir         where vfio-pci.conf (modules-load.d) goes, or "no"
# and the conditionals HAVE_SYSTEMDSYSTEMUNITDIR and HAVE_MODULESLOADDIR.
# A configure.ac fragment that provides all four:
#
#   PKG_PROG_PKG_CONFIG
#   AC_ARG_WITH([systemdsystemunitdir],
#     [AS_HELP_STRING([--with-systemdsystemunitdir=DIR],
#       [systemd system unit directory; "no" to not install the unit
#        @<:@default: from pkg-config systemd@:>@])],
#     [], [with_systemdsystemunitdir=auto])
#   AS_IF([test "x$with_systemdsystemunitdir" = xauto],
#     [with_systemdsystemunitdir=`$PKG_CONFIG --variable=systemdsystemunitdir systemd 2>/dev/null`
#      AS_IF([test -z "$with_systemdsystemunitdir"],
#        [with_systemdsystemunitdir='${prefix}/lib/systemd/system'])])
#   AC_SUBST([systemdsystemunitdir], [$with_systemdsystemunitdir])
#   AM_CONDITIONAL([HAVE_SYSTEMDSYSTEMUNITDIR], [test "x$with_systemdsystemunitdir" != xno])
#
#   AC_ARG_WITH([modulesloaddir],
#     [AS_HELP_STRING([--with-modulesloaddir=DIR],
#       [modules-load.d directory; "no" to not install vfio-pci.conf
#        @<:@default: from pkg-config systemd@:>@])],
#     [], [with_modulesloaddir=auto])
#   AS_IF([test "x$with_modulesloaddir" = xauto],
#     [with_modulesloaddir=`$PKG_CONFIG --variable=modulesloaddir systemd 2>/dev/null`
#      AS_IF([test -z "$with_modulesloaddir"],
#        [with_modulesloaddir='${prefix}/lib/modules-load.d'])])
#   AC_SUBST([modulesloaddir], [$with_modulesloaddir])
#   AM_CONDITIONAL([HAVE_MODULESLOADDIR], [test "x$with_modulesloaddir" != xno])
#
# Both defaults are absolute (/lib/systemd/system, /usr/lib/modules-load.d on
# Debian 12) because systemd reads only those places; a prefix of /usr/local
# changes ExecStart= (via sbindir), not where the unit goes.
#
# Expected from the top-level Makefile.am:
#   - EXTRA_DIST and CLEANFILES defined (with =) before this file is
#     included: it appends to them with +=;
#   - TESTS += $(DEPLOY_TESTS) (the two scripts are executable and find the
#     source tree from their own location, so they need no LOG_COMPILER);
#   - AM_DISTCHECK_CONFIGURE_FLAGS = ... $(DEPLOY_DISTCHECK_CONFIGURE_FLAGS)
#     Without it, `make distcheck` (run as root in CI) installs the unit
#     into the real /lib/systemd/system.

# ---- the systemd unit -------------------------------------------------------

# @sbindir@ and @sysconfdir@ are substituted at make time, not by configure,
# so that `make sbindir=...` and `make install prefix=...` are honoured.
edit = sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g'

etc/vfiobindd.service: $(srcdir)/etc/vfiobindd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && rm -f $@ $@.tmp && \
	$(edit) $(srcdir)/etc/vfiobindd.service.in >$@.tmp && \
	mv $@.tmp $@

if HAVE_SYSTEMDSYSTEMUNITDIR
systemdsystemunit_DATA = etc/vfiobindd.service
endif

CLEANFILES += etc/vfiobindd.service

# ---- a drop-in for the units that use the devices ------------------------------
# An example, not installed: it belongs in the consumer's drop-in directory
# (libvirtd.service.d, a DPDK application's), which only the administrator
# can name.  Built with the installed path of vfiobind, like the unit.

etc/systemd/vfiobind-wait.conf: $(srcdir)/etc/systemd/vfiobind-wait.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/systemd && rm -f $@ $@.tmp && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/etc/systemd/vfiobind-wait.conf.in >$@.tmp && \
	mv $@.tmp $@

noinst_DATA = etc/systemd/vfiobind-wait.conf
CLEANFILES += etc/systemd/vfiobind-wait.conf

# ---- modules-load.d: vfio-pci at boot ---------------------------------------

if HAVE_MODULESLOADDIR
dist_modulesload_DATA = etc/modules-load.d/vfio-pci.conf
else
EXTRA_DIST += etc/modules-load.d/vfio-pci.conf
endif

# ---- the example configuration ------------------------------------------------
# Installed as vfiobind.conf.example only: a real vfiobind.conf is the
# administrator's and is never installed or overwritten by `make install`.

vfiobindconfdir = $(sysconfdir)/vfiobind
dist_vfiobindconf_DATA = etc/vfiobind.conf.example

# ---- manifests, shipped in the tarball, not installed --------------------------

EXTRA_DIST += \
	etc/README.md \
	etc/local.mk \
	etc/vfiobindd.service.in \
	etc/openshift/render.py \
	etc/openshift/99-worker-vfiobind-iommu.bu \
	etc/openshift/99-worker-vfiobind-iommu.yaml \
	etc/openshift/99-worker-vfiobind.bu \
	etc/openshift/99-worker-vfiobind.yaml \
	etc/kubernetes/Containerfile \
	etc/kubernetes/namespace.yaml \
	etc/kubernetes/configmap.yaml \
	etc/kubernetes/daemonset.yaml \
	etc/kubernetes/export-client.sh \
	etc/kubernetes/node-problem-detector.yaml \
	etc/kubernetes/node-problem-detector-patch.yaml \
	etc/openshift/node-disruption-policy-patch.yaml \
	etc/systemd/vfiobind-wait.conf.in

# ---- tests ------------------------------------------------------------------------

DEPLOY_TESTS = \
	tests/deploy/check-manifests.py \
	tests/deploy/check-unit.sh \
	tests/deploy/check-npd.py \
	tests/deploy/check-kube-models.sh

EXTRA_DIST += $(DEPLOY_TESTS) tests/deploy/kube-models.mjs tests/container/check-container.sh

# The container image built for real (podman, mmdebstrap, root, Debian's
# mirror, minutes): not part of `make check`.
check-container:
	sh "$(srcdir)/tests/container/check-container.sh"

DEPLOY_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir=$$dc_install_base/lib/systemd/system \
	--with-modulesloaddir=$$dc_install_base/lib/modules-load.d

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-alerts.sh: the example alert rules (etc/prometheus/vfiobind-alerts.yml)
# are rules Prometheus loads (`promtool check rules`) and fire when they
# should on series shaped like vfiobindd's figures (`promtool test rules`
# with tests/deploy/vfiobind-alerts.test.yml). promtool is Debian's
# `prometheus` package (.ci/install-deps); without it this is skipped (77),
# unless VFIOBIND_VM_REQUIRED=1 (what .ci/run sets) makes that a failure.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
PROMTOOL=${PROMTOOL:-promtool}
if ! command -v "$PROMTOOL" >/dev/null 2>&1; then
	if [ "${VFIOBIND_VM_REQUIRED:-0}" = 1 ]; then
		echo "check-alerts: promtool is missing and VFIOBIND_VM_REQUIRED=1: run .ci/install-deps"
		exit 1
	fi
	echo "check-alerts: promtool not installed (Debian: prometheus), skipped"
	exit 77
fi
"$PROMTOOL" check rules "$top/etc/prometheus/vfiobind-alerts.yml"
"$PROMTOOL" test rules "$top/tests/deploy/vfiobind-alerts.test.yml"
echo "check-alerts: the example alert rules load and fire as their tests say"

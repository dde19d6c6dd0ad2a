#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boots the demo VM (4 e1000e, SR-IOV NVMe, virtio-net, 2 empty root ports)
# and gives an interactive root shell in the guest on this terminal, with the
# built vfiobindd/vfiobind ($VFIOBINDD, $VFIOBIND) and the helpers of
# guest/lib.sh at hand.  'exit' powers the guest off; Ctrl-A x kills QEMU.
# usage: shell.sh [--profile "nics=2 nvme=1 ..."]
set -euo pipefail
exec "$(dirname "$0")/vm.sh" --interactive "$@"

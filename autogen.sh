#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the autotools build system from a fresh clone.
set -e
cd "$(dirname "$0")"
autoreconf --install --force --warnings=all "$@"

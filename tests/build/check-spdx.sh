#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-spdx.sh: every source file says its licence in its first lines
# (GPL-2.0-or-later, COPYING). Prose (*.md), fuzz inputs and generated files
# are not sources.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
git rev-parse --git-dir >/dev/null 2>&1 || { echo "check-spdx: not a git checkout, skipped"; exit 77; }
bad=0
for f in $(git ls-files -- . ':!*.md' ':!fuzz/corpus' ':!fuzz/findings' ':!m4' ':!.gitignore' \
	':!COPYING'); do
	[ -f "$f" ] || continue
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later'; then
		echo "check-spdx: $f: no SPDX-License-Identifier line at its top"
		bad=1
	fi
done
[ "$bad" -eq 0 ] && echo "check-spdx: every source file carries its licence"
exit "$bad"

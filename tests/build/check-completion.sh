#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# check-completion.sh: etc/bash-completion/vfiobind offers exactly the
# commands and options the client has. The client's side is what the built
# vfiobind says (`vfiobind --help`, `vfiobind help COMMAND`, both made from
# its command table); the completion's side is what its function offers when
# run, with the few bash-completion helpers it calls stubbed (nothing here
# needs the bash-completion package, and nothing talks to a daemon). Any
# difference either way fails, naming the words.
#
# VFIOBIND: the client binary (default: $VFIOBIND_BUILDDIR/client/vfiobind).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
VFIOBIND=${VFIOBIND:-${VFIOBIND_BUILDDIR:-.}/client/vfiobind}
completion=$top/etc/bash-completion/vfiobind
[ -x "$VFIOBIND" ] || { echo "check-completion: no client binary at $VFIOBIND"; exit 1; }
[ -f "$completion" ] || { echo "check-completion: no $completion"; exit 1; }

# The helpers of the bash-completion package that the function calls.
_init_completion() {
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
}
_filedir() { :; }
compopt() { :; }
# shellcheck source=../../etc/bash-completion/vfiobind
. "$completion"

# offered WORD...: what the completion offers for the last WORD, sorted.
offered() {
	COMP_WORDS=(vfiobind "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_vfiobind
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

# The long options in a help text's "Options:" part, sorted.
options_of() {
	sed -n '/^Options:/,/^Exit status/p' | grep -o -- '--[a-z][a-z-]*' | sort -u
}

failures=0
# same WHAT CLIENT-WORDS COMPLETION-WORDS
same() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1 differ (< vfiobind, > completion):"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | grep '^[<>]'
		failures=$((failures + 1))
	else
		echo "ok: $1"
	fi
}

help=$("$VFIOBIND" --help) || { echo "check-completion: vfiobind --help failed"; exit 1; }
commands=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' | sort -u)
[ -n "$commands" ] || { echo "check-completion: no commands in vfiobind --help"; exit 1; }

same "commands" "$commands" "$(offered '')"
same "commands after help" "$commands" "$(offered help '')"
same "global options" "$(printf '%s\n' "$help" | options_of)" "$(offered --)"

for cmd in $commands; do
	[ "$cmd" = help ] && continue # it takes a command name, no option
	text=$("$VFIOBIND" help "$cmd") || { echo "FAIL: vfiobind help $cmd"; failures=$((failures + 1)); continue; }
	# every command takes --help, whether or not its help lists it
	want=$( (printf '%s\n' "$text" | options_of; echo --help) | sort -u)
	same "options of $cmd" "$want" "$(offered "$cmd" --)"
done

[ "$failures" -eq 0 ] || { echo "check-completion: $failures difference(s): update etc/bash-completion/vfiobind"; exit 1; }
echo "check-completion: the completion knows every command and option of vfiobind"

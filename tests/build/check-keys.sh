#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-keys.sh: every JSON key the daemon's commands and server write, and
# every key the client reads or writes, is a PROTO_* name of protocol/proto.h,
# never a string literal, so the wire has one definition. It looks for a
# literal as the key of the JSON calls those files make.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

calls='json_object_object_(add|get_ex|get|del)|jstr|jint|jarray|out_bool|proto_args_[a-z]+|summary_add|server_client_error_field|client_args_add'
if grep -nE "($calls)\([^,()]*, *\"" daemon/server.c daemon/cmd/*.c client/*.c client/cmd/*.c; then
	echo "check-keys: a JSON key above is a literal: name it in protocol/proto.h"
	exit 1
fi
echo "check-keys: every key is a PROTO_* name"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# export-client.sh DIR: copy the vfiobind client, every shared library it
# loads and the dynamic loader into DIR/lib, and write DIR/vfiobind, which
# runs that copy through that loader.  The client then works inside another
# container image whatever libraries it has (node-problem-detector's image
# has no libjson-c), from a volume this image's init container filled.
#
# Installed in the image as /usr/libexec/vfiobind/export-client by
# etc/kubernetes/Containerfile; etc/kubernetes/node-problem-detector-patch.yaml
# runs it.  Needs ldd (Debian: libc-bin, in every Debian image).
set -eu

dir=${1:?usage: export-client DIR}
bin=${VFIOBIND_CLIENT:-/usr/bin/vfiobind}

mkdir -p "$dir/lib"
cp "$bin" "$dir/lib/vfiobind.bin"
loader=
# ldd prints "libX.so.N => /path (addr)" for libraries and "/path (addr)"
# for the loader; vdso lines have no path.
for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
	cp -L "$lib" "$dir/lib/"
	case ${lib##*/} in
	ld-linux*.so.*|ld64.so.*|ld.so.*) loader=${lib##*/} ;;
	esac
done
if [ -z "$loader" ]; then
	echo "export-client: no dynamic loader in ldd $bin" >&2
	exit 1
fi

# The wrapper finds its lib/ next to itself, so DIR may be mounted
# elsewhere; --argv0 keeps the name the client reports in its messages.
cat >"$dir/vfiobind.tmp" <<EOF
#!/bin/sh
# Written by export-client: the vfiobind client with its own libraries.
d=\${0%/*}
exec "\$d/lib/$loader" --argv0 vfiobind --library-path "\$d/lib" "\$d/lib/vfiobind.bin" "\$@"
EOF
chmod 0755 "$dir/vfiobind.tmp"
mv "$dir/vfiobind.tmp" "$dir/vfiobind"
echo "export-client: $dir/vfiobind ($(ls "$dir/lib" | wc -l) files in $dir/lib)"

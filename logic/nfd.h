/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfd.h: the node's health as a Node Feature Discovery local feature file
 * (nfd-worker's "local" source reads /etc/kubernetes/node-feature-discovery/
 * features.d/; nfd-master turns the lines into node labels). Format, from
 * NFD's customization guide ("Local feature source") and its source
 * (source/local/local.go, pkg/apis/nfd/validate): one KEY=VALUE a line; a
 * "# +expiry-time=RFC3339" directive applies to the lines after it (they are
 * dropped once it has passed); other '#' lines are comments; a file over
 * 64 KiB is ignored whole; dot files are ignored (so a writer renames a
 * dotfile into place). Keys are qualified names with a namespace (prefix/
 * name, the name at most 63 characters); values are valid label values (at
 * most 63 characters, alphanumeric at both ends, '-', '_' and '.' inside).
 * kubernetes.io namespaces are denied except feature.node.kubernetes.io,
 * which is what these keys use. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"

#define NFD_MAX_BYTES 65536		/* nfd-worker ignores a larger file */
#define NFD_PREFIX "feature.node.kubernetes.io/vfiobind-"

/* PCI functions on vfio-pci with one vendor:device. */
struct nfd_id_count {
	uint16_t vendor, device;
	unsigned long n;
};

struct nfd_input {
	enum health_word health;
	unsigned long vfio_pci;			/* every function on vfio-pci now */
	const struct nfd_id_count *ids;		/* sorted by vendor, then device */
	size_t n_ids;
	long long expiry_s;			/* epoch seconds the labels stop at */
};

/* Is s a label value Kubernetes accepts? A qualified name NFD accepts as a
 * key (a namespace, then a name)? */
bool nfd_value_valid(const char *s);
bool nfd_key_valid(const char *s);
/* "2026-05-01T10:15:00Z" for epoch seconds t (UTC; buf of 32 or more). */
int nfd_rfc3339(long long t, char *buf, size_t size);
/* The file's text (malloc'd): the expiry directive first, the health and the
 * counts; per-ID lines stop before the file would pass NFD_MAX_BYTES.
 * 0, or -ENOMEM. */
int nfd_format(const struct nfd_input *in, char **out);

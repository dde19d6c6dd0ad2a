/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/devices.c: `devices`: every PCI function the daemon sees, with what
 * the config says about it and the processes that hold it open (looked up
 * now, whether or not a plan wants the function); optionally only those a
 * selector picks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "server.h"
#include "util.h"

/* v as lower-case hex of width digits, with "0x" when prefix. */
static json_object *hex(unsigned v, int width, bool prefix)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%s%0*x", prefix ? "0x" : "", width, v);
	return json_object_new_string(buf);
}

/* The line that claims d, and a second one when two disagree. */
static void claim(json_object *o, struct engine *e, const struct pci_dev *d)
{
	const struct config *cfg = engine_config(e);
	const struct cfg_entry *winner = NULL, *other = NULL;
	int r = plan_resolve(cfg, engine_options(e)->node_name, d, engine_pci(e),
			     engine_managed(e), &winner, &other);

	json_object_object_add(o, PROTO_D_CLAIMED,
			       r == 0 || r == -EEXIST ? server_json_line(cfg->source, winner->line) : NULL);
	if (r == -EEXIST && other)
		json_object_object_add(o, PROTO_D_CONFLICT, server_json_line(cfg->source, other->line));
}

/* The known holders of d: "cannot tell" lists none (status says why when
 * a plan wants the function). */
static json_object *holders(const struct plan_held *v, size_t n, const struct pci_dev *d)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].bdf, d->bdf) == 0)
			return server_json_holders(&v[i]);
	return server_json_holders(NULL);
}

static json_object *device_entry(struct engine *e, const struct pci_dev *d)
{
	json_object *o = json_object_new_object();
	char vd[16];

	json_object_object_add(o, PROTO_S_DEVICE, json_object_new_string(d->bdf));
	json_object_object_add(o, PROTO_D_VENDOR, hex(d->vendor, 4, false));
	json_object_object_add(o, PROTO_D_DEVICE_ID, hex(d->device, 4, false));
	snprintf(vd, sizeof(vd), "%04x:%04x", d->vendor, d->device);
	json_object_object_add(o, PROTO_S_VENDOR_DEVICE, json_object_new_string(vd));
	json_object_object_add(o, PROTO_D_CLASS, hex(d->class_code, 6, true));
	json_object_object_add(o, PROTO_D_DRIVER, server_json_str(d->driver, true));
	json_object_object_add(o, PROTO_D_DRIVER_OVERRIDE, server_json_str(d->driver_override, true));
	json_object_object_add(o, PROTO_S_IOMMU_GROUP, server_json_nonneg(d->iommu_group));
	json_object_object_add(o, PROTO_D_NUMA_NODE,
			       server_json_nonneg(engine_numa_node(e, d->bdf)));
	json_object_object_add(o, PROTO_D_SRIOV_TOTALVFS, server_json_nonneg(d->sriov_totalvfs));
	json_object_object_add(o, PROTO_D_SRIOV_NUMVFS, server_json_nonneg(d->sriov_numvfs));
	json_object_object_add(o, PROTO_S_PF, server_json_str(d->physfn, true));
	json_object_object_add(o, PROTO_S_VF_INDEX, server_json_nonneg(d->vf_index));
	json_object_object_add(o, PROTO_S_IFNAMES, server_json_ifnames(d));
	json_object_object_add(o, PROTO_D_MANAGED,
			       json_object_new_boolean(managed_find(engine_managed(e), d->bdf) != NULL));
	claim(o, e, d);
	return o;
}

static bool picked(struct engine *e, const char *text, const struct cfg_selector *sel,
		   const struct pci_dev *d)
{
	return !text || plan_selector_matches(sel, d, engine_pci(e), engine_managed(e));
}

static int cmd_devices(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	const struct pci_state *pci = engine_pci(e);
	_cleanup_free_ const char **bdfs = NULL;
	_cleanup_free_ struct plan_held *held = NULL;
	struct cfg_selector sel;
	const char *text = NULL;
	size_t n = 0, n_held = 0;
	json_object *devs;
	int r;

	r = proto_args_string(args, PROTO_A_SELECTOR, false, &text);
	if (r < 0)
		return server_args_error(c, PROTO_A_SELECTOR, r, "a string");
	if (text) {
		r = server_parse_selector(c, text, &sel);
		if (r)
			return r;
	}
	bdfs = calloc(pci && pci->n ? pci->n : 1, sizeof(*bdfs));
	if (!bdfs)
		return PROTO_ERR_INTERNAL;
	for (size_t i = 0; pci && i < pci->n; i++)
		if (picked(e, text, &sel, &pci->devs[i]))
			bdfs[n++] = pci->devs[i].bdf;
	if (engine_holders(e, bdfs, n, &held, &n_held) < 0)
		return PROTO_ERR_INTERNAL;
	devs = json_object_new_array();
	for (size_t i = 0; pci && i < pci->n; i++) {
		const struct pci_dev *d = &pci->devs[i];
		json_object *x;

		if (!picked(e, text, &sel, d))
			continue;
		x = device_entry(e, d);
		json_object_object_add(x, PROTO_S_HOLDERS, holders(held, n_held, d));
		json_object_array_add(devs, x);
	}
	*result = json_object_new_object();
	json_object_object_add(*result, PROTO_R_DEVICES, devs);
	json_object_object_add(*result, PROTO_R_IOMMU, json_object_new_boolean(pci && pci->iommu_on));
	return 0;
}

const struct server_cmd server_cmd_devices = { PROTO_CMD_DEVICES, cmd_devices };

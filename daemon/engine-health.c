/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-health.c: the node's health (logic/health.h) on the engine's facts:
 * the plan, the device table, the PCI model, what the config in force says
 * of the file, and whether a pass is due. Everything that tells
 * health (status, wait, the metrics and NFD files) asks here. */
#include "engine-private.h"

static enum health_config config_health(const struct engine *e)
{
	if (!e->have_good_config)
		return HEALTH_CONFIG_NONE;
	if (e->config_missing)
		return HEALTH_CONFIG_MISSING;
	if (e->rejected.n)
		return HEALTH_CONFIG_REJECTED;
	return HEALTH_CONFIG_OK;
}

void engine_health_input(const struct engine *e, struct health_input *in)
{
	long long now = engine_now(e);

	*in = (struct health_input){
		.plan = e->have_good_config ? e->plan : NULL,
		.devs = &e->devs,
		.pci = e->pci,
		.managed = &e->managed,
		.now = now,
		.stuck_ms = e->o.stuck_ms,
		.config = config_health(e),
		/* A pass to run may change any device (a config just loaded);
		 * an action that runs shows in its own device's view. */
		.busy = e->pass_requested,
	};
}

void engine_health(const struct engine *e, const struct cfg_selector *only, size_t n_only,
		   struct health *out)
{
	struct health_input in;

	engine_health_input(e, &in);
	in.only = only;
	in.n_only = n_only;
	health_compute(&in, out);
}

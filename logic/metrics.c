/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.c: the Prometheus text (see metrics.h). Names follow Prometheus'
 * conventions: a vfiobind_ prefix, base units (seconds), _total on
 * counters, _info for a series whose labels are the information and whose
 * value is 1, and a state set (one 0/1 series per state) instead of a state
 * in an info metric's labels, so that a state change never starts a new
 * series. Every label value is bounded by the hardware (BDFs, driver names)
 * or by a fixed vocabulary. */
#include <errno.h>
#include <string.h>

#include "metrics.h"
#include "strbuf.h"

int metrics_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		const char *rep = NULL;
		char one[2] = { *in, '\0' };
		size_t n;

		if (*in == '\\')
			rep = "\\\\";
		else if (*in == '"')
			rep = "\\\"";
		else if (*in == '\n')
			rep = "\\n";
		else
			rep = one;
		n = strlen(rep);
		if (o + n >= size)
			return -ENAMETOOLONG;
		memcpy(out + o, rep, n);
		o += n;
	}
	if (o >= size)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

/* Label values come from BDFs, driver names and versions: short. A longer
 * one is cut rather than break the line (it never happens with names that
 * passed the grammars). */
static const char *esc(const char *in, char *buf, size_t size)
{
	if (metrics_escape(in ? in : "", buf, size) < 0)
		buf[0] = '\0';
	return buf;
}

static void family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	strbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(struct strbuf *b, const char *name, const char *help, unsigned long v)
{
	family(b, name, "gauge", help);
	strbuf_addf(b, "%s %lu\n", name, v);
}

/* Seconds since the epoch with the milliseconds kept. */
static void timestamp(struct strbuf *b, const char *name, const char *help, long long ms)
{
	family(b, name, "gauge", help);
	strbuf_addf(b, "%s %lld.%03lld\n", name, ms / 1000, ms % 1000);
}

/* The states in the order their names sort, so the output reads sorted. */
static void states_sorted(enum proto_state out[PROTO_STATE__MAX])
{
	for (int i = 0; i < PROTO_STATE__MAX; i++) {
		int j = i;

		for (; j > 0 && strcmp(proto_state_name(out[j - 1]),
				       proto_state_name((enum proto_state)i)) > 0; j--)
			out[j] = out[j - 1];
		out[j] = (enum proto_state)i;
	}
}

static void node(struct strbuf *b, const struct metrics_input *in)
{
	static const enum health_word words[] = { HEALTH_DEGRADED, HEALTH_HEALTHY,
						  HEALTH_PROGRESSING };
	enum proto_state order[PROTO_STATE__MAX];
	char v[256];

	family(b, "vfiobind_build_info", "gauge",
	       "The vfiobindd that wrote these figures, by version; always 1.");
	strbuf_addf(b, "vfiobind_build_info{version=\"%s\"} 1\n", esc(in->version, v, sizeof(v)));
	family(b, "vfiobind_health", "gauge",
	       "The node's health (vfiobindd(8), Health): 1 for the word that holds, 0 for the others.");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		strbuf_addf(b, "vfiobind_health{health=\"%s\"} %d\n", health_word_name(words[i]),
			    in->health->word == words[i]);
	gauge(b, "vfiobind_settled",
	      "1 when no claimed device is pending and a valid config was loaded, else 0.",
	      in->health->settled);
	family(b, "vfiobind_devices", "gauge",
	       "Claimed or managed devices (and numvfs= claims) by state, as vfiobind status counts them.");
	states_sorted(order);
	for (int i = 0; i < PROTO_STATE__MAX; i++)
		strbuf_addf(b, "vfiobind_devices{state=\"%s\"} %lu\n", proto_state_name(order[i]),
			    in->health->by_state[order[i]]);
}

/* A state set for every device (or numvfs claim) of the kind asked. */
static void state_set(struct strbuf *b, const struct metrics_input *in, bool pf, const char *name)
{
	enum proto_state order[PROTO_STATE__MAX];

	states_sorted(order);
	for (size_t i = 0; i < in->n_devs; i++) {
		const struct metrics_device *d = &in->devs[i];
		char dev[64];

		if (d->pf_claim != pf)
			continue;
		esc(d->bdf, dev, sizeof(dev));
		for (int k = 0; k < PROTO_STATE__MAX; k++)
			strbuf_addf(b, "%s{device=\"%s\",state=\"%s\"} %d\n", name, dev,
				    proto_state_name(order[k]), d->state == order[k]);
	}
}

static void devices(struct strbuf *b, const struct metrics_input *in)
{
	family(b, "vfiobind_device_state", "gauge",
	       "1 for the state a claimed or managed device is in, 0 for the others.");
	state_set(b, in, false, "vfiobind_device_state");
	family(b, "vfiobind_device_info", "gauge",
	       "A claimed or managed device, its driver now and the one it should have (\"\" none); always 1.");
	for (size_t i = 0; i < in->n_devs; i++) {
		const struct metrics_device *d = &in->devs[i];
		char dev[64], drv[160], want[160];

		if (d->pf_claim)
			continue;
		strbuf_addf(b, "vfiobind_device_info{desired_driver=\"%s\",device=\"%s\",driver=\"%s\"} 1\n",
			    esc(d->desired, want, sizeof(want)), esc(d->bdf, dev, sizeof(dev)),
			    esc(d->driver, drv, sizeof(drv)));
	}
	family(b, "vfiobind_device_failures", "gauge",
	       "Consecutive failed actions on a device; 0 after a success.");
	for (size_t i = 0; i < in->n_devs; i++) {
		char dev[64];

		if (!in->devs[i].pf_claim)
			strbuf_addf(b, "vfiobind_device_failures{device=\"%s\"} %d\n",
				    esc(in->devs[i].bdf, dev, sizeof(dev)), in->devs[i].failures);
	}
	family(b, "vfiobind_numvfs_state", "gauge",
	       "1 for the state a PF's numvfs= claim is in, 0 for the others.");
	state_set(b, in, true, "vfiobind_numvfs_state");
}

static void counters(struct strbuf *b, const struct metrics_input *in)
{
	static const enum proto_action_kind kinds[] = { PROTO_ACTION_BIND, PROTO_ACTION_NUMVFS,
							PROTO_ACTION_RESTORE };

	family(b, "vfiobind_actions_total", "counter",
	       "Actions finished since vfiobindd started, by kind and result.");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *k = proto_action_name(kinds[i]);

		strbuf_addf(b, "vfiobind_actions_total{kind=\"%s\",result=\"failed\"} %lu\n", k,
			    in->actions_failed[kinds[i]]);
		strbuf_addf(b, "vfiobind_actions_total{kind=\"%s\",result=\"ok\"} %lu\n", k,
			    in->actions_ok[kinds[i]]);
	}
	family(b, "vfiobind_passes_total", "counter", "Reconcile passes since vfiobindd started.");
	strbuf_addf(b, "vfiobind_passes_total %lu\n", in->passes);
	family(b, "vfiobind_config_reloads_total", "counter",
	       "Config files read since vfiobindd started, by result (loaded or rejected).");
	strbuf_addf(b, "vfiobind_config_reloads_total{result=\"loaded\"} %lu\n", in->reloads);
	strbuf_addf(b, "vfiobind_config_reloads_total{result=\"rejected\"} %lu\n",
		    in->reload_errors);
}

static void daemon_figures(struct strbuf *b, const struct metrics_input *in)
{
	gauge(b, "vfiobind_config_valid",
	      "1 when the config in force is the file as it is; 0 when the file is rejected or missing (the last good config stays in force) or none was ever loaded.",
	      in->config_valid);
	if (in->config_loaded_ms > 0)
		timestamp(b, "vfiobind_config_reload_timestamp_seconds",
			  "When the config in force was loaded, in seconds since the epoch.",
			  in->config_loaded_ms);
	if (in->last_pass_ms > 0)
		timestamp(b, "vfiobind_last_pass_timestamp_seconds",
			  "When the last reconcile pass ran, in seconds since the epoch.",
			  in->last_pass_ms);
	gauge(b, "vfiobind_resync_period_seconds",
	      "The periodic full pass (--resync); 0 when off.", (unsigned long)in->resync_s);
	gauge(b, "vfiobind_iommu_enabled", "1 when the kernel has IOMMU groups, else 0.",
	      in->iommu_on);
	gauge(b, "vfiobind_managed_devices",
	      "Devices vfiobindd moved and will give back when no line claims them.", in->managed);
	gauge(b, "vfiobind_vfio_pci_devices",
	      "PCI functions bound to vfio-pci now, claimed or not.", in->vfio_pci);
}

int metrics_format(const struct metrics_input *in, char **out)
{
	struct strbuf b = { 0 };

	node(&b, in);
	devices(&b, in);
	counters(&b, in);
	daemon_figures(&b, in);
	*out = strbuf_take(&b);
	return *out ? 0 : -ENOMEM;
}

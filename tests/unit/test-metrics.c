/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-metrics.c: the Prometheus text (logic/metrics.c) and the Node Feature
 * Discovery feature file (logic/nfd.c), pure, from tables: every family has
 * its HELP and TYPE before its samples, label values are escaped, the same
 * figures give the same bytes; the feature file reads as nfd-master reads
 * it (tests/lib/nfdread.c). The real promtool and node_exporter read the daemon's file in
 * tests/daemon/test-health.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "nfd.h"
#include "nfdread.h"

static struct health health;
static struct metrics_device devs[3];
static struct metrics_input in;

static void setup(void)
{
	memset(&health, 0, sizeof(health));
	health.word = HEALTH_DEGRADED;
	health.by_state[PROTO_STATE_CONVERGED] = 1;
	health.by_state[PROTO_STATE_ERROR] = 1;
	health.settled = true;
	devs[0] = (struct metrics_device){ "0000:03:00.0", PROTO_STATE_CONVERGED, "vfio-pci",
					   "vfio-pci", 0, false };
	devs[1] = (struct metrics_device){ "0000:03:00.1", PROTO_STATE_ERROR, "igb", "vfio-pci", 3,
					   false };
	devs[2] = (struct metrics_device){ "0000:03:00.0", PROTO_STATE_PENDING, "igb", "", 0, true };
	in = (struct metrics_input){ .version = "1.2.3", .health = &health, .devs = devs,
				     .n_devs = 3, .passes = 7, .reloads = 2, .reload_errors = 1,
				     .config_valid = true, .config_loaded_ms = 1700000000123LL,
				     .last_pass_ms = 1700000005000LL, .resync_s = 300,
				     .iommu_on = true, .managed = 1, .vfio_pci = 4 };
	in.actions_ok[PROTO_ACTION_BIND] = 5;
	in.actions_failed[PROTO_ACTION_BIND] = 3;
}

TestSuite(metrics, .init = setup);

static char *text(void)
{
	char *t = NULL;

	cr_assert_eq(metrics_format(&in, &t), 0);
	cr_assert_not_null(t);
	return t;
}

static void has(const char *t, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	cr_expect(strstr(t, want), "no line \"%s\" in:\n%s", line, t);
}

Test(metrics, carries_the_node_health_and_the_per_state_counts)
{
	char *t = text();

	has(t, "vfiobind_health{health=\"degraded\"} 1");
	has(t, "vfiobind_health{health=\"healthy\"} 0");
	has(t, "vfiobind_health{health=\"progressing\"} 0");
	has(t, "vfiobind_settled 1");
	has(t, "vfiobind_devices{state=\"converged\"} 1");
	has(t, "vfiobind_devices{state=\"error\"} 1");
	has(t, "vfiobind_devices{state=\"stuck\"} 0");
	free(t);
}

Test(metrics, each_device_is_a_state_set_an_info_series_and_a_failure_count)
{
	char *t = text();

	has(t, "vfiobind_device_state{device=\"0000:03:00.1\",state=\"error\"} 1");
	has(t, "vfiobind_device_state{device=\"0000:03:00.1\",state=\"converged\"} 0");
	has(t, "vfiobind_device_info{desired_driver=\"vfio-pci\",device=\"0000:03:00.1\",driver=\"igb\"} 1");
	has(t, "vfiobind_device_failures{device=\"0000:03:00.1\"} 3");
	has(t, "vfiobind_numvfs_state{device=\"0000:03:00.0\",state=\"pending\"} 1");
	/* the numvfs claim is not a second device series for the same BDF */
	cr_assert_null(strstr(t, "vfiobind_device_state{device=\"0000:03:00.0\",state=\"pending\"} 1"));
	free(t);
}

Test(metrics, counters_and_times_of_the_daemon)
{
	char *t = text();

	has(t, "vfiobind_actions_total{kind=\"bind\",result=\"ok\"} 5");
	has(t, "vfiobind_actions_total{kind=\"bind\",result=\"failed\"} 3");
	has(t, "vfiobind_actions_total{kind=\"restore\",result=\"ok\"} 0");
	has(t, "vfiobind_actions_total{kind=\"numvfs\",result=\"failed\"} 0");
	has(t, "vfiobind_passes_total 7");
	has(t, "vfiobind_config_reloads_total{result=\"rejected\"} 1");
	has(t, "vfiobind_config_valid 1");
	has(t, "vfiobind_config_reload_timestamp_seconds 1700000000.123");
	has(t, "vfiobind_last_pass_timestamp_seconds 1700000005.000");
	has(t, "vfiobind_resync_period_seconds 300");
	has(t, "vfiobind_build_info{version=\"1.2.3\"} 1");
	has(t, "vfiobind_vfio_pci_devices 4");
	free(t);
}

/* The exposition format's shape: each family's HELP, then TYPE, then only
 * its own samples (a family is never split), and no sample timestamps. */
Test(metrics, every_family_has_help_and_type_before_its_samples_and_is_never_split)
{
	char *t = text(), *save = NULL, seen[64][96];
	char family[96] = "";
	size_t n_seen = 0;

	for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96], type[32];

		if (sscanf(line, "# HELP %95s", name) == 1) {
			for (size_t i = 0; i < n_seen; i++)
				cr_assert_str_neq(seen[i], name, "family %s split", name);
			cr_assert_lt(n_seen, 64);
			strcpy(seen[n_seen++], name);
			strcpy(family, name);
			continue;
		}
		if (sscanf(line, "# TYPE %95s %31s", name, type) == 2) {
			cr_assert_str_eq(name, family);
			cr_assert(!strcmp(type, "gauge") || !strcmp(type, "counter"), "%s", type);
			continue;
		}
		cr_assert_neq(line[0], '#', "%s", line);
		cr_assert_eq(strncmp(line, family, strlen(family)), 0, "%s outside %s", line, family);
		cr_assert(line[strlen(family)] == ' ' || line[strlen(family)] == '{', "%s", line);
		/* "name{labels} value": one space, then the value and nothing after */
		cr_assert_eq(strchr(strrchr(line, '}') ? strrchr(line, '}') : line, ' '),
			     strrchr(line, ' '), "a timestamp or a stray field: %s", line);
	}
	free(t);
}

Test(metrics, the_same_figures_give_the_same_bytes)
{
	char *a = text(), *b = text();

	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(metrics, times_not_known_yet_are_left_out)
{
	char *t;

	in.config_loaded_ms = 0;
	in.last_pass_ms = 0;
	in.config_valid = false;
	t = text();
	cr_assert_null(strstr(t, "vfiobind_last_pass_timestamp_seconds"));
	cr_assert_null(strstr(t, "vfiobind_config_reload_timestamp_seconds"));
	has(t, "vfiobind_config_valid 0");
	free(t);
}

Test(metrics, label_values_are_escaped)
{
	char out[64];
	char *t;

	cr_assert_eq(metrics_escape("a\"b\\c\nd", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "a\\\"b\\\\c\\nd");
	cr_assert_eq(metrics_escape("abcdef", out, 4), -ENAMETOOLONG);
	in.version = "1.0 \"beta\"";
	t = text();
	has(t, "vfiobind_build_info{version=\"1.0 \\\"beta\\\"\"} 1");
	free(t);
}

/* ---- the Node Feature Discovery feature file ---- */

static struct nfd_id_count ids[2] = { { 0x8086, 0x10d3, 3 }, { 0x8086, 0x1521, 1 } };

static struct nfd_input nfd_in(void)
{
	return (struct nfd_input){ .health = HEALTH_HEALTHY, .vfio_pci = 4, .ids = ids,
				   .n_ids = 2, .expiry_s = 1700000900 };
}

static char *nfd(const struct nfd_input *x)
{
	char *t = NULL;

	cr_assert_eq(nfd_format(x, &t), 0);
	cr_assert_not_null(t);
	return t;
}

Test(nfd, dates_are_rfc3339_in_utc)
{
	char buf[32];

	nfd_rfc3339(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	nfd_rfc3339(951782400, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2000-02-29T00:00:00Z");
	nfd_rfc3339(1700000000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2023-11-14T22:13:20Z");
	nfd_rfc3339(4102444799LL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2099-12-31T23:59:59Z");
}

Test(nfd, keys_and_values_follow_the_label_rules)
{
	cr_assert(nfd_key_valid("feature.node.kubernetes.io/vfiobind-health"));
	cr_assert_not(nfd_key_valid("vfiobind-health"), "NFD wants a namespace");
	cr_assert_not(nfd_key_valid("Feature.node/x"), "a namespace is lower case");
	cr_assert_not(nfd_key_valid("a/b/c"));
	cr_assert_not(nfd_key_valid("a/-x"));
	cr_assert(nfd_value_valid("healthy"));
	cr_assert(nfd_value_valid("12"));
	cr_assert(nfd_value_valid(""));
	cr_assert_not(nfd_value_valid("has space"));
	cr_assert_not(nfd_value_valid("-lead"));
	cr_assert_not(nfd_value_valid("0123456789012345678901234567890123456789012345678901234567890123"),
		      "64 characters");
}

Test(nfd, the_file_reads_as_nfd_master_reads_it)
{
	struct nfd_input x = nfd_in();
	char *t = nfd(&x);

	cr_assert(strstr(t, "\nfeature.node.kubernetes.io/vfiobind-health=healthy\n"), "%s", t);
	cr_assert(strstr(t, "\nfeature.node.kubernetes.io/vfiobind-vfio-pci-devices=4\n"), "%s", t);
	cr_assert(strstr(t, "\nfeature.node.kubernetes.io/vfiobind-vfio-pci-8086-10d3=3\n"), "%s", t);
	cr_assert_eq(strncmp(t, "# +expiry-time=2023-11-14T22:28:20Z\n", 36), 0, "%s", t);
	cr_assert_eq(nfdread_check(t, 1700000900, 1700000900), 4);
	free(t);
}

Test(nfd, every_health_word_is_a_valid_label_value)
{
	for (int w = 0; w < HEALTH__MAX; w++)
		cr_assert(nfd_value_valid(health_word_name((enum health_word)w)));
}

Test(nfd, many_device_ids_stay_under_the_64_kib_limit)
{
	enum { N = 5000 };
	struct nfd_id_count *many = calloc(N, sizeof(*many));
	struct nfd_input x = nfd_in();
	char *t;

	cr_assert_not_null(many);
	for (int i = 0; i < N; i++)
		many[i] = (struct nfd_id_count){ 0x8086, (uint16_t)i, 1 };
	x.ids = many;
	x.n_ids = N;
	t = nfd(&x);
	cr_assert(strstr(t, "vfiobind-health=healthy"), "the health line comes first");
	cr_assert_gt(nfdread_check(t, 1700000900, 1700000900), 100);
	free(t);
	free(many);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* enginefix.c: the engine tests' fixture (see enginefix.h). */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enginefix.h"
#include "logcap.h"

void enginefix_setup(struct enginefix *f, const char *name)
{
	logcap_quiet();
	evthread_use_pthreads();
	f->fs = fakesys_new();
	cr_assert_not_null(f->fs);
	fakesys_add_driver(f->fs, "e1000e");
	fakesys_add_module(f->fs, "vfio-pci", NULL);
	f->kops = fakesys_kernel_ops(f->fs);
	f->mops = fakesys_modules_ops(f->fs);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vb-%s-XXXXXX", name);
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/vfiobind.conf", f->dir);
	f->base = event_base_new();
	cr_assert_not_null(f->base);
	stepper_init(&f->step, f->base);
}

void enginefix_teardown(struct enginefix *f)
{
	char cmd[128];

	engine_free(f->step.eng);
	f->step.eng = NULL;
	event_base_free(f->base);
	fakesys_free(f->fs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	cr_assert_eq(system(cmd), 0);
	logcap_stop();
}

void enginefix_add_nic(struct enginefix *f, const char *bdf, int group)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, bdf, "e1000e", group);
	cr_assert_eq(fakesys_add_device(f->fs, &d), 0);
}

void enginefix_write_conf(struct enginefix *f, const char *text)
{
	char tmp[160];
	FILE *out;

	snprintf(tmp, sizeof(tmp), "%s.tmp", f->conf);
	out = fopen(tmp, "w");
	cr_assert_not_null(out);
	fputs(text, out);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(rename(tmp, f->conf), 0);
}

struct engine_opts enginefix_opts(struct enginefix *f)
{
	return (struct engine_opts){
		.config_path = f->conf, .sysfs_root = fakesys_root(f->fs), .node_name = "worker-0",
		.run_dir = f->dir, .resync_s = 0, .stuck_ms = 10000, .coalesce_ms = 10,
		.workers = 2, .sysfs = &f->kops, .modules = &f->mops, .clock = &f->step.clock,
	};
}

struct engine *enginefix_engine(struct enginefix *f, const struct engine_opts *o)
{
	f->step.eng = engine_new(f->base, o);
	cr_assert_not_null(f->step.eng);
	return f->step.eng;
}

static int hanging_write(void *ud, const char *path, const char *buf, size_t len)
{
	struct enginefix *f = ud;
	size_t bl = strlen(f->hang_bdf);

	if (strstr(path, f->hang_bdf) || (len >= bl && strncmp(buf, f->hang_bdf, bl) == 0)) {
		struct pollfd p = { f->hang_pipe[0], POLLIN, 0 };

		poll(&p, 1, 20000);
	}
	return f->kops.write(f->kops.ud, path, buf, len);
}

struct sysfs_ops enginefix_hang_ops(struct enginefix *f, const char *bdf)
{
	cr_assert_eq(pipe(f->hang_pipe), 0);
	snprintf(f->hang_bdf, sizeof(f->hang_bdf), "%s", bdf);
	f->step.hung = 1;
	return (struct sysfs_ops){ hanging_write, f };
}

void enginefix_release_hang(struct enginefix *f)
{
	cr_assert_eq(write(f->hang_pipe[1], "x", 1), 1);
	f->step.hung = 0;
	stepper_settle(&f->step);
	close(f->hang_pipe[0]);
	close(f->hang_pipe[1]);
}

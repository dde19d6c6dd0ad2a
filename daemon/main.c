/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c: vfiobindd's options and wiring. Nothing here decides anything:
 * the engine plans and acts, the watchers and the server only trigger it. */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backend.h"
#include "conffile.h"
#include "engine.h"
#include "export.h"
#include "log.h"
#include "notify.h"
#include "rundir.h"
#include "server.h"
#include "udev.h"
#include "util.h"
#include "watch.h"

#define DEFAULT_CONFIG SYSCONFDIR "/vfiobind/vfiobind.conf"
#define DEFAULT_RUN_DIR RUNDIR_KERNEL
#define DEFAULT_SOCKET DEFAULT_RUN_DIR "/vfiobind.sock"

struct options {
	const char *config, *sysfs_root, *node_name, *run_dir, *socket;
	const char *proc_root;		/* NULL: /proc for the real /sys, else none */
	const char *dev_root;		/* NULL: /dev for the real /sys, else none */
	const char *udev_source, *socket_group, *admin_group;
	const char *metrics_file, *nfd_features;	/* NULL: not written */
	unsigned socket_mode;
	int resync_s, stuck_s, release_grace_s, client_timeout_s, log_level;
	bool once, dry_run, check_config;
};

enum {
	OPT_SYSFS_ROOT = 256, OPT_NODE_NAME, OPT_ONCE, OPT_DRY_RUN, OPT_CHECK_CONFIG,
	OPT_SOCKET, OPT_RUN_DIR, OPT_RESYNC, OPT_LOG_LEVEL, OPT_UDEV_SOURCE, OPT_SOCKET_MODE,
	OPT_SOCKET_GROUP, OPT_ADMIN_GROUP, OPT_STUCK, OPT_PROC_ROOT, OPT_RELEASE_GRACE,
	OPT_CLIENT_TIMEOUT, OPT_DEV_ROOT, OPT_METRICS_FILE, OPT_NFD_FEATURES,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "dev-root", required_argument, NULL, OPT_DEV_ROOT },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "resync", required_argument, NULL, OPT_RESYNC },
	{ "stuck-timeout", required_argument, NULL, OPT_STUCK },
	{ "release-grace", required_argument, NULL, OPT_RELEASE_GRACE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "udev-source", required_argument, NULL, OPT_UDEV_SOURCE },
	{ "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
	{ "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
	{ "admin-group", required_argument, NULL, OPT_ADMIN_GROUP },
	{ "client-timeout", required_argument, NULL, OPT_CLIENT_TIMEOUT },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "nfd-features", required_argument, NULL, OPT_NFD_FEATURES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{}
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vfiobindd [OPTION]...\n"
		"Keep PCI functions on the driver their config says (normally vfio-pci).\n"
		"\n"
		"Modes:\n"
		"      --once               one reconcile pass, then exit (0: all converged)\n"
		"      --dry-run            plan and print/log every action, write nothing\n"
		"      --check-config       validate the config, print file:line errors, exit 1 on any\n"
		"                           (and on a missing file)\n"
		"      (default)            run as a daemon: inotify, udev, control socket\n"
		"\n"
		"Options:\n"
		"  -c, --config PATH        config file (default %s)\n"
		"      --sysfs-root DIR     sysfs root (default /sys)\n"
		"      --proc-root DIR      proc root for in-use checks and holders (default\n"
		"                           /proc with the real /sys; none with another sysfs root)\n"
		"      --dev-root DIR       block device nodes probed for signatures (default\n"
		"                           /dev with the real /sys; none with another)\n"
		"      --node-name NAME     this node's name (default $NODE_NAME, else host name)\n"
		"      --socket PATH        control socket (default %s;\n"
		"                           with another sysfs root: RUN_DIR/vfiobind.sock)\n"
		"      --socket-mode MODE   socket permissions, octal (default 0600)\n"
		"      --socket-group GROUP group owning the socket\n"
		"      --admin-group GROUP  members may change state through the socket (root always may)\n"
		"      --client-timeout SECONDS  a socket client must begin its first request,\n"
		"                           and finish each request line, within this (default 10)\n"
		"      --run-dir DIR        lock and state directory (default %s; with another\n"
		"                           sysfs root: ROOT/%s, inside that tree). It must be\n"
		"                           owned by root and writable by root alone\n"
		"      --resync SECONDS     periodic full pass, 0 = off (default 300)\n"
		"      --stuck-timeout SECONDS  an action running longer is reported stuck (default 10)\n"
		"      --release-grace SECONDS  after the config file changed, wait this long and read\n"
		"                           it again before giving devices back (default 2; 0 = off)\n"
		"      --udev-source SOURCE udev, kernel, or none (default udev)\n"
		"      --metrics-file PATH  write Prometheus figures to PATH (a *.prom file for\n"
		"                           node_exporter's textfile collector) after each pass\n"
		"      --nfd-features PATH  write the node's health as a Node Feature Discovery\n"
		"                           feature file (in NFD's features.d directory)\n"
		"      --log-level LEVEL    error, warning, info or debug (default info)\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n",
		DEFAULT_CONFIG, DEFAULT_SOCKET, DEFAULT_RUN_DIR, RUNDIR_TREE);
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int bad_option(const char *opt, const char *val)
{
	fprintf(stderr, "vfiobindd: invalid value for --%s: '%s'\n", opt, val);
	return 2;
}

static int export_path(const char *opt, const char *val, bool prom, const char **out)
{
	const char *why = export_path_invalid(val, prom);

	if (why) {
		fprintf(stderr, "vfiobindd: invalid value for --%s: '%s' (%s)\n", opt, val, why);
		return 2;
	}
	*out = val;
	return 0;
}

/* 0 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case OPT_SYSFS_ROOT: o->sysfs_root = optarg; break;
		case OPT_PROC_ROOT: o->proc_root = optarg; break;
		case OPT_DEV_ROOT: o->dev_root = optarg; break;
		case OPT_NODE_NAME: o->node_name = optarg; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		case OPT_CHECK_CONFIG: o->check_config = true; break;
		case OPT_SOCKET: o->socket = optarg; break;
		case OPT_RUN_DIR: o->run_dir = optarg; break;
		case OPT_SOCKET_GROUP: o->socket_group = optarg; break;
		case OPT_ADMIN_GROUP: o->admin_group = optarg; break;
		case OPT_METRICS_FILE:
			if (export_path("metrics-file", optarg, true, &o->metrics_file))
				return 2;
			break;
		case OPT_NFD_FEATURES:
			if (export_path("nfd-features", optarg, false, &o->nfd_features))
				return 2;
			break;
		case OPT_RESYNC:
			if (parse_int(optarg, 0, 86400 * 7, &o->resync_s) < 0)
				return bad_option("resync", optarg);
			break;
		case OPT_STUCK:
			if (parse_int(optarg, 1, 86400, &o->stuck_s) < 0)
				return bad_option("stuck-timeout", optarg);
			break;
		case OPT_RELEASE_GRACE:
			if (parse_int(optarg, 0, 3600, &o->release_grace_s) < 0)
				return bad_option("release-grace", optarg);
			break;
		case OPT_CLIENT_TIMEOUT:
			if (parse_int(optarg, 1, 86400, &o->client_timeout_s) < 0)
				return bad_option("client-timeout", optarg);
			break;
		case OPT_LOG_LEVEL:
			if ((o->log_level = log_parse_level(optarg)) < 0)
				return bad_option("log-level", optarg);
			break;
		case OPT_UDEV_SOURCE:
			if (strcmp(optarg, "udev") && strcmp(optarg, "kernel") && strcmp(optarg, "none"))
				return bad_option("udev-source", optarg);
			o->udev_source = optarg;
			break;
		case OPT_SOCKET_MODE: {
			char *end;
			long m = strtol(optarg, &end, 8);

			if (*end || end == optarg || m < 0 || m > 0777)
				return bad_option("socket-mode", optarg);
			o->socket_mode = (unsigned)m;
			break;
		}
		case 'h': usage(stdout); return -1;
		case 'V': printf("vfiobindd %s\n", PACKAGE_VERSION); return -1;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vfiobindd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

static void resolve_node_name(struct options *o, char *buf, size_t size)
{
	struct utsname u;
	const char *env = getenv("NODE_NAME");

	if (o->node_name)
		return;
	if (env && *env) {
		o->node_name = env;
		return;
	}
	if (uname(&u) == 0) {
		util_strlcpy(buf, u.nodename, size);
		o->node_name = buf;
	} else {
		o->node_name = "localhost";
	}
}

static int check_config(const struct options *o)
{
	struct cfg_errors errs = { 0 };
	struct config *c = NULL;
	char line[512];
	int r;

	r = conffile_load(o->config, &c, &errs, NULL);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++)
			if (cfg_errors_format(&errs, i, line, sizeof(line)) >= 0)
				printf("%s\n", line);
		cfg_errors_clear(&errs);
		return 1;
	}
	cfg_errors_clear(&errs); /* the parser names its source even on success */
	if (c->missing) {
		/* Not a valid desired state: a daemon started on it would hold
		 * every device as it is (an empty file releases everything). */
		printf("%s: no such file (the daemon would change nothing until it exists; "
		       "an empty file releases every device)\n", o->config);
		config_free(c);
		return 1;
	}
	else
		printf("%s: ok, %zu entr%s\n", o->config, c->n_entries,
		       c->n_entries == 1 ? "y" : "ies");
	config_free(c);
	return 0;
}

/* The run directory and socket when not given. With another sysfs root than
 * the kernel's, the host's /run/vfiobind is not ours to use: a run on a fake
 * tree must never write fake devices into the state a real daemon acts on. */
static int default_paths(struct options *o, char *run_dir, char *sock, size_t size)
{
	int r;

	if (!o->run_dir) {
		r = rundir_default(o->sysfs_root, run_dir, size);
		if (r < 0)
			return log_errno(LOG_LVL_ERROR, r, "sysfs root %s", o->sysfs_root);
		o->run_dir = run_dir;
	}
	if (o->socket)
		return 0;
	if (rundir_is_kernel_sysfs(o->sysfs_root)) {
		o->socket = DEFAULT_SOCKET;
		return 0;
	}
	if (util_fmt(sock, size, "%s/vfiobind.sock", o->run_dir) < 0)
		return log_errno(LOG_LVL_ERROR, ENAMETOOLONG, "%s/vfiobind.sock", o->run_dir);
	o->socket = sock;
	return 0;
}

struct daemon_ctx {
	struct event_base *base;
	struct engine *engine;
	const struct options *o;
};

static void on_ready(void *ud)
{
	log_info("first pass done: ready");
	if (notify_service_manager("READY=1\nSTATUS=devices reconciled") < 0)
		log_warning("could not tell the service manager (NOTIFY_SOCKET) we are ready");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon_ctx *d = arg;

	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading %s", d->o->config);
		engine_reload(d->engine, "SIGHUP");
		engine_request_pass(d->engine, true, "SIGHUP");
		return;
	}
	log_info("%s: shutting down", strsignal((int)sig));
	(void)notify_service_manager("STOPPING=1");
	event_base_loopbreak(d->base);
}

static void on_config_changed(void *ud)
{
	struct daemon_ctx *d = ud;

	engine_reload(d->engine, "file changed");
}

static void on_udev(const char *action, const char *bdf, void *ud)
{
	engine_device_event(((struct daemon_ctx *)ud)->engine, action, bdf);
}

static void on_udev_overflow(void *ud)
{
	log_warning("udev: events were lost (receive buffer overflow): rescanning every device");
	engine_request_pass(((struct daemon_ctx *)ud)->engine, true, "udev overflow");
}

static int run_daemon(const struct options *o, struct engine *e, struct event_base *base,
		      bool *abandoned)
{
	struct daemon_ctx d = { base, e, o };
	struct server_opts so = {
		.path = o->socket,
		.mode = o->socket_mode,
		.group = o->socket_group,
		.admin_group = o->admin_group,
		.max_clients = 64,
		.idle_timeout_ms = o->client_timeout_s * 1000,
		.first_request_ms = o->client_timeout_s * 1000,
	};
	struct export_opts xo = { o->metrics_file, o->nfd_features, o->resync_s };
	struct export *x = NULL;
	struct event *sigs[4] = { 0 };
	const int signos[4] = { SIGTERM, SIGINT, SIGHUP, 0 };
	struct watch *w = NULL;
	struct udevmon *u = NULL;
	struct server *srv = NULL;
	int r = 1;

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; signos[i]; i++) {
		sigs[i] = evsignal_new(base, signos[i], on_signal, &d);
		if (!sigs[i] || event_add(sigs[i], NULL) < 0)
			goto out;
	}
	srv = server_new(base, e, &so);
	if (!srv)
		goto out;
	w = watch_new(base, o->config, 30, on_config_changed, &d);
	if (strcmp(o->udev_source, "none") != 0) {
		u = udevmon_new(base, o->udev_source, on_udev, on_udev_overflow, &d);
		if (!u)
			log_warning("no udev events: hotplug and hand rebinds are seen only on resync");
		engine_set_events_live(e, u != NULL);
	}
	engine_set_ready_cb(e, on_ready, &d);
	x = export_new(e, &xo);
	if ((o->metrics_file || o->nfd_features) && !x)
		goto out;
	if (engine_start(e) < 0)
		goto out;
	log_info("vfiobindd %s running: node %s, config %s, sysfs %s%s", PACKAGE_VERSION,
		 o->node_name, o->config, o->sysfs_root, o->dry_run ? ", dry run" : "");
	event_base_dispatch(base);
	r = 0;
out:
	/* In-flight actions get a moment to finish their sysfs sequence. */
	*abandoned = engine_shutdown(e, 5000);
	export_free(x);
	server_free(srv);
	udevmon_free(u);
	watch_free(w);
	for (int i = 0; sigs[i]; i++)
		event_free(sigs[i]);
	return r;
}

int main(int argc, char **argv)
{
	struct options o = {
		.config = DEFAULT_CONFIG,
		.sysfs_root = "/sys",
		.udev_source = "udev",
		.socket_mode = 0600,
		.resync_s = 300,
		.stuck_s = 10,
		.release_grace_s = ENGINE_RELEASE_GRACE_MS / 1000,
		.client_timeout_s = 10,
		.log_level = LOG_LVL_INFO,
	};
	struct sysfs_ops sysfs;
	struct modules_ops modules;
	struct engine_opts eo;
	struct event_base *base = NULL;
	struct engine *e = NULL;
	struct rundir rd;
	char host[256], run_dir[PATH_MAX], sock[PATH_MAX];
	bool abandoned = false;
	int r;

	r = parse_options(argc, argv, &o);
	if (r)
		return r < 0 ? 0 : r;
	log_set_level((enum log_level)o.log_level);
	if (o.check_config)
		return check_config(&o);
	resolve_node_name(&o, host, sizeof(host));
	/* A --once --dry-run keeps no state and takes no lock: it may run
	 * beside the daemon. Everything else locks before state.json is read. */
	if (!(o.once && o.dry_run) && default_paths(&o, run_dir, sock, sizeof(run_dir)) < 0)
		return 1;
	if (rundir_setup(&rd, o.sysfs_root, o.once && o.dry_run ? NULL : o.run_dir,
			 o.once ? RUNDIR_ONCE : RUNDIR_DAEMON, !o.dry_run) < 0)
		return 1;
	if (backend_setup(o.sysfs_root, o.dry_run, &sysfs, &modules) < 0) {
		log_error("cannot set up module loading");
		return 1;
	}
	eo = (struct engine_opts){
		.config_path = o.config,
		.sysfs_root = o.sysfs_root,
		.proc_root = o.proc_root,
		.dev_root = o.dev_root,
		.node_name = o.node_name,
		.run_dir = rd.dfd >= 0 ? rd.path : NULL,
		.dry_run = o.dry_run,
		.resync_s = o.resync_s,
		.stuck_ms = o.stuck_s * 1000,
		.release_grace_ms = o.release_grace_s * 1000,
		.coalesce_ms = 50,
		.workers = 4,
		.sysfs = &sysfs,
		.modules = &modules,
	};
	if (evthread_use_pthreads() < 0 || !(base = event_base_new())) {
		log_error("cannot create the event loop");
		return 1;
	}
	e = engine_new(base, &eo);
	if (!e) {
		log_error("out of memory");
		return 1;
	}
	if (o.once) {
		r = engine_run_once(e);
		r = r < 0 ? 1 : r;
		/* An action stuck in the kernel (a hung remove()) is left to its
		 * thread: --once ends all the same, and says so. */
		abandoned = engine_shutdown(e, 5000);
	} else {
		r = run_daemon(&o, e, base, &abandoned);
	}
	if (abandoned) {
		/* A thread is still in the kernel with the engine's context: exit
		 * without freeing what it may still read. */
		log_warning("exiting with an action still in the kernel");
		fflush(stderr);
		_exit(r);
	}
	engine_free(e);
	backend_teardown(&modules);
	event_base_free(base);
	rundir_release(&rd);
	return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfiobind.c: main() of the client. Global options, the command table,
 * per-command option parsing, help, and the terminal facts (TTY, width,
 * locale, NO_COLOR) measured once here for the pure formatters. Everything
 * a command does is in its cmd-*.c file. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client.h"
#include "util.h"

/* In the order `vfiobind --help` lists them. */
static const struct cmd_entry *const cmd_table[] = {
	&cmd_status_entry,
	&cmd_wait_entry,
	&cmd_devices_entry,
	&cmd_config_entry,
	&cmd_add_entry,
	&cmd_remove_entry,
	&cmd_reload_entry,
	&cmd_reconcile_entry,
	&cmd_plan_entry,
	&cmd_watch_entry,
	&cmd_metrics_entry,
	&cmd_version_entry,
	&cmd_ping_entry,
	&cmd_check_entry,
};

enum {
	OPT_NO_COLOR = 0x100,
};

static const char exit_codes_help[] =
	"Exit status:\n"
	"  0  success; for status, every listed device is converged\n"
	"  1  an error reply, or something is not converged; also a vfiobindd that\n"
	"     speaks another protocol version (restart it, or use its vfiobind)\n"
	"  2  usage error (unknown command or option, bad argument, unreadable FILE)\n"
	"  3  vfiobindd cannot be reached, or stopped answering\n"
	"  4  wait: not settled when --timeout ran out; status --quiet: progressing\n";

static const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}

static const char *cmd_summary(const struct cmd_entry *e)
{
	return e->summary ? e->summary : proto_cmds[e->cmd].summary;
}

static void main_help(FILE *f)
{
	fprintf(f,
		"Usage: vfiobind [OPTIONS] COMMAND [ARGS...]\n"
		"\n"
		"Ask vfiobindd, which keeps PCI functions on their configured driver\n"
		"(normally vfio-pci), what it is doing, and change what it should do.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++)
		fprintf(f, "  %-10s %s\n", cmd_table[i]->name, cmd_summary(cmd_table[i]));
	fprintf(f, "  %-10s %s\n", "help", "help on a command");
	fprintf(f,
		"\n"
		"Options:\n"
		"  -s, --socket PATH    the daemon's socket (default $VFIOBIND_SOCKET, else\n"
		"                       " PROTO_DEFAULT_SOCKET ")\n"
		"  -t, --timeout SECS   wait at most SECS for a reply (default %d; 0: forever)\n"
		"  -j, --json           print the daemon's result as one JSON line\n"
		"      --no-color       no colours (also: NO_COLOR set, or output not a terminal)\n"
		"  -h, --help           this help; 'vfiobind help COMMAND' for a command's\n"
		"  -V, --version        the client's version ('vfiobind version' asks the daemon too)\n"
		"\n%s",
		CLIENT_DEFAULT_TIMEOUT_MS / 1000, exit_codes_help);
}

static void cmd_help(FILE *f, const struct cmd_entry *e)
{
	fprintf(f, "Usage: vfiobind %s%s%s\n\n%s.\n", e->name, e->usage[0] ? " " : "", e->usage,
		cmd_summary(e));
	if (e->help)
		fprintf(f, "\n%s", e->help);
	if (e->opts & CMD_OPT_LOCAL)
		return; /* its help lists its own options */
	fprintf(f, "\nOptions:\n");
	if (e->opts & CMD_OPT_NODE)
		fprintf(f, "  -n, --node NODE   the config line's node word (default %s)\n",
			CLIENT_DEFAULT_NODE);
	if (e->opts & CMD_OPT_RUNTIME)
		fprintf(f, "  -r, --runtime     change the daemon's memory only, not the file\n");
	if (e->opts & CMD_OPT_QUIET)
		fprintf(f, "  -q, --quiet       one line, the health, and the exit code by it\n");
	fprintf(f,
		"  -j, --json        print the daemon's result as one JSON line\n"
		"      --no-color    no colours\n"
		"  -h, --help        this help\n"
		"  (and the global options of 'vfiobind --help': --socket, --timeout)\n"
		"\n%s",
		exit_codes_help);
}

int client_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	fputs("vfiobind: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (e)
		fprintf(stderr, "Usage: vfiobind %s%s%s\nTry 'vfiobind help %s'.\n", e->name,
			e->usage[0] ? " " : "", e->usage, e->name);
	else
		fputs("Usage: vfiobind [OPTIONS] COMMAND [ARGS...]\nTry 'vfiobind --help'.\n",
		      stderr);
	return CLIENT_EXIT_USAGE;
}

/* `vfiobind help [COMMAND]` */
static int help_main(int argc, char **argv)
{
	const struct cmd_entry *e;

	if (argc < 2) {
		main_help(stdout);
		return CLIENT_EXIT_OK;
	}
	if (argc > 2)
		return client_usage_error(NULL, "help takes one command name");
	if (strcmp(argv[1], "help") == 0) {
		printf("Usage: vfiobind help [COMMAND]\n\nHelp on COMMAND, or the list of commands.\n");
		return CLIENT_EXIT_OK;
	}
	e = cmd_find(argv[1]);
	if (!e)
		return client_usage_error(NULL, "unknown command '%s'", argv[1]);
	cmd_help(stdout, e);
	return CLIENT_EXIT_OK;
}

static int parse_timeout(const char *s, int *ms)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(s, &end);
	if (errno || end == s || *end || sec < 0 || sec > 86400)
		return -EINVAL;
	*ms = (int)(sec * 1000);
	if (sec > 0 && *ms == 0)
		*ms = 1;
	return 0;
}

/* Parse options into c: the global ones before the command (e NULL; stops
 * at the command word), or a command's, where the global ones are accepted
 * too so `vfiobind status --json` works. Positional arguments end up at
 * argv[optind..argc). -1 to go on, else the exit code. */
static int parse_options(struct client *c, const struct cmd_entry *e, int argc, char **argv,
			 bool *no_color)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "node", required_argument, NULL, 'n' },
		{ "runtime", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned allowed = e ? e->opts : 0;
	int o;

	optind = 0; /* GNU: restart, so each scan is set up afresh */
	opterr = 0;
	/* '+' for the global scan: stop at the command; its options are its own. */
	while ((o = getopt_long(argc, argv, e ? "s:t:jhVn:rq" : "+s:t:jhV", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			c->socket = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &c->timeout_ms) < 0)
				return client_usage_error(e, "--timeout: not a number of seconds: %s",
							  optarg);
			break;
		case 'j':
			c->json = true;
			break;
		case OPT_NO_COLOR:
			*no_color = true;
			break;
		case 'h':
			if (e)
				cmd_help(stdout, e);
			else
				main_help(stdout);
			return CLIENT_EXIT_OK;
		case 'V':
			printf("vfiobind %s (protocol %d)\n", PACKAGE_VERSION, PROTO_VERSION);
			return CLIENT_EXIT_OK;
		case 'n':
			if (!(allowed & CMD_OPT_NODE))
				return client_usage_error(e, "%s takes no --node", e ? e->name : "vfiobind");
			c->node = optarg;
			break;
		case 'r':
			if (!(allowed & CMD_OPT_RUNTIME))
				return client_usage_error(e, "%s takes no --runtime",
							  e ? e->name : "vfiobind");
			c->runtime = true;
			break;
		case 'q':
			if (!(allowed & CMD_OPT_QUIET))
				return client_usage_error(e, "%s takes no --quiet",
							  e ? e->name : "vfiobind");
			c->quiet = true;
			break;
		default:
			return client_usage_error(e, "unknown option or missing value: %s",
						  argv[optind - 1]);
		}
	}
	if (!e)
		return -1;
	if (argc - optind < e->args_min)
		return client_usage_error(e, "%s: missing argument", e->name);
	if (e->args_max >= 0 && argc - optind > e->args_max)
		return client_usage_error(e, "%s: too many arguments", e->name);
	return -1;
}

/* Columns of the terminal on stdout; 0 (no limit) when it is not one. */
static int terminal_width(bool tty)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (!tty)
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols && atoi(cols) > 0)
		return atoi(cols);
	return 80;
}

static void style_init(struct out_style *st, bool no_color)
{
	bool tty = isatty(STDOUT_FILENO);

	setlocale(LC_CTYPE, "");
	st->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	st->width = terminal_width(tty);
	st->color = out_color_wanted(tty, getenv("NO_COLOR"), getenv("TERM"), no_color);
}

int main(int argc, char **argv)
{
	struct client c = {
		.socket = getenv("VFIOBIND_SOCKET"),
		.timeout_ms = CLIENT_DEFAULT_TIMEOUT_MS,
	};
	const struct cmd_entry *e;
	bool no_color = false;
	int r;

	r = parse_options(&c, NULL, argc, argv, &no_color);
	if (r >= 0)
		return r;
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return client_usage_error(NULL, "no command given");
	if (strcmp(argv[0], "help") == 0)
		return help_main(argc, argv);
	e = cmd_find(argv[0]);
	if (!e)
		return client_usage_error(NULL, "unknown command '%s'", argv[0]);
	if (e->opts & CMD_OPT_LOCAL)
		return e->exec(&c, argc, argv);
	r = parse_options(&c, e, argc, argv, &no_color);
	if (r >= 0)
		return r;
	if (!c.socket || !c.socket[0])
		c.socket = PROTO_DEFAULT_SOCKET;
	style_init(&c.style, no_color);
	r = e->exec(&c, argc - optind, argv + optind);
	conn_free(c.conn);
	if (fflush(stdout) != 0 && r == CLIENT_EXIT_OK)
		r = CLIENT_EXIT_FAIL;
	return r;
}

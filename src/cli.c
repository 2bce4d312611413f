/*
 * cli.c: the HAProxy-compatible command socket. Orchestrator agents (Neutron
 * LBaaS, Contrail, Octavia) send one command line per connection and parse
 * the reply. This file owns the socket (on top of oneshot.c), the line
 * reader, the ';'-separated commands and the one table of commands that
 * dispatch walks; the handlers live with what they show or change (stats.c,
 * member_admin.c) and the listener handover in handover.c. Every command
 * has HAProxy's access level, checked against its socket's (SPEC 13).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "lbproxy/cli.h"
#include "lbproxy/handover.h"
#include "lbproxy/log.h"
#include "lbproxy/member_admin.h"
#include "lbproxy/oneshot.h"
#include "lbproxy/proc.h"
#include "lbproxy/stats.h"

#define CLI_MAX_LINE		4096	/* longest command line accepted */
#define CLI_READ_TIMEOUT_S	5	/* to send the command line */
#define CLI_WRITE_TIMEOUT_S	10	/* for the reply to drain */
#define CLI_BACKLOG		64
#define CLI_MAX_ARGS		16
#define CLI_MAX_WORDS		3	/* words of the longest command ("show servers state") */
#define CLI_MAX_FDS		64	/* listeners handed over by _getsocks */

/* One socket; the first one made by lb_cli_new heads the list of the others. */
struct lb_cli {
	struct lb_oneshot	*srv;		/* the socket and its connections */
	char			*path;
	enum lb_cli_level	 level;
	dev_t			 dev;		/* identity of the socket file we created */
	ino_t			 ino;
	struct lb_cli		*next;		/* lb_cli_add's, owned */
};

/*
 * One command. Its handler gets the words after the command's own; a socket
 * below level gets HAProxy's "Permission denied" instead (HAProxy 2.6's
 * management guide: "show" commands are for everyone, "clear counters" needs
 * operator, changing servers and weights needs admin).
 */
struct cli_cmd {
	const char		*words[CLI_MAX_WORDS + 1];	/* NULL-terminated */
	int			 max_args;	/* words allowed after them; -1: any */
	enum lb_cli_level	 level;
	void			(*fn)(char **args, int nargs, struct evbuffer *out);
	const char		*usage;		/* for help; NULL: not listed */
	const char		*help;
};

const char *const lb_cli_level_names[] = {
	[LB_CLI_USER] = "user",
	[LB_CLI_OPERATOR] = "operator",
	[LB_CLI_ADMIN] = "admin",
};

static void cli_quit(char **, int, struct evbuffer *);
static void cli_getsocks(char **, int, struct evbuffer *);
static void cli_clear_all(char **, int, struct evbuffer *);

static const struct cli_cmd cli_cmds[] = {
	/* no handler: run_one lists the commands of the socket's level */
	{ { "help" }, 0, LB_CLI_USER, NULL,
	    "help", "this message" },
	{ { "show", "info" }, 0, LB_CLI_USER, lb_stats_show_info,
	    "show info", "report information about the running process" },
	{ { "show", "stat" }, -1, LB_CLI_USER, lb_stats_show_stat,
	    "show stat [iid type sid] [json] [up|no-maint]", "report counters for each proxy and server" },
	{ { "show", "servers", "state" }, -1, LB_CLI_USER, lb_stats_show_servers_state,
	    "show servers state [<pool>]", "dump volatile server information (HAProxy's state file)" },
	{ { "show", "health" }, 0, LB_CLI_USER, lb_stats_show_health,
	    "show health", "report the health-check state of each member" },
	{ { "clear", "counters" }, 0, LB_CLI_OPERATOR, lb_member_admin_clear_max,
	    "clear counters", "clear the max values of the counters (smax)" },
	{ { "clear", "counters", "all" }, 0, LB_CLI_ADMIN, cli_clear_all,
	    "clear counters all", "refused: the cumulative counters are monotonic" },
	{ { "disable", "server" }, -1, LB_CLI_ADMIN, lb_member_admin_disable,
	    "disable server <pool>/<member>", "put a member in maintenance (MAINT)" },
	{ { "enable", "server" }, -1, LB_CLI_ADMIN, lb_member_admin_enable,
	    "enable server <pool>/<member>", "end a member's maintenance or drain" },
	{ { "set", "server" }, -1, LB_CLI_ADMIN, lb_member_admin_set_server,
	    "set server <pool>/<member> state <s>", "ready, drain (no new balanced traffic) or maint" },
	{ { "get", "weight" }, -1, LB_CLI_USER, lb_member_admin_get_weight,
	    "get weight <pool>/<member>", "report a member's current and configured weight" },
	{ { "set", "weight" }, -1, LB_CLI_ADMIN, lb_member_admin_set_weight,
	    "set weight <pool>/<member> <w>[%]", "change a member's weight (0..256, or % of the configured one)" },
	{ { "quit" }, 0, LB_CLI_USER, cli_quit,
	    "quit", "disconnect" },
	{ { "_getsocks" }, -1, LB_CLI_ADMIN, cli_getsocks, NULL, NULL },
};

int
lb_cli_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(lb_cli_level_names); i++)
		if (strcmp(s, lb_cli_level_names[i]) == 0)
			return (int)i;
	return -1;
}

/* The commands level may run, one "  usage : help" line each. */
static void
help_lines(enum lb_cli_level level, struct evbuffer *out)
{
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(cli_cmds); i++)
		if (cli_cmds[i].usage != NULL && cli_cmds[i].level <= level)
			evbuffer_add_printf(out, "  %-37s : %s\n", cli_cmds[i].usage, cli_cmds[i].help);
}

/* The connection closes after every command line anyway. */
static void
cli_quit(char **args LB_UNUSED, int nargs LB_UNUSED, struct evbuffer *out LB_UNUSED)
{
}

/* HAProxy's "clear counters all" would break SPEC 6: totals never go backwards. */
static void
cli_clear_all(char **args LB_UNUSED, int nargs LB_UNUSED, struct evbuffer *out)
{
	evbuffer_add_printf(out, "lbproxy's cumulative counters are monotonic and never "
	    "cleared; 'clear counters' clears the max values.\n");
}

/* The socket answers "_getsocks" itself (client_reply); among other commands it is an error. */
static void
cli_getsocks(char **args LB_UNUSED, int nargs LB_UNUSED, struct evbuffer *out)
{
	evbuffer_add_printf(out, "_getsocks must be alone on its connection.\n");
}

/* Split line into words on blanks; returns the count (at most max). */
static int
split_words(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	while (argc < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	return argc;
}

/* How many leading words of argv cmd's words match (0 if they do not all match). */
static int
matches(const struct cli_cmd *cmd, char **argv, int argc)
{
	int i;

	for (i = 0; cmd->words[i] != NULL; i++)
		if (i >= argc || strcmp(argv[i], cmd->words[i]) != 0)
			return 0;
	return i;
}

/* The command argv starts with (the longest match), or NULL; *nwords its words. */
static const struct cli_cmd *
lookup(char **argv, int argc, int *nwords)
{
	const struct cli_cmd *best = NULL;
	size_t i;
	int n;

	*nwords = 0;
	for (i = 0; i < LB_ARRAY_SIZE(cli_cmds); i++) {
		n = matches(&cli_cmds[i], argv, argc);
		if (n > *nwords) {
			best = &cli_cmds[i];
			*nwords = n;
		}
	}
	if (best != NULL && best->max_args >= 0 && argc - *nwords > best->max_args)
		return NULL;
	return best;
}

/* Run one command (no ';') at level; the reply goes to out, without the trailing empty line. */
static void
run_one(char *line, enum lb_cli_level level, struct evbuffer *out)
{
	char *argv[CLI_MAX_ARGS + 1];
	int argc = split_words(line, argv, CLI_MAX_ARGS + 1), nwords;
	const struct cli_cmd *cmd;

	if (argc == 0)
		return;
	if (argc > CLI_MAX_ARGS) {
		evbuffer_add_printf(out, "Too many words on the command line.\n");
		return;
	}
	cmd = lookup(argv, argc, &nwords);
	if (cmd == NULL) {
		evbuffer_add_printf(out, "Unknown command. Please enter one of the following "
		    "commands only :\n");
		help_lines(level, out);
		return;
	}
	if (cmd->level > level)
		evbuffer_add_printf(out, "Permission denied\n");
	else if (cmd->fn == NULL) {
		evbuffer_add_printf(out, "The following commands are valid at this level:\n");
		help_lines(level, out);
	} else
		cmd->fn(argv + nwords, argc - nwords, out);
}

void
lb_cli_command(const char *line, enum lb_cli_level level, struct evbuffer *out)
{
	char *copy = strdup(line), *cmd, *next;

	if (copy == NULL) {
		evbuffer_add_printf(out, "Out of memory.\n\n");
		return;
	}
	/* like HAProxy: commands separated by ';', each answer followed by an empty line */
	for (cmd = copy; cmd != NULL; cmd = next) {
		next = strchr(cmd, ';');
		if (next != NULL)
			*next++ = '\0';
		run_one(cmd, level, out);
		evbuffer_add(out, "\n", 1);
	}
	free(copy);
}

/* --- the socket -------------------------------------------------------------- */

/* Run the command line and queue the whole reply; the connection closes once it drains. */
static void
client_reply(struct lb_oneshot_conn *c, char *line)
{
	const struct lb_cli *st = lb_oneshot_conn_arg(c);
	struct evbuffer *out = lb_oneshot_conn_reply(c);
	size_t len = strlen(line);
	char *p;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (strncmp(p, "_getsocks", 9) == 0 && (p[9] == '\0' || p[9] == ' ' || p[9] == '\t') &&
	    st->level >= LB_CLI_ADMIN) {
		int fds[CLI_MAX_FDS];

		(void)lb_handover_send(lb_oneshot_conn_fd(c), p + 9, fds,
		    lb_proc_listen_fds(fds, CLI_MAX_FDS));
		lb_oneshot_conn_close(c);
		return;
	}
	lb_cli_command(p, st->level, out);
	if (evbuffer_get_length(out) == 0)
		lb_oneshot_conn_close(c);
}

/*
 * The first n bytes of in as a string (malloc'd here, not by libevent:
 * evbuffer_readln's result comes from libevent's allocator, see mempool.h).
 */
static char *
take_line(struct evbuffer *in, size_t n)
{
	char *line = malloc(n + 1);

	if (line == NULL)
		return NULL;
	evbuffer_remove(in, line, n);
	line[n] = '\0';
	return line;
}

static void
client_request(struct lb_oneshot_conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t eol_len;
	char *line;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos == -1 || (size_t)eol.pos > CLI_MAX_LINE) {
		if (eol.pos != -1 || evbuffer_get_length(in) > CLI_MAX_LINE)
			evbuffer_add_printf(lb_oneshot_conn_reply(c), "Command line too long.\n\n");
		return;
	}
	if ((line = take_line(in, (size_t)eol.pos)) == NULL) {
		lb_oneshot_conn_close(c);
		return;
	}
	evbuffer_drain(in, eol_len);
	client_reply(c, line);
	free(line);
}

/* A client that shut down its side without a newline still gets its answer. */
static int
client_eof(struct lb_oneshot_conn *c, struct evbuffer *in)
{
	size_t n = evbuffer_get_length(in);
	char *line;

	if (n == 0 || n > CLI_MAX_LINE || (line = take_line(in, n)) == NULL)
		return -1;
	client_reply(c, line);
	free(line);
	return 0;
}

static const struct lb_oneshot_ops cli_ops = {
	.what = "stats socket",
	.read_timeout_s = CLI_READ_TIMEOUT_S,
	.write_timeout_s = CLI_WRITE_TIMEOUT_S,
	.read_max = CLI_MAX_LINE + 2,
	/* one write for the whole reply: agents stop reading at the first short recv() */
	.max_single_write = 4 * 1024 * 1024,
	/* what the client sent beyond its command is dropped, so close() does not reset it */
	.flags = LB_ONESHOT_DRAIN_RECV,
	.request = client_request,
	.eof = client_eof,
};

/*
 * Bind a temporary name and rename it over path, so the socket is never
 * missing or briefly world-accessible, and an older process keeps serving
 * on its (now unlinked) socket until then. Returns the listening fd or -1.
 */
static int
bind_socket(const char *path, int mode, struct stat *sb)
{
	struct sockaddr_un sa_un;
	struct stat old;
	char tmp[sizeof(sa_un.sun_path)];
	int fd, saved, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (lstat(path, &old) == 0 && !S_ISSOCK(old.st_mode)) {
		errno = EEXIST;		/* never replace something that is not a socket */
		return -1;
	}
	memset(&sa_un, 0, sizeof(sa_un));
	sa_un.sun_family = AF_UNIX;
	memcpy(sa_un.sun_path, tmp, (size_t)n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	(void)unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa_un, sizeof(sa_un)) == -1)
		goto fail;
	if (chmod(tmp, (mode_t)mode) == -1 || listen(fd, CLI_BACKLOG) == -1 ||
	    rename(tmp, path) == -1 || stat(path, sb) == -1)
		goto fail_unlink;
	return fd;
fail_unlink:
	saved = errno;
	(void)unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct lb_cli *
lb_cli_new(struct event_base *base, const char *path, int mode, enum lb_cli_level level)
{
	struct lb_cli *st;
	struct stat sb;
	int fd, saved;

	fd = bind_socket(path, mode, &sb);
	if (fd == -1)
		return NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		goto fail;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->level = level;
	st->path = strdup(path);
	if (st->path == NULL)
		goto fail;
	st->srv = lb_oneshot_new(base, fd, &cli_ops, st->path);
	if (st->srv == NULL)
		goto fail;
	lb_oneshot_set_arg(st->srv, st);
	lb_info("stats socket listening on %s (mode %04o, level %s)", path, (unsigned)mode,
	    lb_cli_level_names[level]);
	return st;
fail:
	saved = errno != 0 ? errno : ENOMEM;
	close(fd);
	(void)unlink(path);
	if (st != NULL) {
		free(st->path);
		free(st);
	}
	errno = saved;
	return NULL;
}

int
lb_cli_add(struct lb_cli *cli, struct event_base *base, const char *path, int mode,
    enum lb_cli_level level)
{
	struct lb_cli *st = lb_cli_new(base, path, mode, level);

	if (st == NULL)
		return -1;
	st->next = cli->next;
	cli->next = st;
	return 0;
}

void
lb_cli_free(struct lb_cli *st)
{
	struct stat sb;

	if (st == NULL)
		return;
	lb_cli_free(st->next);
	lb_oneshot_free(st->srv);
	/* remove the socket file only if a newer process has not replaced it */
	if (stat(st->path, &sb) == 0 && sb.st_dev == st->dev && sb.st_ino == st->ino)
		(void)unlink(st->path);
	free(st->path);
	free(st);
}

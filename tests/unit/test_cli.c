/*
 * test_cli.c: unit tests for src/cli.c: dispatch through the command table,
 * unknown commands and help, ';'-separated commands, HAProxy's levels per
 * command and per socket, and the socket itself (modes, CRLF, half-close,
 * long lines, replacing and removing the file, extra sockets).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lbproxy/cli.h"
#include "lbproxy/frontend.h"
#include "lbproxy/member.h"
#include "lbproxy/proc.h"

#include "proc_fixture.h"

/* --- commands ------------------------------------------------------------- */

static void
test_commands(void **state)
{
	char *reply;

	(void)state;
	reply = fx_run("frobnicate");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	assert_non_null(strstr(reply, "show stat"));
	free(reply);
	reply = fx_run("show");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	free(reply);
	reply = fx_run("show info extra");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	free(reply);
	reply = fx_run("help");
	assert_non_null(strstr(reply, "disable server"));
	assert_null(strstr(reply, "Unknown"));
	free(reply);
	fx_expect("", "\n");
	fx_expect("   ", "\n");
	reply = fx_run("_getsocks");	/* only meaningful on the socket itself */
	assert_non_null(strstr(reply, "_getsocks"));
	free(reply);
	reply = fx_run("show servers");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	free(reply);
	reply = fx_run("help me");
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	free(reply);

	/* the help lists every command of the table, HAProxy's layout */
	reply = fx_run("help");
	assert_true(strncmp(reply, "The following commands are valid at this level:\n", 48) == 0);
	assert_non_null(strstr(reply, "\n  help                                  : this message\n"));
	assert_non_null(strstr(reply, "\n  show servers state [<pool>]           : "));
	assert_non_null(strstr(reply, "\n  set server <pool>/<member> state <s>  : "));
	assert_non_null(strstr(reply, "\n  quit                                  : disconnect\n"));
	assert_null(strstr(reply, "_getsocks"));
	free(reply);

	/* several commands separated by ';', each answered in turn */
	reply = fx_run("disable server pool1/m1; show stat -1 4 1 ;show info");
	assert_true(strncmp(reply, "\n# pxname,", 10) == 0);
	assert_non_null(strstr(reply, "\npool1,m1,"));
	assert_non_null(strstr(reply, ",MAINT,"));
	assert_non_null(strstr(reply, "\n\nName: lbproxy\n"));
	free(reply);
}

/* --- levels ------------------------------------------------------------------ */

#define DENIED	"Permission denied\n\n"

/* reply to line at level is want. */
static void
expect_at(const char *line, enum lb_cli_level level, const char *want)
{
	char *reply = fx_run_at(line, level);

	assert_string_equal(reply, want);
	free(reply);
}

static void
test_levels(void **state)
{
	static const char *const admin_only[] = {
		"disable server pool1/m1", "enable server pool1/m1", "set weight pool1/m1 2",
		"set server pool1/m1 state drain", "set server pool1/m1 weight 2",
		"clear counters all", "_getsocks",
	};
	static const char *const reads[] = {
		"show info", "show stat", "show stat -1 4 -1", "show servers state",
		"show health", "get weight pool1/m1", "help", "quit",
	};
	char buf[32], *reply, *admin;
	size_t i;

	(void)state;
	assert_int_equal(lb_cli_level_parse("user"), LB_CLI_USER);
	assert_int_equal(lb_cli_level_parse("operator"), LB_CLI_OPERATOR);
	assert_int_equal(lb_cli_level_parse("admin"), LB_CLI_ADMIN);
	assert_int_equal(lb_cli_level_parse("Admin"), -1);
	assert_int_equal(lb_cli_level_parse("root"), -1);

	/* HAProxy 2.6's answer, then the usual empty line; nothing changes */
	for (i = 0; i < LB_ARRAY_SIZE(admin_only); i++) {
		expect_at(admin_only[i], LB_CLI_USER, DENIED);
		expect_at(admin_only[i], LB_CLI_OPERATOR, DENIED);
	}
	assert_false(atomic_load(&fx_mem[0]->cli_disabled));
	assert_false(atomic_load(&fx_mem[0]->cli_drain));
	assert_int_equal(atomic_load(&fx_mem[0]->weight), 1);
	expect_at("clear counters", LB_CLI_USER, DENIED);

	/* reading is the same at every level */
	for (i = 0; i < LB_ARRAY_SIZE(reads); i++) {
		if (strcmp(reads[i], "help") == 0 || strncmp(reads[i], "show info", 9) == 0)
			continue;	/* help lists by level; show info has the uptime */
		admin = fx_run_at(reads[i], LB_CLI_ADMIN);
		reply = fx_run_at(reads[i], LB_CLI_USER);
		assert_string_equal(reply, admin);
		free(reply);
		free(admin);
	}
	reply = fx_run_at("show info", LB_CLI_USER);
	assert_true(strncmp(reply, "Name: lbproxy\n", 14) == 0);
	free(reply);

	/* the help lists what the level may run, in the table's order */
	reply = fx_run_at("help", LB_CLI_USER);
	assert_true(strncmp(reply, "The following commands are valid at this level:\n", 48) == 0);
	assert_non_null(strstr(reply, "\n  show stat "));
	assert_non_null(strstr(reply, "\n  get weight "));
	assert_null(strstr(reply, "clear counters"));
	assert_null(strstr(reply, "disable server"));
	assert_null(strstr(reply, "set weight"));
	free(reply);
	reply = fx_run_at("help", LB_CLI_OPERATOR);
	assert_non_null(strstr(reply, "\n  clear counters  "));
	assert_null(strstr(reply, "clear counters all"));
	assert_null(strstr(reply, "disable server"));
	free(reply);
	reply = fx_run_at("frobnicate", LB_CLI_USER);
	assert_true(strncmp(reply, "Unknown command.", 16) == 0);
	assert_null(strstr(reply, "disable server"));
	free(reply);

	/* one refused command on a line does not stop the others */
	reply = fx_run_at("disable server pool1/m1;get weight pool1/m1", LB_CLI_OPERATOR);
	assert_string_equal(reply, DENIED "1 (initial 1)\n\n");
	free(reply);

	/* operator: clear counters resets the max values, never the totals */
	atomic_store(&fx_mem[0]->c.smax, 40);
	atomic_store(&fx_fe->c.smax, 50);
	atomic_store(&fx_be->c.smax, 60);
	fx_stat_of("m1", "stot", buf, sizeof(buf));
	reply = strdup(buf);
	expect_at("clear counters", LB_CLI_OPERATOR, "\n");
	assert_int_equal(atomic_load(&fx_mem[0]->c.smax), 0);
	assert_int_equal(atomic_load(&fx_fe->c.smax), 0);
	assert_int_equal(atomic_load(&fx_be->c.smax), 0);
	fx_stat_of("m1", "stot", buf, sizeof(buf));
	assert_string_equal(buf, reply);
	free(reply);
	expect_at("clear counters extra", LB_CLI_ADMIN,
	    (reply = fx_run_at("frobnicate", LB_CLI_ADMIN)));
	free(reply);
	reply = fx_run_at("clear counters all", LB_CLI_ADMIN);
	assert_non_null(strstr(reply, "monotonic"));
	free(reply);

	/* admin: everything */
	expect_at("disable server pool1/m1", LB_CLI_ADMIN, "\n");
	assert_true(atomic_load(&fx_mem[0]->cli_disabled));
	expect_at("enable server pool1/m1", LB_CLI_ADMIN, "\n");
}

/* --- the socket ------------------------------------------------------------- */

static void
test_socket(void **state)
{
	struct event_base *base = event_base_new();
	static struct fx_client j;
	struct lb_cli *st;
	struct stat sb;
	char path[100], *expect, *big;

	(void)state;
	fx_sock_path(path, sizeof(path));
	st = lb_cli_new(base, path, 0640, LB_CLI_ADMIN);
	assert_non_null(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0640);

	/* one command, the whole reply, then EOF */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show stat -1 6 -1\n";
	j.sendlen = strlen(j.send);
	fx_client_run(base, &j);
	assert_int_equal(j.err, 0);
	expect = fx_run("show stat -1 6 -1");
	assert_string_equal(j.reply, expect);
	free(expect);

	/* CRLF, commands chained with ';' */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show info;show stat -1 1 -1\r\n";
	j.sendlen = strlen(j.send);
	fx_client_run(base, &j);
	assert_true(strncmp(j.reply, "Name: lbproxy\n", 14) == 0);
	assert_non_null(strstr(j.reply, "\nvip1,FRONTEND,"));

	/* no newline, but the client half-closes */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show info";
	j.sendlen = strlen(j.send);
	j.shut = 1;
	fx_client_run(base, &j);
	assert_true(strncmp(j.reply, "Name: lbproxy\n", 14) == 0);

	/* a line that never ends is refused, not buffered forever */
	big = malloc(10000);
	memset(big, 'a', 10000);
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = big;
	j.sendlen = 10000;
	fx_client_run(base, &j);
	assert_string_equal(j.reply, "Command line too long.\n\n");
	free(big);

	/* the reply is a snapshot of the state when the command ran */
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "disable server pool1/m2\n";
	j.sendlen = strlen(j.send);
	fx_client_run(base, &j);
	assert_string_equal(j.reply, "\n");
	assert_true(atomic_load(&fx_mem[1]->cli_disabled));

	lb_cli_free(st);
	assert_int_equal(stat(path, &sb), -1);	/* removed on exit */
	event_base_free(base);
}

static void
test_socket_replace(void **state)
{
	struct event_base *base = event_base_new();
	static struct fx_client j;
	struct lb_cli *a, *b;
	struct stat sb;
	char path[100], file[128];
	int fd;

	(void)state;
	fx_sock_path(path, sizeof(path));
	a = lb_cli_new(base, path, 0600, LB_CLI_ADMIN);
	assert_non_null(a);
	/* a new process binds over the old one's socket (takeover) */
	b = lb_cli_new(base, path, 0600, LB_CLI_ADMIN);
	assert_non_null(b);
	/* the old one stopping must not remove the new one's socket */
	lb_cli_free(a);
	assert_int_equal(stat(path, &sb), 0);
	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = "show info\n";
	j.sendlen = strlen(j.send);
	fx_client_run(base, &j);
	assert_true(strncmp(j.reply, "Name: lbproxy\n", 14) == 0);
	lb_cli_free(b);
	assert_int_equal(stat(path, &sb), -1);

	/* something that is not a socket is never replaced */
	snprintf(file, sizeof(file), "%s/file", fx_tmpdir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(lb_cli_new(base, file, 0600, LB_CLI_ADMIN));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(stat(file, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	unlink(file);

	/* a path too long for sun_path */
	{
		char longp[200];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		assert_null(lb_cli_new(base, longp, 0600, LB_CLI_ADMIN));
		assert_int_equal(errno, ENAMETOOLONG);
	}
	event_base_free(base);
}


/* The reply on the socket at path to line (a static buffer, valid until the next call). */
static const char *
ask(struct event_base *base, const char *path, const char *line)
{
	static struct fx_client j;

	memset(&j, 0, sizeof(j));
	j.path = path;
	j.send = line;
	j.sendlen = strlen(line);
	fx_client_run(base, &j);
	return j.reply;
}

/* A socket's level applies to what arrives on it, extra sockets included. */
static void
test_socket_levels(void **state)
{
	struct event_base *base = event_base_new();
	struct lb_cli *st;
	struct stat sb;
	char path[100], mon[128];

	(void)state;
	fx_sock_path(path, sizeof(path));
	snprintf(mon, sizeof(mon), "%s/mon.sock", fx_tmpdir);
	st = lb_cli_new(base, path, 0600, LB_CLI_OPERATOR);
	assert_non_null(st);
	assert_int_equal(lb_cli_add(st, base, mon, 0666, LB_CLI_USER), 0);
	assert_int_equal(stat(mon, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0666);

	assert_string_equal(ask(base, mon, "disable server pool1/m1\n"), DENIED);
	/* the listener handover is admin only: a refusal, no descriptors */
	assert_string_equal(ask(base, path, "_getsocks\n"), DENIED);
	assert_string_equal(ask(base, path, "clear counters\n"), "\n");
	assert_true(strncmp(ask(base, mon, "show info\n"), "Name: lbproxy\n", 14) == 0);

	/* a socket that cannot be bound is an error; the others stay */
	assert_int_equal(lb_cli_add(st, base, "/nonexistent/dir/x.sock", 0600, LB_CLI_USER), -1);
	assert_true(strncmp(ask(base, mon, "show info\n"), "Name: lbproxy\n", 14) == 0);
	lb_cli_free(st);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(stat(mon, &sb), -1);	/* freed with the first */
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commands, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_levels, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_socket_levels, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_socket, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_socket_replace, fx_setup, fx_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

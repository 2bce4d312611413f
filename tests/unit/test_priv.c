/*
 * test_priv.c: unit tests for src/priv.c: looking users and groups up, which
 * capabilities a config still needs (pure), and, when run as root, the drop
 * itself in a forked child: uid, gid, groups, capability sets, bounding set,
 * no_new_privs, the stats socket's owner, and no way back to root.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/priv.h"

#define POOL	"'pool': {'id': 'p1', 'protocol': 'TCP', 'lb_method': 'ROUND_ROBIN'}, " \
		"'members': [{'id': 'm1', 'address': '127.0.0.1', 'protocol_port': 9001}]"
#define PING	", 'healthmonitors': [{'id': 'h', 'type': 'PING', 'delay': 1, " \
		"'timeout': 1, 'max_retries': 1}]"

static char tmpdir[64];

/* A config with the VIP on port and a PING monitor or not; lbproxy block extra. */
static struct lb_config *
load(int port, bool ping, const char *extra)
{
	struct lb_diag diag = { 0 };
	struct lb_config *c;
	char *json = NULL, *p, path[128];
	int len;

	len = asprintf(&json, "{" POOL "%s, 'vip': {'id': 'v1', 'address': '127.0.0.1', "
	    "'protocol_port': %d, 'protocol': 'TCP'}, 'lbproxy': {%s}}", ping ? PING : "",
	    port, extra != NULL ? extra : "");
	assert_true(len > 0);
	for (p = json; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	snprintf(path, sizeof(path), "%s/pool.json", tmpdir);
	c = lb_config_parse(json, (size_t)len, path, &diag);
	lb_diag_print(&diag, path, stderr);
	lb_diag_fini(&diag);
	free(json);
	assert_non_null(c);
	return c;
}

static void
test_resolve(void **state)
{
	struct lb_priv_ids ids;
	char err[256];

	(void)state;
	assert_int_equal(lb_priv_resolve("root", NULL, &ids, err, sizeof(err)), 0);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(ids.gid, 0);
	assert_string_equal(ids.name, "root");
	/* a number is a uid, as chown(1) takes it; its passwd entry gives the group */
	assert_int_equal(lb_priv_resolve("0", "1", &ids, err, sizeof(err)), 0);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(ids.gid, 1);
	assert_int_equal(lb_priv_resolve("nobody", "root", &ids, err, sizeof(err)), 0);
	assert_int_equal(ids.gid, 0);
	assert_int_equal(lb_priv_resolve("no-such-user-lbtest", NULL, &ids, err, sizeof(err)), -1);
	assert_string_equal(err, "no such user 'no-such-user-lbtest'");
	assert_int_equal(lb_priv_resolve("root", "no-such-group-lbtest", &ids, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "no such group 'no-such-group-lbtest'");
	/* a uid without a passwd entry has no group of its own */
	assert_int_equal(lb_priv_resolve("4000000", NULL, &ids, err, sizeof(err)), -1);
	assert_string_equal(err, "uid 4000000 has no passwd entry: set lbproxy.group too");
	assert_int_equal(lb_priv_resolve("4000000", "4000001", &ids, err, sizeof(err)), 0);
	assert_int_equal(ids.uid, 4000000);
	assert_int_equal(ids.gid, 4000001);
	assert_string_equal(ids.name, "");
}

static void
test_check(void **state)
{
	struct lb_config *c = load(9000, false, "'group': 'root'");
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(lb_priv_check(c, NULL, devnull), -1);	/* a group needs a user */
	assert_int_equal(lb_priv_check(c, "root", devnull), 0);
	lb_config_free(c);
	c = load(9000, false, "'user': 'no-such-user-lbtest'");
	assert_int_equal(lb_priv_check(c, NULL, devnull), -1);
	assert_int_equal(lb_priv_check(c, "nobody", devnull), 0);	/* -u wins */
	lb_config_free(c);
	fclose(devnull);
}

static void
test_caps_needed(void **state)
{
	struct lb_config *c = load(9000, true, NULL);
	gid_t sup[] = { 5, 1000 };

	(void)state;
	/* ping sockets refused (the kernel's default "1 0"): raw sockets need CAP_NET_RAW */
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, "1\t0\n", 1024) ==
	    LB_PRIV_CAP(CAP_NET_RAW));
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, "0\t2147483647\n", 1024) == 0);
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, "999 999", 1024) == 0);
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, "1000 2000", 1024) ==
	    LB_PRIV_CAP(CAP_NET_RAW));
	/* a supplementary group in the range is enough, as for ping(8) */
	assert_true(lb_priv_caps_needed(c, 999, sup, 2, "1000 2000", 1024) == 0);
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, NULL, 1024) == LB_PRIV_CAP(CAP_NET_RAW));
	/* a VIP below ip_unprivileged_port_start is bound again by some reloads */
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, "0 0", 9001) ==
	    (LB_PRIV_CAP(CAP_NET_RAW) | LB_PRIV_CAP(CAP_NET_BIND_SERVICE)));
	lb_config_free(c);
	c = load(443, false, NULL);
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, "1 0", 1024) ==
	    LB_PRIV_CAP(CAP_NET_BIND_SERVICE));
	assert_true(lb_priv_caps_needed(c, 999, NULL, 0, "1 0", 0) == 0);
	lb_config_free(c);
}

/* The value of field in /proc/self/status ("CapEff:\t0000000000002000" -> "0000..."). */
static void
status_field(const char *field, char *buf, size_t size)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(field);

	buf[0] = '\0';
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			snprintf(buf, size, "%s", line + n + 1 + strspn(line + n + 1, " \t"));
			buf[strcspn(buf, "\n")] = '\0';
		}
	if (fp != NULL)
		fclose(fp);
}

/* Child: drop to nobody with a PING monitor; exit 0 if everything holds. */
static int
drop_child(const char *sock)
{
	struct lb_config *c = load(9000, true, "'user': 'nobody'");
	struct passwd *pw = getpwnam("nobody");
	char want[32], v[64];
	char range[64] = "";
	struct stat st;
	int fail = 0;
	FILE *fp;

	/* the machine's ping_group_range decides CAP_NET_RAW (test_caps_needed covers how) */
	if ((fp = fopen("/proc/sys/net/ipv4/ping_group_range", "r")) != NULL) {
		if (fgets(range, sizeof(range), fp) == NULL)
			range[0] = '\0';
		fclose(fp);
	}
	free(c->stats_socket);
	c->stats_socket = strdup(sock);
	if (lb_priv_drop(c, NULL) == -1)
		return 20;
	fail |= getuid() != pw->pw_uid || geteuid() != pw->pw_uid ? 1 : 0;
	fail |= getgid() != pw->pw_gid || getegid() != pw->pw_gid ? 2 : 0;
	fail |= setuid(0) != -1 || setgid(0) != -1 || seteuid(0) != -1 ? 4 : 0;
	snprintf(want, sizeof(want), "%016llx",
	    lb_priv_caps_needed(c, pw->pw_gid, NULL, 0, range, 1024));
	status_field("CapEff", v, sizeof(v));
	fail |= strcmp(v, want) != 0 ? 8 : 0;
	status_field("CapPrm", v, sizeof(v));
	fail |= strcmp(v, want) != 0 ? 16 : 0;
	status_field("CapBnd", v, sizeof(v));
	fail |= strcmp(v, want) != 0 ? 32 : 0;
	status_field("CapInh", v, sizeof(v));
	fail |= strcmp(v, "0000000000000000") != 0 ? 64 : 0;
	status_field("NoNewPrivs", v, sizeof(v));
	fail |= strcmp(v, "1") != 0 ? 128 : 0;
	fail |= stat(sock, &st) == -1 || st.st_uid != pw->pw_uid ? 256 : 0;
	lb_config_free(c);
	if (fail != 0)
		fprintf(stderr, "drop_child: checks failed: %#x\n", (unsigned)fail);
	return fail == 0 ? 0 : 1;
}

static void
test_drop(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s, status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || getpwnam("nobody") == NULL)
		skip();
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", tmpdir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(drop_child(sun.sun_path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(s);
	unlink(sun.sun_path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lbtest-priv.XXXXXX");
	/* the dropped child looks at the socket in it */
	return mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0711) == -1 ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_caps_needed),
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

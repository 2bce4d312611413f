/* proc_fixture.c: see proc_fixture.h. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "lbproxy/cli.h"
#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/frontend.h"
#include "lbproxy/listener.h"
#include "lbproxy/member.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"

#include "proc_fixture.h"

static const char pool_json[] =
    "{\"vip\": {\"id\": \"vip1\", \"address\": \"127.0.0.1\", \"protocol_port\": 8080,"
    "  \"protocol\": \"HTTP\", \"connection_limit\": 100},"
    " \"pool\": {\"id\": \"pool1\", \"protocol\": \"HTTP\", \"lb_method\": \"ROUND_ROBIN\"},"
    " \"members\": ["
    "  {\"id\": \"m1\", \"address\": \"127.0.0.1\", \"protocol_port\": 8001, \"weight\": 1},"
    "  {\"id\": \"m2\", \"address\": \"127.0.0.1\", \"protocol_port\": 8002, \"weight\": 2},"
    "  {\"id\": \"m3\", \"address\": \"127.0.0.1\", \"protocol_port\": 8003, \"weight\": 1}],"
    " \"healthmonitors\": [{\"id\": \"h1\", \"type\": \"HTTP\", \"delay\": 5, \"timeout\": 3,"
    "  \"max_retries\": 3}],"
    " \"lbproxy\": {\"maxconn\": 1000}}";

struct lb_member *fx_mem[FX_NMEMBERS];
struct lb_listener *fx_lst;
struct lb_frontend *fx_fe;
struct lb_backend *fx_be;
char fx_tmpdir[64];

int
fx_setup(void **state)
{
	struct lb_member **mem = fx_mem;
	struct lb_diag diag = { 0 };
	struct lb_config *conf;
	struct lb_snapshot *snap;
	struct lb_snap_pool *sp;
	struct lb_snap_listener *sl;
	struct sockaddr_in sin;
	size_t i;

	(void)state;
	conf = lb_config_parse(pool_json, strlen(pool_json), "/tmp/pool.json", &diag);
	if (conf == NULL)
		lb_diag_print(&diag, "pool_json", stderr);
	lb_diag_fini(&diag);
	assert_non_null(conf);
	assert_int_equal(conf->pools[0].n_members, FX_NMEMBERS);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fx_lst = lb_listener_open((struct sockaddr *)&sin, sizeof(sin), 16, NULL, 0);
	assert_non_null(fx_lst);

	memset(&lb_proc, 0, sizeof(lb_proc));
	/* what lb_proc_apply builds, without binding the VIP */
	snap = lb_snapshot_new(conf, 1);
	sp = &snap->pools[0];
	sl = &snap->listeners[0];
	fx_be = sp->be = lb_backend_new("pool1", 1);
	lb_backend_ref(fx_be);
	fx_fe = sl->fe = lb_frontend_new("vip1", 1);
	lb_frontend_ref(fx_fe);
	sp->members = calloc(FX_NMEMBERS, sizeof(*sp->members));
	for (i = 0; i < FX_NMEMBERS; i++) {
		mem[i] = lb_member_new(&conf->pools[0].members[i], "pool1", (int)i + 1);
		sp->members[i] = mem[i];
		lb_member_ref(mem[i]);
	}
	sp->n = FX_NMEMBERS;
	snap->n_members = FX_NMEMBERS;
	sl->socks = calloc(1, sizeof(*sl->socks));
	sl->socks[0] = fx_lst;
	lb_listener_ref(fx_lst);
	sl->n_socks = 1;
	lb_proc.snap = snap;
	lb_proc.members = mem;
	lb_proc.n_members = FX_NMEMBERS;
	lb_proc.frontends = &fx_fe;
	lb_proc.n_frontends = 1;
	lb_proc.backends = &fx_be;
	lb_proc.n_backends = 1;
	lb_proc.limits.maxconn = 1000;
	lb_proc.limits.n_workers = 4;
	lb_proc.pid = getpid();
	lb_proc.start_ms = lb_now_ms() - 62500;
	lb_proc.start_wall = lb_wall_s() - 62;
	lb_proc.generation = 1;

	/* m1 UP after an HTTP check, m2 DOWN, m3 UP */
	lb_member_set_health(mem[0], LB_HEALTH_UP);
	mem[0]->check_status = LB_CHK_L7OK;
	mem[0]->check_code = 200;
	mem[0]->check_duration_ms = 3;
	snprintf(mem[0]->check_desc, sizeof(mem[0]->check_desc), "HTTP status 200");
	mem[0]->rise_cnt = 2;
	lb_member_set_health(mem[1], LB_HEALTH_UP);
	lb_member_set_health(mem[1], LB_HEALTH_DOWN);
	mem[1]->check_status = LB_CHK_L4CON;
	mem[1]->check_duration_ms = 1;
	mem[1]->chkfail = 3;
	mem[1]->fall_cnt = 3;
	snprintf(mem[1]->check_desc, sizeof(mem[1]->check_desc), "connection refused, 1 ms");
	lb_member_set_health(mem[2], LB_HEALTH_UP);
	mem[2]->check_status = LB_CHK_L7OK;
	mem[2]->check_code = 200;

	/* traffic */
	atomic_store(&lb_proc.limits.conns, 3);
	atomic_store(&fx_fe->conns, 3);
	atomic_store(&fx_fe->c.stot, 10);
	atomic_store(&fx_fe->c.bin, 1000);
	atomic_store(&fx_fe->c.bout, 2000);
	atomic_store(&fx_fe->c.smax, 5);
	atomic_store(&fx_fe->c.ereq, 1);
	atomic_store(&fx_fe->c.req_tot, 12);
	atomic_store(&fx_fe->c.hrsp[2], 11);
	atomic_store(&fx_fe->c.hrsp[5], 1);
	atomic_store(&mem[0]->active, 2);
	atomic_store(&mem[0]->c.stot, 6);
	atomic_store(&mem[0]->c.bin, 600);
	atomic_store(&mem[0]->c.bout, 1200);
	atomic_store(&mem[0]->c.hrsp[2], 6);
	atomic_store(&mem[1]->c.econ, 2);
	atomic_store(&mem[2]->active, 1);
	atomic_store(&mem[2]->c.stot, 4);
	atomic_store(&mem[2]->c.bin, 400);
	atomic_store(&mem[2]->c.bout, 800);
	atomic_store(&mem[2]->c.hrsp[2], 5);
	atomic_store(&fx_be->c.econ, 1);
	atomic_store(&fx_be->c.hrsp[5], 1);

	snprintf(fx_tmpdir, sizeof(fx_tmpdir), "/tmp/test_stats.XXXXXX");
	assert_non_null(mkdtemp(fx_tmpdir));
	return 0;
}

int
fx_teardown(void **state)
{
	size_t i;

	(void)state;
	lb_snapshot_unref(lb_proc.snap);
	for (i = 0; i < FX_NMEMBERS; i++)
		lb_member_unref(fx_mem[i]);
	lb_listener_unref(fx_lst);
	lb_frontend_unref(fx_fe);
	lb_backend_unref(fx_be);
	memset(&lb_proc, 0, sizeof(lb_proc));
	rmdir(fx_tmpdir);
	return 0;
}

char *
fx_run(const char *line)
{
	return fx_run_at(line, LB_CLI_ADMIN);
}

char *
fx_run_at(const char *line, enum lb_cli_level level)
{
	struct evbuffer *out = evbuffer_new();
	size_t n;
	char *s;

	lb_cli_command(line, level, out);
	n = evbuffer_get_length(out);
	s = malloc(n + 1);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

void
fx_expect(const char *line, const char *expect)
{
	char *reply = fx_run(line);

	assert_string_equal(reply, expect);
	free(reply);
}

void
fx_csv_parse(struct fx_csv *c, const char *reply)
{
	char *line, *save = NULL;

	memset(c, 0, sizeof(*c));
	c->text = strdup(reply);
	for (line = strtok_r(c->text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		int n = 0;

		assert_true(c->nrows < 16);
		if (c->nrows == 0) {
			assert_true(strncmp(p, "# ", 2) == 0);
			p += 2;
		}
		while (*p != '\0') {
			char *comma = strchr(p, ',');

			assert_non_null(comma);	/* every cell ends with ',' */
			*comma = '\0';
			assert_true(n < FX_NFIELDS);
			c->cell[c->nrows][n++] = p;
			p = comma + 1;
		}
		assert_int_equal(n, FX_NFIELDS);
		c->nrows++;
	}
}

void
fx_csv_free(struct fx_csv *c)
{
	free(c->text);
}

const char *
fx_cell(const struct fx_csv *c, int row, const char *name)
{
	int i;

	for (i = 0; i < FX_NFIELDS; i++)
		if (strcmp(c->cell[0][i], name) == 0)
			return c->cell[row][i];
	fail_msg("no column %s", name);
	return NULL;
}

int
fx_row_of(const struct fx_csv *c, const char *sv)
{
	int r;

	for (r = 1; r < c->nrows; r++)
		if (strcmp(fx_cell(c, r, "svname"), sv) == 0)
			return r;
	return -1;
}

void
fx_stat_of(const char *sv, const char *name, char *buf, size_t size)
{
	char *reply = fx_run("show stat -1 -1 -1");
	struct fx_csv c;
	int r;

	fx_csv_parse(&c, reply);
	r = fx_row_of(&c, sv);
	assert_true(r > 0);
	snprintf(buf, size, "%s", fx_cell(&c, r, name));
	fx_csv_free(&c);
	free(reply);
}

static void *
client_thread(void *arg)
{
	struct fx_client *j = arg;
	struct sockaddr_un sa;
	ssize_t r;
	int s;

	if (j->fn != NULL) {
		j->fn(j->arg);
		atomic_store(&j->done, 1);
		return NULL;
	}
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", j->path);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		j->err = errno;
		goto out;
	}
	if (j->sendlen > 0)
		(void)send(s, j->send, j->sendlen, MSG_NOSIGNAL);
	if (j->shut)
		shutdown(s, SHUT_WR);
	while ((r = recv(s, j->reply + j->len, sizeof(j->reply) - 1 - j->len, 0)) > 0)
		j->len += (size_t)r;
	if (r == -1)
		j->err = errno;
	j->reply[j->len] = '\0';
out:
	close(s);
	atomic_store(&j->done, 1);
	return NULL;
}

void
fx_client_run(struct event_base *base, struct fx_client *j)
{
	pthread_t t;
	uint64_t deadline = lb_now_ms() + 10000;

	atomic_store(&j->done, 0);
	assert_int_equal(pthread_create(&t, NULL, client_thread, j), 0);
	while (!atomic_load(&j->done) && lb_now_ms() < deadline) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_true(atomic_load(&j->done));
	pthread_join(t, NULL);
}

void
fx_sock_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/sock", fx_tmpdir);
}

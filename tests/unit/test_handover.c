/*
 * test_handover.c: unit tests for src/handover.c (SPEC 6, takeover): the
 * listeners handed over the stats socket with SCM_RIGHTS, the pid both ends
 * check (the request names the processes being replaced, the answer its
 * sender), peers that are not an lbproxy of this protocol, and the filter
 * that keeps only sockets bound where the config listens.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lbproxy/cli.h"
#include "lbproxy/handover.h"
#include "lbproxy/listener.h"
#include "lbproxy/proc.h"
#include "lbproxy/snapshot.h"

#include "proc_fixture.h"

/* --- helpers ---------------------------------------------------------------- */

/* Same socket: same local address and same inode in sockfs. */
static void
assert_same_socket(int a, int b)
{
	struct sockaddr_storage sa, sb;
	socklen_t la = sizeof(sa), lb = sizeof(sb);
	struct stat fa, fb;
	int acc = 0;
	socklen_t al = sizeof(acc);

	assert_int_equal(getsockname(a, (struct sockaddr *)&sa, &la), 0);
	assert_int_equal(getsockname(b, (struct sockaddr *)&sb, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(&sa, &sb, la);
	assert_int_equal(fstat(a, &fa), 0);
	assert_int_equal(fstat(b, &fb), 0);
	assert_int_equal(fa.st_ino, fb.st_ino);
	assert_int_equal(getsockopt(b, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al), 0);
	assert_int_equal(acc, 1);
}

/* lb_handover_fetch from a thread (the socket is served by the test's loop). */
struct fetch_job {
	const char	*path;
	pid_t		 expect[2];
	int		 nexpect;
	int		 fds[8];
	int		 n;
	int		 err;
	pid_t		 from;
};

static void
fetch_fn(void *arg)
{
	struct fetch_job *f = arg;

	f->n = lb_handover_fetch(f->path, f->expect, f->nexpect, f->fds, 8, &f->from);
	f->err = errno;
}

static void
fetch(struct event_base *base, struct fetch_job *f)
{
	static struct fx_client j;

	memset(&j, 0, sizeof(j));
	j.fn = fetch_fn;
	j.arg = f;
	fx_client_run(base, &j);
}

static int
open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static void
test_getsocks(void **state)
{
	struct event_base *base = event_base_new();
	struct fetch_job f;
	struct lb_cli *cli;
	char path[100];
	int flags, i, mine[8], n, before;

	(void)state;
	n = lb_proc_listen_fds(mine, 8);
	assert_true(n >= 1);
	fx_sock_path(path, sizeof(path));
	cli = lb_cli_new(base, path, 0600, LB_CLI_ADMIN);
	assert_non_null(cli);

	/* named by the request: every listener, and the sender's pid */
	memset(&f, 0, sizeof(f));
	f.path = path;
	f.expect[0] = 1;
	f.expect[1] = getpid();
	f.nexpect = 2;
	fetch(base, &f);
	assert_int_equal(f.n, n);
	assert_int_equal(f.from, getpid());
	for (i = 0; i < f.n; i++) {
		assert_int_not_equal(f.fds[i], mine[i]);
		assert_same_socket(mine[i], f.fds[i]);
		flags = fcntl(f.fds[i], F_GETFD);
		assert_true(flags & FD_CLOEXEC);
		close(f.fds[i]);
	}

	/* a request for another process: the sender hands nothing over, and says who it is */
	before = open_fds();
	memset(&f, 0, sizeof(f));
	f.path = path;
	f.expect[0] = 1;
	f.nexpect = 1;
	fetch(base, &f);
	assert_int_equal(f.n, 0);
	assert_int_equal(f.from, getpid());
	assert_int_equal(open_fds(), before);

	/* nothing listening at the VIP (admin down): zero descriptors, not an error */
	{
		size_t ns = lb_proc.snap->listeners[0].n_socks;

		lb_proc.snap->listeners[0].n_socks = 0;
		memset(&f, 0, sizeof(f));
		f.path = path;
		f.expect[0] = getpid();
		f.nexpect = 1;
		fetch(base, &f);
		assert_int_equal(f.n, 0);
		lb_proc.snap->listeners[0].n_socks = ns;
	}
	lb_cli_free(cli);

	/* no old process */
	assert_int_equal(lb_handover_fetch(path, f.expect, 1, mine, 8, &f.from), -1);
	assert_true(errno == ENOENT || errno == ECONNREFUSED);
	event_base_free(base);
}

/* A fake peer at path: answers one connection as mode says. */
enum peer_mode {
	PEER_TEXT,	/* an error text, as HAProxy or an unrelated CLI would */
	PEER_OLD,	/* lbproxy's first protocol: "LBS1" and no pid */
	PEER_BARE,	/* ignores the pids asked for: hands its listener over anyway */
};

struct peer {
	int		 ls;
	enum peer_mode	 mode;
	char		 request[128];
};

static void *
peer_thread(void *arg)
{
	struct peer *p = arg;
	char old[8] = { 'L', 'B', 'S', '1', 0, 0, 0, 0 };
	int c, fd;
	ssize_t r;

	c = accept(p->ls, NULL, NULL);
	if (c < 0)
		return NULL;
	r = recv(c, p->request, sizeof(p->request) - 1, 0);
	p->request[r > 0 ? r : 0] = '\0';
	switch (p->mode) {
	case PEER_TEXT:
		(void)send(c, "Unknown command.\n", 17, MSG_NOSIGNAL);
		break;
	case PEER_OLD:
		(void)send(c, old, sizeof(old), MSG_NOSIGNAL);
		break;
	case PEER_BARE:
		fd = fx_lst->fd;
		(void)lb_handover_send(c, "", &fd, 1);
		break;
	}
	close(c);
	return NULL;
}

static int
peer_fetch(enum peer_mode mode, pid_t *from, char *request, size_t size)
{
	static struct peer p;
	struct sockaddr_un sa;
	char path[100];
	pthread_t t;
	pid_t expect = 1;
	int fds[4], n;

	fx_sock_path(path, sizeof(path));
	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.ls = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(p.ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p.ls, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, peer_thread, &p), 0);
	n = lb_handover_fetch(path, &expect, 1, fds, 4, from);
	pthread_join(t, NULL);
	close(p.ls);
	unlink(path);
	snprintf(request, size, "%s", p.request);
	return n;
}

/* Peers that are not this protocol's lbproxy, or that hand over regardless: nothing taken. */
static void
test_getsocks_bad_peer(void **state)
{
	char request[128];
	pid_t from;
	int before = open_fds();

	(void)state;
	assert_int_equal(peer_fetch(PEER_TEXT, &from, request, sizeof(request)), -1);
	assert_int_equal(errno, EPROTO);
	/* the request names the process being replaced */
	assert_string_equal(request, "_getsocks 1\n");
	assert_int_equal(peer_fetch(PEER_OLD, &from, request, sizeof(request)), -1);
	assert_int_equal(errno, EPROTO);
	/* a sender that is not the pid asked for: its descriptors are closed */
	assert_int_equal(peer_fetch(PEER_BARE, &from, request, sizeof(request)), 0);
	assert_int_equal(from, getpid());
	assert_int_equal(open_fds(), before);
}

/* A listening TCP socket on 127.0.0.1, any port; *sin gets its address. */
static int
tcp_listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)sin, sizeof(*sin)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)sin, &len), 0);
	return s;
}

/* Only sockets bound (family, address, port) where the config listens are kept. */
static void
test_keep(void **state)
{
	struct sockaddr_storage addrs[2];
	socklen_t lens[2];
	struct sockaddr_in a, b, any;
	int fds[4], la, lb, udp, n;

	(void)state;
	la = tcp_listener(&a);
	lb = tcp_listener(&b);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(udp, (struct sockaddr *)&a, sizeof(a)), 0);	/* same port, UDP */
	fds[0] = dup(lb);
	fds[1] = dup(la);
	fds[2] = udp;
	fds[3] = dup(la);
	memcpy(&addrs[0], &a, sizeof(a));
	lens[0] = sizeof(a);
	any = a;
	any.sin_addr.s_addr = htonl(INADDR_ANY);	/* same port, other address */
	memcpy(&addrs[1], &any, sizeof(any));
	lens[1] = sizeof(any);
	n = lb_handover_keep(fds, 4, addrs, lens, 2, 4242);
	assert_int_equal(n, 2);
	assert_true(lb_listener_bound_to(fds[0], (struct sockaddr *)&a, sizeof(a)));
	assert_true(lb_listener_bound_to(fds[1], (struct sockaddr *)&a, sizeof(a)));
	assert_false(lb_listener_bound_to(lb, (struct sockaddr *)&a, sizeof(a)));
	assert_int_equal(fcntl(udp, F_GETFD), -1);	/* refused ones are closed */
	close(fds[0]);
	close(fds[1]);
	/* no address in the config (VIP admin down): nothing is kept */
	fds[0] = dup(la);
	assert_int_equal(lb_handover_keep(fds, 1, addrs, lens, 0, 4242), 0);
	assert_int_equal(fcntl(fds[0], F_GETFD), -1);
	close(la);
	close(lb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_getsocks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_getsocks_bad_peer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_keep, fx_setup, fx_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

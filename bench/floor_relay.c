/*
 * floor_relay.c: the least a userspace TCP relay can do, as the floor for
 * bench/run's TCP scenario (issue 16): accept, connect to the next backend
 * (round robin), then per message one recv() and one send() each way, one
 * edge-triggered epoll set per process, no timers, no logging, no limits.
 * Anything a real proxy does beyond this (timeouts, stats, balancing state,
 * health) is what its CPU per request above the floor pays for.
 *
 *   floor_relay -l ADDR:PORT [-w N] BACKEND:PORT...
 *
 * -w N forks N processes sharing the listening socket (EPOLLEXCLUSIVE), as
 * the proxies' workers share theirs.  SIGTERM ends it.  Built by bench/run
 * with cc -O2; not part of lbproxy.
 */
#define _GNU_SOURCE		/* accept4 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE	16384
#define MAX_BACKENDS	16
#define MAX_EVENTS	256

/* One direction: bytes read from "from" and not yet written to "to". */
struct half {
	int		 from;
	int		 to;
	size_t		 off;
	size_t		 len;
	bool		 hup;		/* from reported a FIN: read up to EOF */
	bool		 eof;		/* from said EOF; to was shut for writing */
	char		 buf[BUF_SIZE];
};

/* What an epoll event points at: one end of a relay. */
struct end {
	struct relay	*r;
	bool		 backend;
};

/* A client and its backend connection; freed when both halves are done. */
struct relay {
	struct half	 up;		/* client -> backend */
	struct half	 down;		/* backend -> client */
	struct end	 client_end;
	struct end	 backend_end;
	bool		 dead;		/* closed; freed after the event batch */
};

static struct sockaddr_in backends[MAX_BACKENDS];
static size_t n_backends, next_backend;
static int ep;

static void __attribute__((noreturn))
die(const char *what)
{
	perror(what);
	exit(1);
}

/* "1.2.3.4:80" into sin; -1 if it is not that. */
static int
parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static void
relay_close(struct relay *r)
{
	close(r->up.from);
	close(r->down.from);
	/* events already fetched for this relay in this batch are skipped */
	r->dead = true;
}

/*
 * Move what h can: first what is pending, then one recv and one send per
 * message until the source is drained (a short read) or the sink is full
 * (EPOLLOUT on the sink calls us again).  -1: the relay must close.
 */
static int
pump(struct half *h)
{
	bool drained = false;
	ssize_t n;

	for (;;) {
		while (h->off < h->len) {
			n = send(h->to, h->buf + h->off, h->len - h->off,
			    MSG_NOSIGNAL);
			if (n == -1)
				return errno == EAGAIN ? 0 : -1;
			h->off += (size_t)n;
		}
		if (h->eof || drained)
			return 0;
		n = recv(h->from, h->buf, sizeof(h->buf), 0);
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0) {
			h->eof = true;
			shutdown(h->to, SHUT_WR);
			return 0;
		}
		h->off = 0;
		h->len = (size_t)n;
		/*
		 * A short read emptied the socket: send, then wait for the
		 * next edge; unless a FIN came with the data (no edge follows).
		 */
		drained = (size_t)n < sizeof(h->buf) && !h->hup;
	}
}

static void
watch(int fd, struct end *e, struct relay *r, bool backend)
{
	struct epoll_event ev;

	e->r = r;
	e->backend = backend;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = e;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl");
}

/* Accept everything waiting; each client gets the next backend. */
static void
accept_all(int lfd)
{
	struct sockaddr_in *b;
	struct relay *r;
	int c, s, one = 1;

	while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
		if ((s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1) {
			close(c);
			continue;
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		b = &backends[next_backend++ % n_backends];
		if (connect(s, (struct sockaddr *)b, sizeof(*b)) == -1 &&
		    errno != EINPROGRESS) {
			close(c);
			close(s);
			continue;
		}
		if ((r = calloc(1, sizeof(*r))) == NULL)
			die("calloc");
		r->up.from = r->down.to = c;
		r->up.to = r->down.from = s;
		watch(c, &r->client_end, r, false);
		watch(s, &r->backend_end, r, true);
	}
}

static void __attribute__((noreturn))
serve(int lfd)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	struct relay *dead[MAX_EVENTS];
	size_t n_dead, k;
	struct end *e;
	struct relay *r;
	struct half *h;
	int i, n, fail;

	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1");
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		die("epoll_ctl");
	for (;;) {
		if ((n = epoll_wait(ep, evs, MAX_EVENTS, -1)) == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		n_dead = 0;
		for (i = 0; i < n; i++) {
			if ((e = evs[i].data.ptr) == NULL) {
				accept_all(lfd);
				continue;
			}
			r = e->r;
			if (r->dead)
				continue;
			fail = 0;
			/* readable: the half it feeds; writable: the half it drains */
			h = e->backend ? &r->down : &r->up;
			if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				h->hup = true;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				fail |= pump(h);
			if (evs[i].events & (EPOLLOUT | EPOLLERR))
				fail |= pump(e->backend ? &r->up : &r->down);
			if (fail || (r->up.eof && r->down.eof &&
			    r->up.off == r->up.len && r->down.off == r->down.len)) {
				relay_close(r);
				dead[n_dead++] = r;
			}
		}
		for (k = 0; k < n_dead; k++)
			free(dead[k]);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in lsin;
	int ch, lfd, one = 1, workers = 1, i;
	const char *listen_at = NULL;

	while ((ch = getopt(argc, argv, "l:w:")) != -1) {
		switch (ch) {
		case 'l':
			listen_at = optarg;
			break;
		case 'w':
			workers = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (listen_at == NULL || parse_addr(listen_at, &lsin) == -1 ||
	    optind == argc || workers < 1)
		goto usage;
	for (i = optind; i < argc && n_backends < MAX_BACKENDS; i++)
		if (parse_addr(argv[i], &backends[n_backends++]) == -1)
			goto usage;
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&lsin, sizeof(lsin)) == -1)
		die("bind");
	if (listen(lfd, 4096) == -1)
		die("listen");
	for (i = 1; i < workers; i++) {
		switch (fork()) {
		case -1:
			die("fork");
		case 0:
			serve(lfd);
		}
	}
	serve(lfd);
usage:
	fprintf(stderr, "usage: floor_relay -l ADDR:PORT [-w N] "
	    "BACKEND:PORT...\n");
	return 2;
}

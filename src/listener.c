/* listener.c: the VIP's listening socket, shared by every worker. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbproxy/listener.h"
#include "lbproxy/log.h"

/* Same family, address and port (IPv6: and scope); what getsockname() tells apart. */
static bool
same_sockaddr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

bool
lb_listener_bound_to(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int acc = 0, type = 0;
	socklen_t al = sizeof(acc), tl = sizeof(type);

	if (len < sizeof(struct sockaddr) || getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == -1 || type != SOCK_STREAM)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) == -1 || !acc)
		return false;
	return same_sockaddr((const struct sockaddr *)&ss, addr);
}

static struct lb_listener *
wrap(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct lb_listener *l = lb_xcalloc(1, sizeof(*l));

	l->fd = fd;
	atomic_init(&l->refcnt, 1);
	memcpy(&l->addr, addr, len);
	l->addrlen = len;
	lb_addr_fmt(addr, l->name, sizeof(l->name));
	return l;
}

struct lb_listener *
lb_listener_open(const struct sockaddr *addr, socklen_t len, int backlog,
    const int *inherited, int n_inherited)
{
	int fd, one = 1, i, saved;

	for (i = 0; i < n_inherited; i++) {
		if (inherited[i] >= 0 && lb_listener_bound_to(inherited[i], addr, len)) {
			fd = dup(inherited[i]);
			if (fd == -1)
				return NULL;
			if (lb_fd_nonblock(fd) == -1) {
				int e = errno;

				close(fd);
				errno = e;
				return NULL;
			}
			return wrap(fd, addr, len);
		}
	}
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1)
		return NULL;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	/*
	 * As HAProxy: a successor that could not take this socket over (-sf)
	 * binds beside it while this process still listens.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		goto fail;
	if (addr->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* a VIP may be configured before its address is up (keepalived standby) */
	(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	/* accepted sockets inherit TCP_NODELAY: no setsockopt per connection */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, addr, len) == -1 || listen(fd, backlog) == -1)
		goto fail;
	return wrap(fd, addr, len);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

void
lb_listener_ref(struct lb_listener *l)
{
	atomic_fetch_add(&l->refcnt, 1);
}

void
lb_listener_unref(struct lb_listener *l)
{
	if (l == NULL || atomic_fetch_sub(&l->refcnt, 1) != 1)
		return;
	if (l->fd != -1)
		close(l->fd);
	free(l);
}

void
lb_listener_close(struct lb_listener *l)
{
	if (l != NULL && l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
}

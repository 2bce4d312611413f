/* listener.h: the VIP's listening socket, shared by all workers. */
#ifndef LB_LISTENER_H
#define LB_LISTENER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "lbproxy/util.h"

struct lb_listener {
	int			 fd;
	_Atomic int		 refcnt;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 name[LB_ADDRSTRLEN];
};

/*
 * Bind and listen on addr (SO_REUSEADDR and SO_REUSEPORT, non-blocking), or
 * adopt (dup) an inherited descriptor bound to the same address from
 * inherited (takeover). Returns a new listener (refcnt 1) or NULL with errno.
 */
struct lb_listener *lb_listener_open(const struct sockaddr *addr, socklen_t len, int backlog,
    const int *inherited, int n_inherited);
/* Is fd a listening TCP socket bound to addr (family, address, port)? */
bool lb_listener_bound_to(int fd, const struct sockaddr *addr, socklen_t len);
void lb_listener_ref(struct lb_listener *l);
/* Drop a reference; the last one closes the socket. */
void lb_listener_unref(struct lb_listener *l);

/*
 * Stop listening now although sessions still reference the listener
 * (graceful stop). Only once no worker watches the descriptor any more.
 */
void lb_listener_close(struct lb_listener *l);

#endif

/*
 * handover.c: -sf takeover of listening sockets. The old process answers
 * "_getsocks" on its stats socket with one sendmsg(): a header and every
 * listening descriptor (SCM_RIGHTS); the new one receives them before it
 * binds anything. A stats socket path may be shared by mistake with another
 * load balancer's process, so both ends check pids: the request names the
 * processes being replaced and the sender refuses when it is not one of
 * them; the reply names the sender and the receiver keeps nothing from a
 * process it was not told to replace. Of what it keeps, the receiver adopts
 * only sockets bound where its config listens; the rest is bound afresh.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbproxy/handover.h"
#include "lbproxy/listener.h"
#include "lbproxy/log.h"
#include "lbproxy/util.h"

#define HANDOVER_MAX_FDS	64	/* descriptors in one answer */
#define HANDOVER_MAX_PIDS	16	/* pids named in one request (-sf's limit) */
#define FETCH_TIMEOUT_S		5

/* The answer's data: this header, nothing else. "LBS1" (no pid) is refused. */
#define HANDOVER_MAGIC		"LBS2"
struct handover_hdr {
	char		magic[4];
	uint32_t	count;		/* descriptors attached (SCM_RIGHTS) */
	uint32_t	pid;		/* the sender */
};

/* Control buffer for up to HANDOVER_MAX_FDS descriptors, aligned for cmsghdr. */
union handover_cbuf {
	char		buf[CMSG_SPACE(sizeof(int) * HANDOVER_MAX_FDS)];
	struct cmsghdr	align;
};

/* "1.2.3.4:80" for the socket fd is bound to, "?" if it has no inet address. */
static const char *
sock_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		snprintf(buf, size, "?");
		return buf;
	}
	return lb_addr_fmt((struct sockaddr *)&ss, buf, size);
}

/* Whether this process is one of the pids in args ("123 456"); true when none is named. */
static bool
requested(const char *args, pid_t self, char *names, size_t size)
{
	char copy[256], *save = NULL, *w;
	bool any = false, me = false;
	long v;

	snprintf(copy, sizeof(copy), "%s", args);
	names[0] = '\0';
	for (w = strtok_r(copy, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		any = true;
		if (lb_parse_long(w, 1, INT32_MAX, &v) == 0 && (pid_t)v == self)
			me = true;
		if (strlen(names) + strlen(w) + 2 < size)
			snprintf(names + strlen(names), size - strlen(names), "%s%s",
			    names[0] != '\0' ? " " : "", w);
	}
	return !any || me;
}

/* The pid of the process at the other end of the connected Unix socket fd, or 0. */
static pid_t
peer_pid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return 0;
	return cr.pid;
}

int
lb_handover_send(int fd, const char *args, const int *fds, int n)
{
	pid_t self = getpid();
	struct handover_hdr hdr;
	struct iovec iov;
	struct msghdr msg;
	union handover_cbuf cbuf;
	struct cmsghdr *cm;
	char names[128];
	ssize_t r;

	if (n < 0)
		n = 0;
	if (n > HANDOVER_MAX_FDS)
		n = HANDOVER_MAX_FDS;
	if (!requested(args, self, names, sizeof(names))) {
		lb_notice("stats socket: _getsocks for pid %s refused: this is pid %ld, "
		    "not a process being replaced", names, (long)self);
		n = 0;
	}
	memcpy(hdr.magic, HANDOVER_MAGIC, sizeof(hdr.magic));
	hdr.count = (uint32_t)n;
	hdr.pid = (uint32_t)self;
	iov.iov_base = &hdr;
	iov.iov_len = sizeof(hdr);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (n > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}
	do
		r = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r != (ssize_t)sizeof(hdr)) {
		lb_warn("stats socket: cannot hand over %d listener(s): %s", n,
		    r == -1 ? strerror(errno) : "short write");
		return -1;
	}
	if (n > 0)
		lb_notice("stats socket: handed %d listening socket(s) over to pid %ld", n,
		    (long)peer_pid(fd));
	return 0;
}

/* recvmsg with the socket's timeout; collects SCM_RIGHTS descriptors into got. */
static ssize_t
recv_with_fds(int s, void *buf, size_t len, int *got, int *ngot, int cap, bool *truncated)
{
	union handover_cbuf cbuf;
	struct iovec iov = { buf, len };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t r;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	do
		r = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if (msg.msg_flags & MSG_CTRUNC)
		*truncated = true;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t n, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*ngot < cap)
				got[(*ngot)++] = fd;
			else {
				close(fd);
				*truncated = true;
			}
		}
	}
	return r;
}

/* A blocking connection to the Unix socket at path, with send and receive timeouts. */
static int
connect_unix(const char *path)
{
	struct sockaddr_un sa_un;
	struct timeval tv = { FETCH_TIMEOUT_S, 0 };
	int s, err;

	if (strlen(path) >= sizeof(sa_un.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sa_un, 0, sizeof(sa_un));
	sa_un.sun_family = AF_UNIX;
	memcpy(sa_un.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s == -1)
		return -1;
	/* blocking on purpose (before the event loop), but never for long */
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(s, (struct sockaddr *)&sa_un, sizeof(sa_un)) == -1) {
		err = errno;
		close(s);
		errno = err;
		return -1;
	}
	return s;
}

/* "_getsocks 12 34\n" naming expect[]. Returns the length written to buf. */
static size_t
request_line(char *buf, size_t size, const pid_t *expect, int nexpect)
{
	size_t len = (size_t)snprintf(buf, size, "_getsocks");
	int i;

	for (i = 0; i < nexpect && i < HANDOVER_MAX_PIDS && len + 12 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, " %ld", (long)expect[i]);
	len += (size_t)snprintf(buf + len, size - len, "\n");
	return len;
}

/* Close got[0..n) received from a process -sf did not name, one log line each. */
static void
refuse_all(const int *got, int n, pid_t from)
{
	char name[LB_ADDRSTRLEN];
	int i;

	for (i = 0; i < n; i++) {
		lb_warn("takeover: listener %s from pid %ld refused: not a process named by -sf",
		    sock_name(got[i], name, sizeof(name)), (long)from);
		close(got[i]);
	}
}

int
lb_handover_fetch(const char *path, const pid_t *expect, int nexpect, int *fds, int max,
    pid_t *from)
{
	struct handover_hdr hdr;
	char req[16 + HANDOVER_MAX_PIDS * 12];
	int got[HANDOVER_MAX_FDS];
	int s, ngot = 0, ret = -1, err = 0, i;
	bool truncated = false, named = false;
	size_t have = 0, reqlen;
	ssize_t r;

	*from = 0;
	if ((s = connect_unix(path)) == -1)
		return -1;
	reqlen = request_line(req, sizeof(req), expect, nexpect);
	do
		r = send(s, req, reqlen, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r != (ssize_t)reqlen) {
		err = r == -1 ? errno : EIO;
		goto out;
	}
	while (have < sizeof(hdr)) {
		r = recv_with_fds(s, (char *)&hdr + have, sizeof(hdr) - have, got, &ngot,
		    HANDOVER_MAX_FDS, &truncated);
		if (r == -1) {
			err = errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
			goto out;
		}
		if (r == 0) {
			err = EPROTO;	/* closed early: not an lbproxy, or an error text */
			goto out;
		}
		have += (size_t)r;
	}
	if (memcmp(hdr.magic, HANDOVER_MAGIC, sizeof(hdr.magic)) != 0 ||
	    hdr.count != (uint32_t)ngot || truncated) {
		err = truncated ? EMSGSIZE : EPROTO;
		goto out;
	}
	*from = (pid_t)hdr.pid;
	for (i = 0; i < nexpect; i++)
		named = named || expect[i] == *from;
	ret = 0;
	if (!named) {
		refuse_all(got, ngot, *from);
		ngot = 0;
		goto out;
	}
	for (i = 0; i < ngot; i++) {
		if (ret < max)
			fds[ret++] = got[i];
		else
			close(got[i]);
	}
	ngot = 0;
out:
	for (i = 0; i < ngot; i++)
		close(got[i]);
	close(s);
	if (ret == -1)
		errno = err;
	return ret;
}

int
lb_handover_keep(int *fds, int n, const struct sockaddr_storage *addrs, const socklen_t *lens,
    int naddrs, pid_t from)
{
	char name[LB_ADDRSTRLEN];
	int i, j, kept = 0;

	for (i = 0; i < n; i++) {
		bool ours = false;

		for (j = 0; j < naddrs && !ours; j++)
			ours = lb_listener_bound_to(fds[i], (const struct sockaddr *)&addrs[j], lens[j]);
		sock_name(fds[i], name, sizeof(name));
		if (!ours) {
			lb_notice("takeover: listener %s from pid %ld refused: this config does not "
			    "listen there", name, (long)from);
			close(fds[i]);
			continue;
		}
		lb_notice("takeover: listener %s taken over from the previous process (pid %ld)",
		    name, (long)from);
		fds[kept++] = fds[i];
	}
	return kept;
}

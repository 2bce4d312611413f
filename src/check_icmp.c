/*
 * check_icmp.c: the PING check, one ICMP (or ICMPv6) echo request per check
 * on a socket of its own. An unprivileged "ping" datagram socket is tried
 * first; where net.ipv4.ping_group_range refuses it, a raw socket (needs
 * CAP_NET_RAW). Only the reply carrying our sequence number and random
 * cookie (and identifier, on raw sockets) counts; anything else is ignored
 * until the deadline.
 */
#include "config.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "lbproxy/member.h"

#include "check.h"

#define ICMP4_ECHO_REPLY	0
#define ICMP4_ECHO_REQUEST	8
#define ICMP6_ECHO_REPLY_T	129
#define ICMP6_ECHO_REQUEST_T	128
#define ICMP_HDR_LEN		8
#define COOKIE_LEN		16
/* Linux raw IPv4 ICMP type filter (linux/icmp.h ICMP_FILTER): set bits are dropped. */
#ifndef SOL_RAW
#define SOL_RAW			255
#endif
#define LB_ICMP_FILTER		1

struct icmp_check {
	struct lb_check		c;	/* first: the check is freed through it */
	int			fd;
	struct event		*ev;
	int			af;
	bool			raw;
	uint16_t		id;
	uint16_t		seq;
	unsigned char		cookie[COOKIE_LEN];
	struct sockaddr_storage	dst;
	socklen_t		dstlen;
};

/* Sequence numbers of this process's echo requests. */
static uint16_t next_seq;

static void
icmp_release(struct lb_check *c)
{
	struct icmp_check *ic = (struct icmp_check *)c;

	if (ic->ev != NULL)
		event_free(ic->ev);
	ic->ev = NULL;
	if (ic->fd != -1)
		close(ic->fd);
	ic->fd = -1;
}

/* Internet checksum (RFC 1071). */
static uint16_t
cksum(const unsigned char *p, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len == 1)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

bool
lb_check_icmp_match(const void *pkt, size_t len, int af, bool raw, uint16_t id,
    uint16_t seq, const unsigned char *cookie, size_t cookie_len)
{
	const unsigned char *p = pkt;
	size_t ihl;

	/* raw IPv4 sockets hand us the IP header too; IPv6 and ping sockets do not */
	if (af == AF_INET && raw) {
		if (len < 20 || (p[0] >> 4) != 4)
			return false;
		ihl = (size_t)(p[0] & 0x0f) * 4;
		if (ihl < 20 || ihl > len)
			return false;
		p += ihl;
		len -= ihl;
	}
	if (len < ICMP_HDR_LEN + cookie_len)
		return false;
	if (p[0] != (af == AF_INET ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REPLY_T) || p[1] != 0)
		return false;
	if (raw && (p[4] != id >> 8 || p[5] != (id & 0xff)))
		return false;
	if (p[6] != seq >> 8 || p[7] != (seq & 0xff))
		return false;
	return memcmp(p + ICMP_HDR_LEN, cookie, cookie_len) == 0;
}

/* Whether sa is the address we pinged. */
static bool
from_member(const struct icmp_check *ic, const struct sockaddr_storage *sa)
{
	if (sa->ss_family != ic->af)
		return false;
	if (ic->af == AF_INET)
		return memcmp(&((const struct sockaddr_in *)sa)->sin_addr,
		    &((const struct sockaddr_in *)&ic->dst)->sin_addr, sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
	    &((const struct sockaddr_in6 *)&ic->dst)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* Read every queued packet; our reply ends the check, the rest is ignored. */
static void
recv_cb(evutil_socket_t fd, short what LB_UNUSED, void *arg)
{
	struct icmp_check *ic = arg;
	unsigned char buf[1500];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			/* an error (e.g. a queued ICMP error) is no verdict: wait for the deadline */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			return;
		}
		if (from_member(ic, &from) && lb_check_icmp_match(buf, (size_t)n, ic->af, ic->raw,
		    ic->id, ic->seq, ic->cookie, sizeof(ic->cookie))) {
			lb_check_finish(&ic->c, true, LB_CHK_L4OK, 0, "echo reply");
			return;
		}
	}
}

/* Open a ping socket, or a raw one where ping sockets are not allowed. */
static int
icmp_socket(struct icmp_check *ic)
{
	int proto = ic->af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd, err;

	fd = socket(ic->af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd != -1)
		return fd;
	err = errno;
	fd = socket(ic->af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd == -1) {
		errno = err;	/* the ping socket's refusal is the more useful reason */
		return -1;
	}
	ic->raw = true;
	if (ic->af == AF_INET) {
		uint32_t filt = ~(1U << ICMP4_ECHO_REPLY);

		(void)setsockopt(fd, SOL_RAW, LB_ICMP_FILTER, &filt, sizeof(filt));
	} else {
		struct icmp6_filter f6;

		ICMP6_FILTER_SETBLOCKALL(&f6);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f6);
		(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f6, sizeof(f6));
	}
	return fd;
}

/* Random bytes for the cookie and identifier (getrandom, or a hash of the clock). */
static void
random_fill(void *buf, size_t len)
{
	static uint64_t counter;
	unsigned char *p = buf;
	uint64_t seed[3], h;
	size_t i;

	if (getrandom(buf, len, GRND_NONBLOCK) == (ssize_t)len)
		return;
	seed[0] = lb_now_ms();
	seed[1] = (uint64_t)getpid();
	seed[2] = ++counter;
	h = lb_hash64(seed, sizeof(seed), 0);
	for (i = 0; i < len; i++) {
		if (i % 8 == 0 && i > 0)
			h = lb_hash64(&h, sizeof(h), i);
		p[i] = (unsigned char)(h >> (8 * (i % 8)));
	}
}

/* Build and send the echo request; failures end the check. */
static void
icmp_send(struct icmp_check *ic)
{
	unsigned char pkt[ICMP_HDR_LEN + COOKIE_LEN];
	uint16_t sum;

	pkt[0] = ic->af == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST_T;
	pkt[1] = 0;
	pkt[2] = pkt[3] = 0;
	pkt[4] = (unsigned char)(ic->id >> 8);
	pkt[5] = (unsigned char)(ic->id & 0xff);
	pkt[6] = (unsigned char)(ic->seq >> 8);
	pkt[7] = (unsigned char)(ic->seq & 0xff);
	memcpy(pkt + ICMP_HDR_LEN, ic->cookie, COOKIE_LEN);
	/* the kernel fills in the ICMPv6 checksum (it covers a pseudo-header) */
	if (ic->af == AF_INET) {
		sum = cksum(pkt, sizeof(pkt));
		pkt[2] = (unsigned char)(sum >> 8);
		pkt[3] = (unsigned char)(sum & 0xff);
	}
	if (sendto(ic->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ic->dst, ic->dstlen) == -1)
		lb_check_finish(&ic->c, false, LB_CHK_L4CON, 0, "echo request: %s",
		    strerror(errno));
}

struct lb_check *
lb_check_icmp_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm LB_UNUSED, int timeout_ms, lb_check_done_cb done, void *arg)
{
	struct icmp_check *ic;

	ic = (struct icmp_check *)lb_check_new(sizeof(*ic), base, timeout_ms, icmp_release,
	    done, arg);
	if (ic == NULL)
		return NULL;
	ic->fd = -1;
	lb_check_phase(&ic->c, LB_CHK_L4TOUT, "no echo reply");
	ic->af = m->check_addr.ss_family;
	if (m->check_addrlen == 0 || (ic->af != AF_INET && ic->af != AF_INET6)) {
		lb_check_finish(&ic->c, false, LB_CHK_SOCKERR, 0, "no member address");
		return &ic->c;
	}
	memcpy(&ic->dst, &m->check_addr, m->check_addrlen);
	ic->dstlen = m->check_addrlen;
	/* the port means nothing to ICMP; IPv6 raw sockets even refuse one */
	if (ic->af == AF_INET)
		((struct sockaddr_in *)&ic->dst)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ic->dst)->sin6_port = 0;
	random_fill(ic->cookie, sizeof(ic->cookie));
	random_fill(&ic->id, sizeof(ic->id));
	ic->seq = ++next_seq;

	ic->fd = icmp_socket(ic);
	if (ic->fd == -1) {
		lb_check_finish(&ic->c, false, LB_CHK_SOCKERR, 0, "ICMP socket: %s",
		    strerror(errno));
		return &ic->c;
	}
	ic->ev = event_new(base, ic->fd, EV_READ | EV_PERSIST, recv_cb, ic);
	if (ic->ev == NULL || event_add(ic->ev, NULL) == -1) {
		lb_check_finish(&ic->c, false, LB_CHK_SOCKERR, 0, "cannot add ICMP event");
		return &ic->c;
	}
	icmp_send(ic);
	return &ic->c;
}

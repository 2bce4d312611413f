/* util.h: small helpers shared by every module (time, memory, addresses). */
#ifndef LB_UTIL_H
#define LB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LB_UNUSED __attribute__((unused))
#define LB_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Longest "[addr]:port" text lb_addr_fmt writes, with its NUL. */
#define LB_ADDRSTRLEN 64

/* Monotonic clock in milliseconds; never goes backwards. */
uint64_t lb_now_ms(void);
/* Wall clock in seconds (for stats "lastchg" and logs). */
int64_t lb_wall_s(void);

/* Allocation that aborts on out-of-memory (config and setup only, never per request). */
void *lb_xmalloc(size_t n);
void *lb_xcalloc(size_t n, size_t size);
void *lb_xrealloc(void *p, size_t n);
char *lb_xstrdup(const char *s);
/* Returns a new string (caller frees) or NULL. */
char *lb_asprintf(const char *fmt, ...) LB_PRINTF(1, 2);

/*
 * Parse an IPv4 or IPv6 literal and a port into ss; returns 0, or -1 if addr
 * is not a literal address.
 */
int lb_addr_parse(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len);
/* Format sa as "1.2.3.4:80" or "[::1]:80" into buf (LB_ADDRSTRLEN); returns buf. */
const char *lb_addr_fmt(const struct sockaddr *sa, char *buf, size_t size);
/* Format only the host part of sa ("1.2.3.4" or "::1"); returns buf. */
const char *lb_addr_host(const struct sockaddr *sa, char *buf, size_t size);
/* Port of sa in host order. */
int lb_addr_port(const struct sockaddr *sa);
/* Set the port of an AF_INET or AF_INET6 sa. */
void lb_addr_set_port(struct sockaddr *sa, int port);

/* 64-bit FNV-1a followed by a final avalanche; stable across processes and hosts. */
uint64_t lb_hash64(const void *data, size_t len, uint64_t seed);

/* Strict decimal integer in [lo, hi] (no sign games, no trailing text); returns 0 or -1. */
int lb_parse_long(const char *s, long lo, long hi, long *out);

/* path made absolute against dir unless it is already, leading "./" dropped (new string). */
char *lb_path_resolve(const char *dir, const char *path);

/* Set O_NONBLOCK and FD_CLOEXEC on fd; returns 0 or -1. */
int lb_fd_nonblock(int fd);

#endif

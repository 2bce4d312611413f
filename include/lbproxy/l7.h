/*
 * l7.h: a listener's L7 policies compiled for matching (SPEC 10). Built with
 * the snapshot on the main thread, read-only afterwards; matching allocates
 * nothing: regular expressions (PCRE2, JIT-compiled) run with a match-data
 * block each worker owns.
 */
#ifndef LB_L7_H
#define LB_L7_H

#include <stddef.h>

#include <openssl/ssl.h>

struct lb_http_msg;
struct lb_l7;
struct lb_l7policy_conf;
struct lb_listener_conf;

/*
 * Compile lc's policies (already in evaluation order). Returns NULL when lc has none,
 * or on error with err filled (the config check already compiled every
 * regex once, so that means out of memory).
 */
struct lb_l7 *lb_l7_compile(const struct lb_listener_conf *lc, char *err, size_t errlen);
void lb_l7_free(struct lb_l7 *l7);

/* A worker's scratch for regex matching (pcre2_match_data); NULL if out of memory. */
void *lb_l7_scratch_new(void);
void lb_l7_scratch_free(void *scratch);

/*
 * The first policy whose rules all match request m (ssl: the client's TLS
 * connection or NULL), or NULL. A REDIRECT_TO_POOL policy's redirect_pool
 * indexes the pools of the snapshot the listener belongs to.
 */
const struct lb_l7policy_conf *lb_l7_match(const struct lb_l7 *l7, const struct lb_http_msg *m,
    SSL *ssl, void *scratch);

#endif

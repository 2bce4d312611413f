/*
 * config_int.h: what the parser (config.c) hands to the validity pass
 * (config_check.c, config_lb.c). The parser only turns JSON types into C
 * types and keeps every object with the JSON path it came from; every rule
 * about values (required, ranges, names, files, references, how fields
 * combine) lives in the check pass, as HAProxy separates cfgparse from
 * check_config_validity.
 */
#ifndef LB_CONFIG_INT_H
#define LB_CONFIG_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "lbproxy/config.h"

/* A required integer the file did not give. */
#define LB_UNSET	INT_MIN

/* TLS versions as OpenSSL numbers them (the config code does not link OpenSSL). */
#define LB_TLS1_2_VERSION	0x0303
#define LB_TLS1_3_VERSION	0x0304

/* Longest JSON path we build, and longest quoted value in a message. */
#define LB_PATH_MAX	192
#define LB_QUOTE_MAX	72

/* How an object was given in the file. */
enum lb_seen {
	LB_SEEN_ABSENT,		/* no key, or null */
	LB_SEEN_OBJECT,
	LB_SEEN_INVALID,	/* wrong type, already reported */
};

/* A key written under its Contrail name, so messages use the user's spelling. */
struct lb_alias {
	char	*canon;		/* "vip.protocol_port" */
	char	*used;		/* "vip.port" */
};

/* An array of strings as written. */
struct lb_strv {
	char	**v;
	size_t	  n;
};

struct lb_hm_raw {
	struct lb_hm_conf	 c;
	char			*type;
	char			*http_version;	/* "1.0", "1.1" (a number or a string) */
	int			 max_retries_down;
	char			*path;		/* "healthmonitors[1]", "loadbalancer.pools[0].healthmonitor" */
};

struct lb_member_raw {
	struct lb_member_conf	 c;
	char			*path;		/* "members[2]", "loadbalancer.pools[0].members[2]" */
};

struct lb_pool_raw {
	struct lb_pool_conf	 c;
	char			*protocol;
	char			*method;
	char			*persist_type;
	unsigned char		 seen;		/* enum lb_seen of the object itself */
	struct lb_strv		 tls_versions;
	struct lb_strv		 alpn;
	char			*key_manager_ref; /* a *_container_ref key: refused with a hint */
	const char		*ref_key;	/* ... which one */
	struct lb_member_raw	*members;
	size_t			 n_members;
	struct lb_hm_raw	*hms;		/* v1: every healthmonitors[] element; v2: one */
	size_t			 n_hms;
	bool			 ref_only;	/* {"name": ..} or {"id": ..}: names another pool */
	bool			 used_l4;	/* by a TCP or passthrough listener */
	bool			 used_l7;	/* by an HTTP or terminated listener */
	int			 first_l4;	/* the first such listener, for messages */
	int			 first_l7;
	int			 index;		/* in conf.pools, -1 for a reference */
	bool			 proto_ok;	/* protocol given and known */
};

struct lb_rule_raw {
	struct lb_l7rule_conf	 c;
	char			*type;
	char			*compare_type;
	bool			 admin_state_up;
	char			*path;
};

struct lb_policy_raw {
	struct lb_l7policy_conf	 c;
	char			*action;
	char			*redirect_pool_id;	/* redirect_pool_id, or redirect_pool {name|id} */
	int			 redirect_pool_raw;	/* redirect_pool written inline: its raw index */
	bool			 redirect_pool_obj;	/* redirect_pool_id came from redirect_pool {name|id} */
	int			 kept;		/* index in the listener's policies, or -1 (off/invalid) */
	bool			 admin_state_up;
	struct lb_rule_raw	*rules;
	size_t			 n_rules;
	size_t			 order;		/* index in the array: ties in position */
	char			*path;
};

struct lb_listener_raw {
	struct lb_listener_conf	 c;
	char			*address;	/* v1 vip.address */
	bool			 proto_ok;	/* protocol given and known */
	char			*protocol;
	char			*tls_mode;	/* v1 vip.tls.mode */
	char			*tls_min_version; /* v1 vip.tls.min_version */
	char			*client_auth;
	unsigned char		 seen_tls;
	struct lb_strv		 tls_versions;
	struct lb_strv		 alpn;
	struct lb_strv		 allowed_cidrs;
	char			*key_manager_ref;
	const char		*ref_key;
	char			*default_pool_id;	/* default_pool_id, or default_pool {name|id} */
	int			 default_pool_raw;	/* default_pool written inline: its raw index */
	bool			 default_pool_obj;	/* default_pool_id came from default_pool {name|id} */
	unsigned		 insert_given;	/* enum lb_hdr bits written in insert_headers */
	unsigned		 insert_true;	/* ... and which of those were true */
	int			 timeout_client_data;
	int			 timeout_member_connect;
	int			 timeout_member_data;
	int			 timeout_tcp_inspect;
	/* v1: the vip's session_persistence, moved to the pool by the check pass */
	char			*persist_type;
	char			*cookie_name;
	struct lb_policy_raw	*policies;
	size_t			 n_policies;
};

struct lb_parse {
	struct lb_config	 conf;		/* being built; moved out on success */
	struct lb_diag		*diag;
	bool			 lenient;	/* v2: integers and booleans may be strings */

	unsigned char		 seen_vip;	/* v1 objects, enum lb_seen */
	unsigned char		 seen_pool;
	unsigned char		 seen_lb;	/* v2 "loadbalancer" */

	struct lb_listener_raw	*listeners;
	size_t			 n_listeners;
	struct lb_pool_raw	*pools;		/* v2: pools[] first, then inline ones */
	size_t			 n_pools;

	/* v2 load balancer */
	char			*vip_address;
	struct lb_strv		 extra_vips;	/* additional_vips[].ip_address */

	/* Strings kept as written; the check pass turns them into values. */
	char			*stats_socket_mode;
	char			*log_target;
	char			*log_level;
	char			*http_reuse;
	struct lb_strv		 accept_proxy;
	bool			 insert_given;	/* v1 lbproxy.insert_headers was written */
	bool			 xff, xfproto, xfport;
	bool			 client_given;	/* timeouts the user set, for the fallbacks */
	bool			 keep_alive_given;
	bool			 http_request_given;
	bool			 maxconn_given;
	char			*tls_container;	/* Contrail custom-attributes.tls_container */

	struct lb_alias		*aliases;
	size_t			 n_aliases;
};

/*
 * The validity pass: report every problem in p->diag, fill the derived fields
 * (enums, tls_mode, http, defaults, absolute paths, references, monitors in
 * force, policies in order) and move the results into p->conf. Returns 0 if
 * it added no error, -1 otherwise.
 */
int lb_config_check(struct lb_parse *p);

/* Helpers of the check pass shared by config_check.c and config_lb.c. */
void lb_cerr(struct lb_parse *p, const char *path, const char *fmt, ...) LB_PRINTF(3, 4);
void lb_cwarn(struct lb_parse *p, const char *path, const char *fmt, ...) LB_PRINTF(3, 4);
/* s in double quotes for a message, control characters escaped, cut if long. */
const char *lb_cquote(char *buf, size_t size, const char *s);
/* "prefix.key" into buf (LB_PATH_MAX). */
const char *lb_cpath(char *buf, const char *prefix, const char *key);
bool lb_cneed_str(struct lb_parse *p, const char *path, const char *s);
bool lb_cin_range(struct lb_parse *p, const char *path, int v, int lo, int hi);
bool lb_cneed_int(struct lb_parse *p, const char *path, int v, int lo, int hi);
int lb_clookup(struct lb_parse *p, const char *path, const char *s,
    const char *const *names, size_t first, size_t n);
bool lb_is_token(const char *s);
/* Make *file absolute against the config directory; need: it must be a readable file. */
void lb_cfile(struct lb_parse *p, const char *jpath, char **file, bool need);
/* CIDR list: "10.0.0.0/8", "::1" (a host); returns the new array, count in *n. */
struct lb_cidr *lb_ccidrs(struct lb_parse *p, const char *path, const struct lb_strv *sv, size_t *n);
/* The pools, members and monitors of every pool (config_check.c). */
void lb_check_pools(struct lb_parse *p);
/* The listeners, their references to pools and their L7 policies (config_lb.c). */
void lb_check_listeners(struct lb_parse *p);
/* Whether the protocols of listeners and the pools they use fit (config_lb.c). */
void lb_check_uses(struct lb_parse *p);
/* tls_versions into min and max; alpn_protocols into enum lb_alpn values (config_lb.c). */
void lb_ctls_versions(struct lb_parse *p, const char *path, const struct lb_strv *sv,
    int *min, int *max);
void lb_calpn(struct lb_parse *p, const char *path, const struct lb_strv *sv,
    unsigned char *alpn, size_t *n, bool h2_ok);

/* The name the user wrote for canonical path (borrowed from p or path itself). */
const char *lb_config_alias(const struct lb_parse *p, const char *path);
/* Free what the structs own (not the struct itself). */
void lb_hm_conf_fini(struct lb_hm_conf *hm);
void lb_member_conf_fini(struct lb_member_conf *m);
void lb_pool_conf_fini(struct lb_pool_conf *pc);
void lb_listener_conf_fini(struct lb_listener_conf *lc);
void lb_policy_conf_fini(struct lb_l7policy_conf *pc);
void lb_strv_fini(struct lb_strv *sv);

#endif

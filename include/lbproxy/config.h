/*
 * config.h: the configuration as plain immutable structs. One model for
 * every dialect: a load balancer with listeners, pools (with their members
 * and health monitor) and L7 policies (SPEC 9, 10). A Neutron LBaaS v1
 * logical device or a Contrail conf.json (SPEC 2) is read as one listener
 * and one pool. No jansson object outlives lb_config_load(); nothing here
 * depends on libevent or OpenSSL.
 */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lbproxy/diag.h"
#include "lbproxy/priv.h"

/* Which file format the configuration was read from. */
enum lb_dialect {
	LB_DIALECT_V1,		/* Neutron LBaaS v1 logical device (pool + vip) */
	LB_DIALECT_CONTRAIL,	/* the same, as Contrail's vrouter agent writes it */
	LB_DIALECT_V2,		/* Octavia "fully populated load balancer" */
};

/* Protocols of listeners and pools; which ones each accepts is checked per use. */
enum lb_proto {
	LB_PROTO_TCP,
	LB_PROTO_HTTP,
	LB_PROTO_HTTPS,			/* v2 listener and pools: TLS passed through */
	LB_PROTO_TERMINATED_HTTPS,	/* listener: TLS ends at the VIP */
	LB_PROTO_PROMETHEUS,		/* listener: the metrics endpoint */
	LB_PROTO_PROXY,			/* pool: PROXY protocol v1 header first */
	LB_PROTO_PROXYV2,		/* pool: PROXY protocol v2 header first */
};

enum lb_method {
	LB_METHOD_ROUND_ROBIN,
	LB_METHOD_LEAST_CONNECTIONS,
	LB_METHOD_SOURCE_IP,
	LB_METHOD_SOURCE_IP_PORT,
};

enum lb_persist {
	LB_PERSIST_NONE,
	LB_PERSIST_SOURCE_IP,
	LB_PERSIST_HTTP_COOKIE,
	LB_PERSIST_APP_COOKIE,
};

enum lb_hm_type {
	LB_HM_PING,
	LB_HM_TCP,
	LB_HM_HTTP,
	LB_HM_HTTPS,
	LB_HM_TLS_HELLO,
};

/* What a listener does with TLS, decided by the check pass (SPEC 2 "HTTPS semantics", 9). */
enum lb_tls_mode {
	LB_TLS_NONE,		/* plain TCP or HTTP */
	LB_TLS_TERMINATE,	/* TLS ends at the VIP */
	LB_TLS_PASSTHROUGH,	/* bytes relayed untouched (L4) */
};

/* client_authentication of a terminating listener. */
enum lb_client_auth {
	LB_CLIENT_AUTH_NONE,
	LB_CLIENT_AUTH_OPTIONAL,
	LB_CLIENT_AUTH_MANDATORY,
};

/* ALPN protocol names a listener or pool may offer, in the order given. */
enum lb_alpn {
	LB_ALPN_H2,
	LB_ALPN_HTTP11,
	LB_ALPN_HTTP10,
};
#define LB_ALPN_MAX	3

/* How member connections are reused between requests (lbproxy.http_reuse, HAProxy's meanings). */
enum lb_http_reuse {
	LB_REUSE_SAFE,		/* a client's first request gets a connection of its own */
	LB_REUSE_ALWAYS,	/* any idle connection to the member, first request too */
	LB_REUSE_NEVER,		/* a new member connection per client connection */
};

/* Headers a listener adds to requests (insert_headers), one bit each. */
enum lb_hdr {
	LB_HDR_XFF = 1u << 0,			/* X-Forwarded-For */
	LB_HDR_XFPORT = 1u << 1,		/* X-Forwarded-Port */
	LB_HDR_XFPROTO = 1u << 2,		/* X-Forwarded-Proto */
	LB_HDR_SSL_VERIFY = 1u << 3,		/* X-SSL-Client-Verify */
	LB_HDR_SSL_HAS_CERT = 1u << 4,		/* X-SSL-Client-Has-Cert */
	LB_HDR_SSL_DN = 1u << 5,		/* X-SSL-Client-DN */
	LB_HDR_SSL_CN = 1u << 6,		/* X-SSL-Client-CN */
	LB_HDR_SSL_ISSUER = 1u << 7,		/* X-SSL-Issuer */
	LB_HDR_SSL_SHA1 = 1u << 8,		/* X-SSL-Client-SHA1 */
	LB_HDR_SSL_NOT_BEFORE = 1u << 9,	/* X-SSL-Client-Not-Before */
	LB_HDR_SSL_NOT_AFTER = 1u << 10,	/* X-SSL-Client-Not-After */
};
#define LB_HDR_SSL_ALL	(LB_HDR_SSL_VERIFY | LB_HDR_SSL_HAS_CERT | LB_HDR_SSL_DN | \
	LB_HDR_SSL_CN | LB_HDR_SSL_ISSUER | LB_HDR_SSL_SHA1 | LB_HDR_SSL_NOT_BEFORE | \
	LB_HDR_SSL_NOT_AFTER)

enum lb_l7_action {
	LB_L7_REJECT,
	LB_L7_REDIRECT_TO_URL,
	LB_L7_REDIRECT_PREFIX,
	LB_L7_REDIRECT_TO_POOL,
};

enum lb_l7_rule_type {
	LB_L7R_HOST_NAME,
	LB_L7R_PATH,
	LB_L7R_FILE_TYPE,
	LB_L7R_HEADER,
	LB_L7R_COOKIE,
	LB_L7R_SSL_CONN_HAS_CERT,
	LB_L7R_SSL_VERIFY_RESULT,
	LB_L7R_SSL_DN_FIELD,
};

enum lb_l7_compare {
	LB_L7C_EQUAL_TO,
	LB_L7C_STARTS_WITH,
	LB_L7C_ENDS_WITH,
	LB_L7C_CONTAINS,
	LB_L7C_REGEX,
};

extern const char *const lb_proto_names[];	/* [LB_PROTO_TCP] = "TCP" ... */
extern const char *const lb_method_names[];
extern const char *const lb_persist_names[];
extern const char *const lb_hm_type_names[];
extern const char *const lb_alpn_names[];	/* [LB_ALPN_H2] = "h2" ... */
extern const char *const lb_l7_action_names[];
extern const char *const lb_l7_rule_type_names[];
extern const char *const lb_l7_compare_names[];

/* An address with its length (a VIP address with the listener's port, a member). */
struct lb_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

/* One allowed_cidrs / accept_proxy element: family, network bytes, prefix length. */
struct lb_cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 net[16];	/* host bits cleared */
	unsigned	 prefix;
};

/* Whether sa (any family) is inside one of the n CIDRs. */
bool lb_cidr_match(const struct lb_cidr *v, size_t n, const struct sockaddr *sa);

/* TLS settings of a terminating listener (SPEC 4, 9, 11). */
struct lb_tls_conf {
	char	 *certificate_file;	/* absolute (resolved against the config dir) */
	char	 *private_key_file;	/* NULL: the key is in certificate_file */
	char	**sni_certificate_files;
	size_t	  n_sni;
	int	  min_version;		/* TLS1_2_VERSION (0x0303) by default */
	int	  max_version;		/* 0: the highest OpenSSL has */
	char	 *ciphers;		/* TLS <= 1.2; NULL: Mozilla intermediate */
	char	 *ciphersuites;		/* TLS 1.3; NULL: the three standard suites */
	bool	  passthrough_requested; /* v1 tls.mode == "passthrough" */
	enum lb_client_auth client_auth;
	char	 *client_ca_file;
	char	 *client_crl_file;
	unsigned char alpn[LB_ALPN_MAX]; /* enum lb_alpn, preference order */
	size_t	  n_alpn;
};

/* TLS towards the members of a pool with tls_enabled (SPEC 11). */
struct lb_pool_tls_conf {
	char	 *ca_file;		/* NULL: encrypt only, no verification (as Octavia) */
	char	 *crl_file;
	char	 *certificate_file;	/* client certificate (+ key) towards members */
	char	 *private_key_file;
	int	  min_version;
	int	  max_version;
	char	 *ciphers;
	char	 *ciphersuites;
	unsigned char alpn[LB_ALPN_MAX];
	size_t	  n_alpn;
};

struct lb_member_conf {
	char		*id;		/* id, else name, else "address:port" */
	char		*name;
	char		*address;
	int		 port;
	struct lb_addr	 addr;
	int		 weight;	/* 0..256 */
	bool		 admin_state_up;
	bool		 backup;	/* only while no other member is eligible */
	char		*monitor_address; /* NULL: address */
	int		 monitor_port;	/* 0: port */
	struct lb_addr	 check_addr;	/* where health checks go */
};

/* One "expected_codes" element: lo..hi inclusive. */
struct lb_code_range {
	int	lo;
	int	hi;
};

struct lb_hm_conf {
	char			*id;
	enum lb_hm_type		 type;
	int			 delay;		/* seconds between checks */
	int			 timeout;	/* seconds per check, <= delay */
	int			 max_retries;	/* as written (v1: fall; v2: rise) */
	int			 rise;		/* consecutive successes to come back UP */
	int			 fall;		/* consecutive failures to go DOWN */
	char			*http_method;
	char			*url_path;
	char			*expected_codes;
	struct lb_code_range	*codes;
	size_t			 n_codes;
	int			 http_version;	/* 10 or 11 */
	char			*domain_name;	/* Host of HTTP checks; NULL: the member address */
	int			 send_proxy;	/* the pool's PROXY version (1, 2) checks send first, or 0 */
	bool			 admin_state_up;
};

struct lb_persist_conf {
	enum lb_persist	 type;
	char		*cookie_name;	/* APP_COOKIE; HTTP_COOKIE: "SRV" unless given */
	int		 timeout_s;	/* SOURCE_IP / APP_COOKIE idle expiry */
};

struct lb_pool_conf {
	char			*id;		/* id, else name, else "pool-<n>" */
	char			*name;
	enum lb_proto		 protocol;	/* TCP HTTP HTTPS PROXY PROXYV2 */
	enum lb_method		 method;
	struct lb_persist_conf	 persist;
	bool			 admin_state_up;
	bool			 http;		/* used by L7 listeners: requests are balanced */
	bool			 tls_enabled;	/* re-encrypt to members */
	struct lb_pool_tls_conf	 tls;
	struct lb_member_conf	*members;
	size_t			 n_members;
	struct lb_hm_conf	*hm;		/* the monitor in force, or NULL */
	char			*path;		/* JSON path, for messages ("pool", "loadbalancer.pools[1]") */
};

/* Timeouts in milliseconds. */
struct lb_timeouts {
	int	connect;
	int	client;
	int	server;
	int	http_request;
	int	http_keep_alive;
	int	tls_handshake;
	int	drain;
};

struct lb_l7rule_conf {
	char			*id;
	enum lb_l7_rule_type	 type;
	enum lb_l7_compare	 compare;
	char			*key;		/* HEADER, COOKIE: the name; SSL_DN_FIELD: the field */
	char			*value;
	bool			 invert;
};

struct lb_l7policy_conf {
	char			*id;
	char			*name;
	int			 position;
	enum lb_l7_action	 action;
	char			*redirect_url;	/* REDIRECT_TO_URL */
	char			*redirect_prefix; /* REDIRECT_PREFIX */
	int			 redirect_pool;	/* REDIRECT_TO_POOL: index into pools */
	int			 redirect_http_code;	/* 301, 302, 303, 307, 308 */
	struct lb_l7rule_conf	*rules;		/* enabled rules only, ANDed */
	size_t			 n_rules;
};

struct lb_listener_conf {
	char			*id;		/* id, else name, else "<protocol>-<port>" */
	char			*name;
	enum lb_proto		 protocol;	/* as written (v1: the vip's) */
	int			 port;
	struct lb_addr		*addrs;		/* every VIP address, with port */
	size_t			 n_addrs;
	int			 connection_limit;	/* -1: unlimited */
	bool			 admin_state_up;
	int			 default_pool;	/* index into pools, -1: none */
	unsigned		 insert;	/* enum lb_hdr bits */
	struct lb_timeouts	 timeouts;
	int			 tcp_inspect_ms;
	struct lb_cidr		*allowed;	/* allowed_cidrs; none: everyone */
	size_t			 n_allowed;
	bool			 has_tls;	/* a tls block or a certificate was given */
	struct lb_tls_conf	 tls;
	enum lb_tls_mode	 tls_mode;
	bool			 http;		/* L7: requests parsed and balanced one by one */
	bool			 h2;		/* HTTP/2 too: by ALPN (TLS) or prior knowledge (SPEC 12) */
	int			 hsts_max_age;	/* -1: no Strict-Transport-Security */
	bool			 hsts_include_subdomains;
	bool			 hsts_preload;
	/* enabled policies with rules, in evaluation order (see lb_config_load) */
	struct lb_l7policy_conf	*policies;
	size_t			 n_policies;
	char			*path;		/* JSON path, for messages ("vip", "loadbalancer.listeners[0]") */
};

struct lb_config {
	char			*path;		/* as given with -c */
	char			*dir;		/* its directory, for relative paths */
	enum lb_dialect		 dialect;
	char			*lb_id;		/* loadbalancer id (v1: the pool id) */
	bool			 admin_state_up; /* loadbalancer.admin_state_up */

	struct lb_listener_conf	*listeners;
	size_t			 n_listeners;
	struct lb_pool_conf	*pools;
	size_t			 n_pools;

	/* the "lbproxy" block (process-wide) */
	char			*stats_socket;	/* resolved; see lbproxy.json(5) for the default */
	int			 stats_socket_mode;	/* default 0660 */
	char			*pid_file;
	int			 workers;	/* 0 = not set (use -w or CPUs) */
	int			 maxconn;	/* 0 = derive from RLIMIT_NOFILE */
	struct lb_timeouts	 timeouts;	/* defaults of every listener */
	int			 retries;	/* default 3 */
	bool			 redispatch;	/* default true */
	bool			 splice;	/* default true: splice() bulk TCP data */
	enum lb_http_reuse	 http_reuse;	/* default safe */
	int			 health_rise;	/* v1 files: successes to come back; default 2 */
	int			 health_jitter_pct; /* default 10 */
	bool			 health_fail_open; /* default false */
	int			 max_header_lines;	/* 100 */
	int			 max_header_bytes;	/* 32768 */
	int			 max_uri_bytes;		/* 8192 */
	int			 max_body_bytes;	/* 0: no limit */
	int			 log_target;	/* enum lb_log_target */
	char			*log_file;	/* LB_LOG_FILE */
	int			 log_level;	/* enum lb_log_level, default notice */
	bool			 access_log;	/* default false */
	char			*metrics_listen; /* "127.0.0.1:9101" or NULL */
	struct lb_addr		 metrics_addr;	/* len 0 when metrics_listen is NULL */
	struct lb_cidr		*accept_proxy;	/* upstreams allowed to send a PROXY header */
	size_t			 n_accept_proxy;
	struct lb_priv_conf	 priv;		/* user, group, sandbox, stats levels (priv.h) */
};

/*
 * Load and validate path. Returns a new config (free with lb_config_free), or
 * NULL with every problem recorded in diag as "json.path: reason" (syntax
 * errors carry "line L, column C"). Warnings (settings ignored the way the
 * orchestrator's own HAProxy driver ignored them) go to diag->warns; unknown
 * keys are only logged at debug level.
 */
struct lb_config *lb_config_load(const char *path, struct lb_diag *diag);
/*
 * Same, from a string (tests, fuzzing). path names the file the text came
 * from (it need not exist; NULL = "-" in the current directory): relative
 * paths in the config resolve against its directory.
 */
struct lb_config *lb_config_parse(const char *json, size_t len, const char *path, struct lb_diag *diag);
void lb_config_free(struct lb_config *conf);

/* The listener/pool with that id, or NULL (borrowed). */
const struct lb_listener_conf *lb_config_listener(const struct lb_config *c, const char *id);
const struct lb_pool_conf *lb_config_pool(const struct lb_config *c, const char *id);

/* Parse "200", "200,202", "200-299", "200-204,301"; returns 0 or -1. *out is new. */
int lb_codes_parse(const char *s, struct lb_code_range **out, size_t *n);
bool lb_codes_match(const struct lb_code_range *r, size_t n, int code);

#endif

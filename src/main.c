/*
 * main.c: command line, startup order (config, netns, takeover, bind,
 * daemonize, threads), signals, and the main thread's loop (health checks,
 * stats socket, reload).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <http_parser.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "lbproxy/cli.h"
#include "lbproxy/config.h"
#include "lbproxy/conn.h"
#include "lbproxy/mempool.h"
#include "lbproxy/diag.h"
#include "lbproxy/handover.h"
#include "lbproxy/health.h"
#include "lbproxy/listener.h"
#include "lbproxy/log.h"
#include "lbproxy/metrics.h"
#include "lbproxy/priv.h"
#include "lbproxy/proc.h"
#include "lbproxy/daemon.h"
#include "lbproxy/sandbox.h"
#include "lbproxy/snapshot.h"
#include "lbproxy/tls.h"
#include "lbproxy/worker.h"

#define EXIT_CONFIG	1
#define EXIT_RUNTIME	2
#define MAX_SF_PIDS	16

struct options {
	const char	*config;
	bool		 check_only;
	bool		 daemonize;
	const char	*pidfile;
	pid_t		 sf[MAX_SF_PIDS];
	int		 n_sf;
	const char	*netns;
	int		 workers;
	int		 verbose;
	const char	*user;		/* -u: wins over lbproxy.user */
};

static struct event *drain_ev;
static struct event *drain_deadline_ev;
static struct lb_metrics *metrics;
static struct event *tls_rotate_ev;

/* Rotate TLS ticket keys when due (the ring keeps the previous keys valid). */
static void
tls_rotate_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t i;

	for (i = 0; lb_proc.snap != NULL && i < lb_proc.snap->n_listeners; i++)
		if (lb_proc.snap->listeners[i].tls != NULL)
			lb_tls_rotate(lb_proc.snap->listeners[i].tls);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: lbproxy -c FILE [-t] [-D] [-p PIDFILE] [-sf PID ...] [--netns NAME]\n"
	    "               [-w N] [-u USER] [-v] [-V] [-h]\n"
	    "  -c FILE       pool configuration (JSON)\n"
	    "  -t            check the configuration and exit (0 valid, 1 invalid)\n"
	    "  -D            run in the background after binding\n"
	    "  -p PIDFILE    write the process id to PIDFILE\n"
	    "  -sf PID...    take over the listening sockets of PID, then make it finish\n"
	    "  --netns NAME  enter network namespace /var/run/netns/NAME before binding\n"
	    "  -w N          worker threads (default: online CPUs)\n"
	    "  -u USER       run as USER once bound (overrides lbproxy.user)\n"
	    "  -v            more logging (repeat for debug)\n"
	    "  -V            version and build features\n"
	    "  -h            this help\n");
}

static void
version(void)
{
	printf("lbproxy %s\n", PACKAGE_VERSION);
	printf("  libevent %s, %s, http-parser %lu.%lu.%lu, jansson %s\n",
	    event_get_version(), OpenSSL_version(OPENSSL_VERSION),
	    (http_parser_version() >> 16) & 255, (http_parser_version() >> 8) & 255,
	    http_parser_version() & 255, JANSSON_VERSION);
	printf("  features: TCP HTTP/1.1 TLS-termination TLS-passthrough health(TCP,HTTP,HTTPS,PING)"
	    " stats-socket(levels) takeover(-sf) prometheus netns privilege-drop seccomp-sandbox\n");
}

/* Parse argv into o; exits 1 on a usage error. */
static void
parse_args(int argc, char **argv, struct options *o)
{
	int i;
	char *end;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-c") == 0 && i + 1 < argc)
			o->config = argv[++i];
		else if (strcmp(a, "-t") == 0)
			o->check_only = true;
		else if (strcmp(a, "-D") == 0)
			o->daemonize = true;
		else if (strcmp(a, "-p") == 0 && i + 1 < argc)
			o->pidfile = argv[++i];
		else if (strcmp(a, "-sf") == 0 || strcmp(a, "-st") == 0) {
			while (i + 1 < argc && argv[i + 1][0] != '-' && o->n_sf < MAX_SF_PIDS) {
				long pid = strtol(argv[++i], &end, 10);

				if (*end != '\0' || pid <= 0) {
					fprintf(stderr, "lbproxy: -sf: '%s' is not a process id\n", argv[i]);
					exit(EXIT_CONFIG);
				}
				o->sf[o->n_sf++] = (pid_t)pid;
			}
		} else if (strcmp(a, "--netns") == 0 && i + 1 < argc)
			o->netns = argv[++i];
		else if (strcmp(a, "-w") == 0 && i + 1 < argc) {
			long n = strtol(argv[++i], &end, 10);

			if (*end != '\0' || n < 1 || n > 256) {
				fprintf(stderr, "lbproxy: -w: '%s' is not a number of workers (1..256)\n", argv[i]);
				exit(EXIT_CONFIG);
			}
			o->workers = (int)n;
		} else if (strcmp(a, "-u") == 0 && i + 1 < argc)
			o->user = argv[++i];
		else if (strcmp(a, "-v") == 0)
			o->verbose++;
		else if (strcmp(a, "-vv") == 0)
			o->verbose += 2;
		else if (strcmp(a, "-V") == 0) {
			version();
			exit(0);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else {
			fprintf(stderr, "lbproxy: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			exit(EXIT_CONFIG);
		}
	}
	if (o->config == NULL) {
		fprintf(stderr, "lbproxy: -c FILE is required\n");
		usage(stderr);
		exit(EXIT_CONFIG);
	}
}

/* Load and fully check path (TLS material included); NULL after printing every error. */
static struct lb_config *
load_checked(const char *path)
{
	struct lb_diag diag = { 0 };
	struct lb_config *conf = lb_config_load(path, &diag);

	for (size_t i = 0; conf != NULL && i < conf->n_listeners; i++) {
		SSL_CTX *ctx;

		if (conf->listeners[i].tls_mode != LB_TLS_TERMINATE)
			continue;
		if ((ctx = lb_tls_listener_new(&conf->listeners[i].tls,
		    conf->listeners[i].path, &diag)) == NULL) {
			lb_config_free(conf);
			conf = NULL;
		} else
			SSL_CTX_free(ctx);
	}
	lb_diag_print(&diag, path, stderr);
	lb_diag_fini(&diag);
	return conf;
}

static void
apply_logging(const struct lb_config *conf, int verbose)
{
	int level = conf->log_level + verbose;

	if (lb_log_open(conf->log_target, conf->log_file, level > LB_LOG_DEBUG ? LB_LOG_DEBUG : level) == -1)
		lb_warn("log file %s: %s; logging to stderr", conf->log_file, strerror(errno));
}

static bool
workers_idle(void)
{
	int i;

	for (i = 0; i < lb_proc.limits.n_workers; i++)
		if (lb_worker_sessions(lb_proc.workers[i]) > 0)
			return false;
	return true;
}

/* Graceful stop in progress: exit the main loop once every worker is idle. */
static void
drain_check_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t j, k;
	int i;

	/* close the listening socket once no worker watches it: new clients are refused */
	for (i = 0; i < lb_proc.limits.n_workers; i++)
		if (!lb_worker_accept_closed(lb_proc.workers[i]))
			break;
	if (i == lb_proc.limits.n_workers)
		for (j = 0; j < lb_proc.snap->n_listeners; j++)
			for (k = 0; k < lb_proc.snap->listeners[j].n_socks; k++)
				lb_listener_close(lb_proc.snap->listeners[j].socks[k]);
	if (workers_idle())
		event_base_loopexit(lb_proc.base, NULL);
}

static void
drain_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	lb_notice("drain deadline reached: closing the remaining connections");
	lb_proc_stop_now();
	event_base_loopexit(lb_proc.base, NULL);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct timeval deadline;
	int drain_ms;

	switch (sig) {
	case SIGHUP:
	case SIGUSR2:
		if (!atomic_load(&lb_proc.limits.stopping))
			lb_proc_reload();
		break;
	case SIGUSR1:
		if (drain_ev != NULL)
			break;
		drain_ms = lb_proc.snap->conf->timeouts.drain;
		lb_notice("graceful stop: no longer accepting, draining for up to %d ms", drain_ms);
		lb_proc_stop_graceful();
		if (lb_proc.cli != NULL) {
			lb_cli_free(lb_proc.cli);
			lb_proc.cli = NULL;
		}
		/* a successor (-sf) can bind the metrics port at once */
		lb_metrics_free(metrics);
		metrics = NULL;
		drain_ev = event_new(lb_proc.base, -1, EV_PERSIST, drain_check_cb, NULL);
		event_add(drain_ev, &(struct timeval){ 0, 20 * 1000 });
		deadline.tv_sec = drain_ms / 1000;
		deadline.tv_usec = (drain_ms % 1000) * 1000;
		drain_deadline_ev = evtimer_new(lb_proc.base, drain_deadline_cb, NULL);
		event_add(drain_deadline_ev, &deadline);
		break;
	default:
		lb_notice("signal %d: stopping", (int)sig);
		lb_proc_stop_now();
		event_base_loopexit(lb_proc.base, NULL);
		break;
	}
}

/*
 * Take the listening sockets of the processes being replaced (-sf), over
 * the stats socket: only from one of them (the socket path may be another
 * load balancer's by mistake), only those this config listens on. What is
 * not taken over is bound afresh (SO_REUSEPORT, beside the old process).
 */
static void
takeover(const struct lb_config *conf, const pid_t *sf, int n_sf)
{
	struct sockaddr_storage addrs[LB_ARRAY_SIZE(lb_proc.takeover_fds)];
	socklen_t lens[LB_ARRAY_SIZE(lb_proc.takeover_fds)];
	int n, naddrs = 0;
	size_t i, k;
	pid_t from;

	n = lb_handover_fetch(conf->stats_socket, sf, n_sf, lb_proc.takeover_fds,
	    (int)LB_ARRAY_SIZE(lb_proc.takeover_fds), &from);
	if (n < 0) {
		lb_warn("takeover: cannot fetch listeners from %s: %s; binding anew",
		    conf->stats_socket, strerror(errno));
		n = 0;
	} else if (n == 0)
		lb_notice("takeover: no listener from %s (pid %ld); binding anew",
		    conf->stats_socket, (long)from);
	for (i = 0; i < conf->n_listeners && conf->admin_state_up; i++) {
		const struct lb_listener_conf *lc = &conf->listeners[i];

		for (k = 0; lc->admin_state_up && k < lc->n_addrs &&
		    naddrs < (int)LB_ARRAY_SIZE(addrs); k++) {
			addrs[naddrs] = lc->addrs[k].ss;
			lens[naddrs++] = lc->addrs[k].len;
		}
	}
	lb_proc.n_takeover_fds = lb_handover_keep(lb_proc.takeover_fds, n, addrs, lens, naddrs,
	    from);
}

/* The start-up line: every listener with its addresses, and the sizes. */
static void
log_started(const struct lb_snapshot *snap)
{
	char line[1024], a[LB_ADDRSTRLEN];
	size_t i, k, n = 0;

	line[0] = '\0';
	for (i = 0; i < snap->n_listeners && n < sizeof(line); i++) {
		const struct lb_snap_listener *sl = &snap->listeners[i];

		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s %s %s",
		    i > 0 ? ", " : "", strcmp(sl->conf->path, "vip") == 0 ? "vip" :
		    "listener", sl->conf->id, lb_proto_names[sl->conf->protocol],
		    sl->n_socks == 0 ? "(admin down)" : "");
		for (k = 0; k < sl->n_socks && n < sizeof(line); k++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s",
			    k > 0 ? " " : "", lb_addr_fmt((const struct sockaddr *)
			    &sl->socks[k]->addr, a, sizeof(a)));
	}
	lb_notice("lbproxy %s started: %s, %zu members, %d workers, maxconn %d",
	    PACKAGE_VERSION, line, snap->n_members, lb_proc.limits.n_workers, lb_proc.limits.maxconn);
}

static int
default_workers(const struct lb_config *conf, int cli)
{
	long n;

	if (cli > 0)
		return cli;
	if (conf->workers > 0)
		return conf->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (int)n;
}

/* path made absolute against the current directory (new string). */
static char *
absolute(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return lb_xstrdup(path);
	return lb_asprintf("%s/%s", cwd, path);
}

/* Free everything the process built, whatever stage startup reached. */
static void
teardown(struct event **sigev, size_t nsig, char *pidfile)
{
	size_t i;
	int n;

	for (n = 0; n < lb_proc.limits.n_workers; n++)
		if (lb_proc.workers[n] != NULL)
			lb_worker_join(lb_proc.workers[n]);
	for (i = 0; i < nsig; i++)
		if (sigev[i] != NULL)
			event_free(sigev[i]);
	if (tls_rotate_ev != NULL)
		event_free(tls_rotate_ev);
	if (drain_ev != NULL)
		event_free(drain_ev);
	if (drain_deadline_ev != NULL)
		event_free(drain_deadline_ev);
	lb_proc_fini();
	lb_cli_free(lb_proc.cli);
	lb_metrics_free(metrics);
	lb_snapshot_unref(lb_proc.snap);
	lb_proc.snap = NULL;
	lb_proc_registry_free();
	free(lb_proc.workers);
	for (n = 0; n < lb_proc.n_takeover_fds; n++)
		close(lb_proc.takeover_fds[n]);
	if (pidfile != NULL)
		lb_pidfile_remove(pidfile);
	free(pidfile);
	if (lb_proc.base != NULL)
		event_base_free(lb_proc.base);
	lb_conn_cache_free();
	lb_mempool_thread_free();
	lb_sandbox_fini();
	lb_log_close();
}

int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct lb_diag diag = { 0 };
	struct lb_config *conf;
	const int sigs[] = { SIGHUP, SIGUSR2, SIGUSR1, SIGTERM, SIGINT };
	struct event *sigev[LB_ARRAY_SIZE(sigs)] = { 0 };
	sigset_t blocked;
	char *pidfile = NULL, *config_abs = NULL;
	int rc = EXIT_RUNTIME, n;
	enum lb_apply applied;
	long nofile;
	long long spare;
	int max_pipes;
	size_t i;

	/* before anything touches libevent */
	lb_mempool_install();
	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * An orchestrator may signal as soon as the VIP answers, before the
	 * handlers exist: hold the signals until they do.  Workers inherit the
	 * mask, so the signals are the main thread's alone.
	 */
	sigemptyset(&blocked);
	for (i = 0; i < LB_ARRAY_SIZE(sigs); i++)
		sigaddset(&blocked, sigs[i]);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);

	conf = load_checked(o.config);
	if (conf == NULL)
		return EXIT_CONFIG;
	if (lb_priv_check(conf, o.user, stderr) == -1) {
		lb_config_free(conf);
		return EXIT_CONFIG;
	}
	if (o.check_only) {
		printf("Configuration file is valid\n");
		lb_config_free(conf);
		return 0;
	}
	apply_logging(conf, o.verbose);

	if (o.netns != NULL && lb_netns_enter(o.netns) == -1) {
		fprintf(stderr, "lbproxy: cannot enter network namespace %s: %s\n", o.netns, strerror(errno));
		lb_config_free(conf);
		lb_log_close();
		return EXIT_RUNTIME;
	}
	nofile = lb_nofile_raise();
	/*
	 * Two descriptors a connection, some kept for listeners, checks and
	 * logs, and pipes for splice() for a quarter of the connections (two
	 * descriptors each), as HAProxy's maxpipes; with maxconn given, pipes
	 * get only the descriptors connections leave.
	 */
	lb_proc.limits.maxconn = conf->maxconn > 0 ? conf->maxconn :
	    nofile > 104 ? (int)((nofile - 64) * 2 / 5) : 16;
	spare = (long long)nofile - 64 - 2LL * lb_proc.limits.maxconn;
	max_pipes = (lb_proc.limits.maxconn + 3) / 4;
	if (max_pipes > spare / 2)
		max_pipes = spare > 0 ? (int)(spare / 2) : 0;
	lb_conn_set_max_pipes((unsigned)max_pipes);
	/* -D changes directory to /: reloads and the pidfile need absolute paths */
	config_abs = absolute(o.config);
	lb_proc.config_path = config_abs;
	lb_proc.pid = getpid();
	lb_proc.start_wall = lb_wall_s();
	lb_proc.start_ms = lb_now_ms();
	for (i = 0; i < LB_ARRAY_SIZE(lb_proc.takeover_fds); i++)
		lb_proc.takeover_fds[i] = -1;
	pidfile = o.pidfile != NULL ? absolute(o.pidfile) : lb_xstrdup(conf->pid_file);

	evthread_use_pthreads();
	lb_proc.base = event_base_new();
	if (lb_proc.base == NULL) {
		fprintf(stderr, "lbproxy: cannot create the event loop\n");
		lb_config_free(conf);
		goto out;
	}
	if (o.n_sf > 0)
		takeover(conf, o.sf, o.n_sf);
	if ((applied = lb_proc_apply(conf, &diag)) != LB_APPLY_OK) {
		/* a certificate that does not load is a configuration error */
		rc = applied == LB_APPLY_CONFIG ? EXIT_CONFIG : EXIT_RUNTIME;
		lb_diag_print(&diag, o.config, stderr);
		goto out;
	}
	for (n = 0; n < lb_proc.n_takeover_fds; n++)
		close(lb_proc.takeover_fds[n]);
	lb_proc.n_takeover_fds = 0;
	conf = lb_proc.snap->conf;

	lb_proc.cli = lb_cli_new(lb_proc.base, conf->stats_socket, conf->stats_socket_mode,
	    conf->priv.stats_socket_level);
	if (lb_proc.cli == NULL) {
		fprintf(stderr, "lbproxy: stats socket %s: %s\n", conf->stats_socket, strerror(errno));
		goto out;
	}
	for (i = 0; i < conf->priv.n_stats_sockets; i++) {
		const struct lb_stats_sock_conf *sc = &conf->priv.stats_sockets[i];

		if (lb_cli_add(lb_proc.cli, lb_proc.base, sc->path, sc->mode, sc->level) == -1) {
			fprintf(stderr, "lbproxy: stats socket %s: %s\n", sc->path, strerror(errno));
			goto out;
		}
	}
	if (conf->metrics_listen != NULL) {
		metrics = lb_metrics_new(lb_proc.base, conf->metrics_listen);
		if (metrics == NULL) {
			fprintf(stderr, "lbproxy: metrics listener %s: %s\n", conf->metrics_listen, strerror(errno));
			goto out;
		}
	}

	if (o.daemonize) {
		if (lb_daemonize() == -1) {
			fprintf(stderr, "lbproxy: daemonize: %s\n", strerror(errno));
			goto out;
		}
		event_reinit(lb_proc.base);
		lb_proc.pid = getpid();
	}
	if (pidfile != NULL && lb_pidfile_write(pidfile, (int)lb_proc.pid) == -1)
		lb_warn("pidfile %s: %s", pidfile, strerror(errno));
	/* everything privileged is done; threads inherit what the main thread keeps */
	if (lb_priv_drop(conf, o.user) == -1 || lb_sandbox_prepare(conf->priv.sandbox) == -1)
		goto out;

	n = default_workers(conf, o.workers);
	lb_proc.workers = lb_xcalloc((size_t)n, sizeof(*lb_proc.workers));
	for (lb_proc.limits.n_workers = 0; lb_proc.limits.n_workers < n; lb_proc.limits.n_workers++) {
		struct lb_worker *w = lb_worker_new(lb_proc.limits.n_workers, &lb_proc.limits);

		if (w == NULL || lb_worker_start(w) == -1) {
			lb_err("worker %d: cannot start", lb_proc.limits.n_workers);
			lb_proc_stop_now();
			goto out;
		}
		lb_proc.workers[lb_proc.limits.n_workers] = w;
		lb_worker_post_snapshot(w, lb_proc.snap);
	}
	lb_proc_health_start();

	for (i = 0; i < LB_ARRAY_SIZE(sigs); i++) {
		sigev[i] = evsignal_new(lb_proc.base, sigs[i], signal_cb, NULL);
		event_add(sigev[i], NULL);
	}
	pthread_sigmask(SIG_UNBLOCK, &blocked, NULL);
	tls_rotate_ev = event_new(lb_proc.base, -1, EV_PERSIST, tls_rotate_cb, NULL);
	event_add(tls_rotate_ev, &(struct timeval){ 60, 0 });
	for (i = 0; i < (size_t)o.n_sf; i++)
		if (kill(o.sf[i], SIGUSR1) == -1)
			lb_warn("-sf %d: %s", (int)o.sf[i], strerror(errno));

	lb_daemon_ready();
	log_started(lb_proc.snap);

	if (lb_sandbox_enter(LB_SANDBOX_MAIN) == -1) {
		lb_proc_stop_now();
		goto out;
	}
	event_base_dispatch(lb_proc.base);
	lb_notice("stopped");
	rc = 0;
out:
	lb_diag_fini(&diag);
	teardown(sigev, LB_ARRAY_SIZE(sigev), pidfile);
	free(config_abs);
	return rc;
}

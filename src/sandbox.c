/*
 * sandbox.c: seccomp-bpf allowlists for the worker threads and the main
 * thread (SPEC 13), built with libseccomp.
 *
 * Design. The filters' default action is SECCOMP_RET_TRAP: a call outside
 * the list is not made, the kernel sends SIGSYS to the thread, and handler()
 * writes one line naming the call to the log with write(2) (nothing else is
 * async-signal-safe here) and then makes system call 1023, which no kernel
 * has and which both filters answer SECCOMP_RET_KILL_PROCESS (so no
 * library can make it by chance): the whole process dies of SIGSYS
 * (a core dump where enabled), exactly as if the filter had killed it
 * outright, but with the reason in the log. SIGSYS cannot be ignored or
 * blocked away: the kernel forces it (resetting a blocked or ignored SIGSYS
 * to the default action, which kills).
 *
 * The filters are compiled once by the main thread (lb_sandbox_prepare,
 * before any worker exists) and loaded by each thread with
 * prctl(PR_SET_SECCOMP), so a worker makes no allocation to confine itself
 * (and no seccomp(2) call: systemd's @system-service filter refuses it).
 *
 * The lists are what lbproxy makes, and nothing more: 35 calls for a worker
 * thread, 43 for the main thread (48 names in all, on x86_64). Derived by
 * running the whole test suite (make check, plain and ASan+UBSan builds)
 * with every lbproxy process under strace -f -ff, keeping for each thread
 * the calls it made after the point where it now loads its filter: 28 in
 * workers, 33 in the main thread. Each entry was then read back against the
 * code that makes it (the comments below), and the calls no test reaches
 * but the code can make were added, saying why: 6 for workers (mremap,
 * getrandom, the vDSO fallbacks clock_gettime and gettimeofday, exit_group,
 * tgkill), 9 for the main thread (the same memory calls as the workers',
 * the vDSO fallbacks, rt_sigprocmask, tgkill). The load balancer model
 * (listeners and pools, L7 policies, TLS to members, the PROXY protocol
 * both ways, the status page) was checked the same way, with each trapped
 * call logged and refused instead of fatal over the whole suite: it added
 * getsockname to workers and sysinfo to the main thread, and the main
 * thread's executable mappings became refused rather than fatal (PCRE2's
 * JIT on reload, add_rules).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "lbproxy/log.h"
#include "lbproxy/sandbox.h"
#include "lbproxy/util.h"

#define SANDBOX_MAX_NR		1024	/* highest system call number we name */
#define SANDBOX_DIE_NR		1023	/* no such system call: the filters kill the process on it */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP		1	/* si_code of a seccomp SIGSYS (glibc lacks the name) */
#endif

/*
 * Both kinds of thread. Memory: glibc's malloc (any thread may end up on any
 * arena, so brk too; mremap grows a large buffer such as a big config file
 * read on reload), libevent, OpenSSL and the mempool: brk, munmap, mremap,
 * madvise, futex, and mmap/mprotect without PROT_EXEC (add_rules). The
 * event loop: epoll_wait (epoll_pwait where the architecture has no
 * epoll_wait), epoll_ctl, and read/write of the eventfd that wakes a
 * worker. Sockets: accept4 (clients; stats and metrics peers), connect
 * (members; health checks), socket (add_rules), recvfrom, sendto, readv,
 * writev, getsockopt (SO_ERROR), setsockopt (TCP_NODELAY, SO_LINGER, ICMP
 * filters), shutdown, close. getpid for every log line. getrandom: OpenSSL
 * reseeds its per-thread generators from it (hours apart: no test sees a
 * worker do it) and health checks draw cookies. clock_gettime and
 * gettimeofday are vDSO calls that become system calls on a machine whose
 * clock source has no vDSO support (not seen here, read in glibc).
 * rt_sigreturn: a process signal (SIGHUP...) may be delivered to any thread.
 * rt_sigprocmask and tgkill (SIGABRT to this process only, add_rules) for
 * abort(3) on a broken invariant; exit_group.
 */
static const char *const common_calls[] = {
	"brk", "munmap", "mremap", "madvise", "futex",
#ifdef __NR_epoll_wait
	"epoll_wait",
#else
	"epoll_pwait",
#endif
	"epoll_ctl", "read", "write",
	"accept4", "connect", "recvfrom", "sendto", "readv", "writev",
	"getsockopt", "setsockopt", "shutdown", "close",
	"getpid", "getrandom", "clock_gettime", "gettimeofday",
	"rt_sigreturn", "rt_sigprocmask", "exit_group",
};

/*
 * Worker threads only: splice() of bulk TCP data through a pipe per
 * connection (pipe2, splice, fcntl F_SETPIPE_SZ) and the end of the thread
 * (exit; glibc's thread exit also blocks signals and frees the stack with
 * madvise, both above). A pool of protocol PROXY or PROXYV2 gets the VIP
 * address the client reached for the header it sends (getsockname,
 * session.c).
 */
static const char *const worker_calls[] = {
	"pipe2", "splice", "fcntl", "exit", "getsockname",
};

/*
 * Main thread only, after start-up. Reload: the config file and the
 * certificates (openat, newfstatat, lseek, access(R_OK) in the check
 * pass), a VIP that moved (bind, listen). The stats socket: "_getsocks"
 * hands the listeners over (sendmsg with SCM_RIGHTS), "show info" reads
 * the descriptor limit (prlimit64, only to get: add_rules) and the host
 * name (uname); libevent's bufferevents ask how much is readable (ioctl
 * FIONREAD, add_rules). At exit: the stats socket file and the pidfile
 * (unlink), libevent restores the signal handlers (rt_sigaction). glibc's
 * qsort(3) asks for the physical memory size (sysinfo) before sorting a
 * large array: a listener's L7 policies, a pool's health entries on reload.
 */
static const char *const main_calls[] = {
	"openat", "newfstatat", "lseek", "access", "bind", "listen",
	"sendmsg", "uname", "unlink", "rt_sigaction", "sysinfo",
};

#if defined(__SANITIZE_ADDRESS__)
/*
 * AddressSanitizer builds only (tests): the runtime's own calls. Traced
 * like the rest, a worker's exit also removes its alternate signal stack
 * (sigaltstack). LeakSanitizer cannot run under strace: its calls were
 * found by running it under the filter (loaded, for the purpose, with
 * SECCOMP_FILTER_FLAG_LOG: the kernel's audit records name each trapped
 * call, even in its tracer, which blocks SIGSYS) at lbproxy's exit and
 * in a process that leaks on purpose, until both leak-checked cleanly, then
 * removing each call that was not needed. The leak check stops the world
 * from a clone()d tracer (clone, wait4, ptrace, prctl PR_SET_PTRACER and
 * PR_SET_DUMPABLE, getppid, gettid, sched_yield, exit, open and getdents on
 * /proc/PID/task, readlink); its report checks the terminal (ioctl, fcntl).
 * None of these is allowed in a release build.
 */
static const char *const sanitizer_calls[] = {
	"sigaltstack", "clone", "wait4", "ptrace", "prctl", "getppid", "gettid",
	"sched_yield", "exit", "open", "getdents", "readlink", "ioctl", "fcntl",
};
#endif

/* The two compiled filters, loaded by lb_sandbox_enter. */
static struct sock_fprog progs[2];
static bool prepared;

/* What the SIGSYS handler needs, ready before any filter is loaded. */
static char *sys_names[SANDBOX_MAX_NR];
static int log_fd = -1;		/* the log's descriptor, or our own /dev/log socket */
static bool log_syslog;		/* log_fd is a syslog datagram socket */
static long tz_offset_s;	/* local time - UTC at start-up, for the timestamp */
static __thread int thread_kind = -1;

static const char *const kind_names[] = {
	[LB_SANDBOX_MAIN] = "the main thread",
	[LB_SANDBOX_WORKER] = "a worker thread",
};

/* --- the SIGSYS handler: async-signal-safe only ------------------------------ */

/* Append s to buf at *n (bounded). */
static void
put_str(char *buf, size_t size, size_t *n, const char *s)
{
	while (*s != '\0' && *n + 1 < size)
		buf[(*n)++] = *s++;
}

/* Append v in decimal, at least width digits. */
static void
put_num(char *buf, size_t size, size_t *n, unsigned long v, int width)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && i < (int)sizeof(tmp));
	while (i < width && i < (int)sizeof(tmp))
		tmp[i++] = '0';
	while (i > 0 && *n + 1 < size)
		buf[(*n)++] = tmp[--i];
}

/* "2026-01-31T12:00:00.000 " in local time, as log.c writes it (civil from days). */
static void
put_time(char *buf, size_t size, size_t *n)
{
	struct timespec ts;
	long long s, days, z, era, doe, yoe, y, doy, mp, d, m;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return;
	s = (long long)ts.tv_sec + tz_offset_s;
	days = s / 86400;
	s %= 86400;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	put_num(buf, size, n, (unsigned long)y, 4);
	put_str(buf, size, n, "-");
	put_num(buf, size, n, (unsigned long)m, 2);
	put_str(buf, size, n, "-");
	put_num(buf, size, n, (unsigned long)d, 2);
	put_str(buf, size, n, "T");
	put_num(buf, size, n, (unsigned long)(s / 3600), 2);
	put_str(buf, size, n, ":");
	put_num(buf, size, n, (unsigned long)(s / 60 % 60), 2);
	put_str(buf, size, n, ":");
	put_num(buf, size, n, (unsigned long)(s % 60), 2);
	put_str(buf, size, n, ".");
	put_num(buf, size, n, (unsigned long)(ts.tv_nsec / 1000000), 3);
	put_str(buf, size, n, " ");
}

static void
handler(int sig, siginfo_t *si, void *uctx)
{
	char line[512];
	size_t n = 0;
	int nr = si->si_code == SYS_SECCOMP ? si->si_syscall : -1;

	(void)sig;
	(void)uctx;
	if (log_syslog)
		put_str(line, sizeof(line), &n, "<26>");	/* LOG_DAEMON | LOG_CRIT */
	else
		put_time(line, sizeof(line), &n);
	put_str(line, sizeof(line), &n, "lbproxy[");
	put_num(line, sizeof(line), &n, (unsigned long)getpid(), 1);
	put_str(line, sizeof(line), &n, "]: error: sandbox: ");
	if (nr < 0) {
		put_str(line, sizeof(line), &n, "SIGSYS received: stopping");
	} else {
		put_str(line, sizeof(line), &n, "forbidden system call ");
		put_str(line, sizeof(line), &n, nr < SANDBOX_MAX_NR && sys_names[nr] != NULL ?
		    sys_names[nr] : "?");
		put_str(line, sizeof(line), &n, " (");
		put_num(line, sizeof(line), &n, (unsigned long)nr, 1);
		put_str(line, sizeof(line), &n, ") in ");
		put_str(line, sizeof(line), &n, thread_kind >= 0 ?
		    kind_names[thread_kind] : "a thread");
		put_str(line, sizeof(line), &n, ": killing the process");
	}
	if (!log_syslog)
		line[n++] = '\n';
	if (log_fd != -1)
		(void)!write(log_fd, line, n);
	if (log_fd != STDERR_FILENO && !log_syslog)
		(void)!write(STDERR_FILENO, line, n);
	/* both filters kill the process on this call; outside them, exit as a signal would */
	(void)syscall(SANDBOX_DIE_NR);
	_exit(128 + SIGSYS);
}

/* --- building the filters ------------------------------------------------------ */

/* Allow each call of names that this architecture has. */
static int
allow_all(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < n; i++) {
		nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture (or never a system call) */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
			lb_err("sandbox: %s: %s", names[i], strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* System call argument arg compared with op to a; SCMP_CMP_MASKED_EQ: (arg & a) == b. */
static struct scmp_arg_cmp
arg_cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	return (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a, .datum_b = b };
}

/*
 * The calls allowed only with some arguments: no executable memory after
 * start-up (mmap, mprotect), sockets of the families lbproxy uses (members,
 * checks, syslog's /dev/log), abort(3)'s SIGABRT to this process only, and
 * on the main thread FIONREAD and reading (never raising) a limit. And the
 * calls answered with an error instead of SIGSYS: a worker's openat, the
 * main thread's executable mappings.
 */
static int
add_rules(scmp_filter_ctx ctx, enum lb_sandbox_kind kind)
{
	static const int families[] = { AF_INET, AF_INET6, AF_UNIX };
	const struct scmp_arg_cmp no_exec = arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	const struct scmp_arg_cmp exec = arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC);
	size_t i;
	int rc = 0;

	rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SANDBOX_DIE_NR, 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, no_exec);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, no_exec);
	for (i = 0; i < LB_ARRAY_SIZE(families); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)families[i], 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
	    arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0),
	    arg_cmp(2, SCMP_CMP_EQ, SIGABRT, 0));
	if (kind == LB_SANDBOX_WORKER) {
		/*
		 * A worker opens no file, but glibc may: the first time free()
		 * shrinks a thread arena's heap it reads
		 * /proc/sys/vm/overcommit_memory (check_may_shrink_heap, arena.c),
		 * and without an answer it assumes "no" and releases the pages with
		 * madvise instead. Refused with EACCES, as a mode-0 file would be,
		 * not fatal: bench/run's 1 MiB bodies killed a worker here.
		 */
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	}
	if (kind == LB_SANDBOX_MAIN) {
		/*
		 * A reload compiles the L7 regular expressions, and PCRE2's JIT maps
		 * its code executable: refused, not fatal, so that pcre2_jit_compile
		 * fails and those expressions run interpreted (l7.c).
		 */
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mmap), 1, exec);
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mprotect), 1, exec);
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    arg_cmp(1, SCMP_CMP_EQ, FIONREAD, 0));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
		    arg_cmp(0, SCMP_CMP_EQ, 0, 0), arg_cmp(2, SCMP_CMP_EQ, 0, 0));
	}
	if (rc != 0) {
		lb_err("sandbox: cannot add the rules with arguments");
		return -1;
	}
	return 0;
}

/* The filter for kind, compiled into *prog (new memory). */
static int
build(enum lb_sandbox_kind kind, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	off_t size;
	int fd = -1, rc = -1;
	void *buf = NULL;

	if (ctx == NULL) {
		lb_err("sandbox: seccomp_init failed");
		return -1;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0)
		lb_warn("sandbox: libseccomp ignores a filter attribute");
	if (allow_all(ctx, common_calls, LB_ARRAY_SIZE(common_calls)) == -1 ||
	    (kind == LB_SANDBOX_WORKER &&
	    allow_all(ctx, worker_calls, LB_ARRAY_SIZE(worker_calls)) == -1) ||
	    (kind == LB_SANDBOX_MAIN &&
	    allow_all(ctx, main_calls, LB_ARRAY_SIZE(main_calls)) == -1) ||
#if defined(__SANITIZE_ADDRESS__)
	    allow_all(ctx, sanitizer_calls, LB_ARRAY_SIZE(sanitizer_calls)) == -1 ||
#endif
	    add_rules(ctx, kind) == -1)
		goto out;
	/* libseccomp 2.5 exports to a descriptor only */
	fd = memfd_create("lbproxy-seccomp", MFD_CLOEXEC);
	if (fd == -1 || seccomp_export_bpf(ctx, fd) != 0 ||
	    (size = lseek(fd, 0, SEEK_END)) <= 0 || size % sizeof(struct sock_filter) != 0 ||
	    (buf = malloc((size_t)size)) == NULL || pread(fd, buf, (size_t)size, 0) != size) {
		lb_err("sandbox: cannot compile the filter: %s", strerror(errno));
		free(buf);
		goto out;
	}
	prog->len = (unsigned short)(size / sizeof(struct sock_filter));
	prog->filter = buf;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

/* Where the handler writes: the log's descriptor, or a /dev/log socket of its own. */
static void
open_log(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	log_fd = lb_log_fd();
	if (log_fd != -1)
		return;
	log_syslog = true;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/dev/log");
	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (log_fd != -1 && connect(log_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(log_fd);
		log_fd = -1;
	}
}

int
lb_sandbox_prepare(bool enabled)
{
	struct sigaction sa;
	struct tm tm;
	time_t now = time(NULL);
	int i;

	if (!enabled) {
		lb_notice("sandbox: off (lbproxy.sandbox is false)");
		return 0;
	}
	/*
	 * Set, not probed: libseccomp probes with seccomp(2) calls that systemd's
	 * @system-service filter refuses, and would then take KILL_PROCESS
	 * (Linux 4.14) for unsupported. prctl(PR_SET_SECCOMP) loads the filters.
	 */
	if (seccomp_api_set(3) != 0) {
		lb_err("sandbox: libseccomp refuses API level 3");
		return -1;
	}
	for (i = 0; i < SANDBOX_MAX_NR; i++)
		sys_names[i] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, i);
	if (localtime_r(&now, &tm) != NULL)
		tz_offset_s = tm.tm_gmtoff;
	open_log();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		lb_err("sandbox: cannot handle SIGSYS: %s", strerror(errno));
		return -1;
	}
	if (build(LB_SANDBOX_MAIN, &progs[LB_SANDBOX_MAIN]) == -1 ||
	    build(LB_SANDBOX_WORKER, &progs[LB_SANDBOX_WORKER]) == -1)
		return -1;
	/* required to load a filter without CAP_SYS_ADMIN; threads made from now on inherit it */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		lb_err("sandbox: cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	prepared = true;
	return 0;
}

int
lb_sandbox_enter(enum lb_sandbox_kind kind)
{
	if (!prepared)
		return 0;
	thread_kind = (int)kind;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &progs[kind], 0, 0) == -1) {
		lb_err("sandbox: the kernel refuses the filter for %s: %s (set lbproxy.sandbox "
		    "to false to run without it)", kind_names[kind], strerror(errno));
		return -1;
	}
	lb_debug("sandbox: %s confined (%u BPF instructions)", kind_names[kind],
	    (unsigned)progs[kind].len);
	return 0;
}

void
lb_sandbox_fini(void)
{
	size_t i;

	/* sys_names stay: the handler may still name a call made on the way out */
	for (i = 0; i < LB_ARRAY_SIZE(progs); i++) {
		free(progs[i].filter);
		progs[i].filter = NULL;
	}
	prepared = false;
}

/*
 * test_sandbox.c: unit tests for src/sandbox.c. Each case forks a child that
 * builds the real filters, confines itself as a worker or the main thread
 * and makes one call: an allowed one must work, a forbidden one must kill
 * the child with SIGSYS after exactly one log line naming the call. The log
 * goes to a file the parent reads back.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lbproxy/log.h"
#include "lbproxy/sandbox.h"

/* What the child does once confined; returns its exit status if it survives. */
typedef int (*act_fn)(void);

static char log_path[64];

/* Run act in a child confined as kind (sandbox on or off); returns the wait status. */
static int
run_confined(enum lb_sandbox_kind kind, bool on, act_fn act)
{
	int status;
	pid_t pid;

	snprintf(log_path, sizeof(log_path), "/tmp/test_sandbox.%ld.log", (long)getpid());
	unlink(log_path);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (lb_log_open(LB_LOG_FILE, log_path, LB_LOG_NOTICE) == -1)
			_exit(90);
		/* as lbproxy does before confining anything (the first line reads the time zone) */
		lb_notice("child %ld", (long)getpid());
		if (lb_sandbox_prepare(on) == -1 || lb_sandbox_enter(kind) == -1)
			_exit(91);
		_exit(act());
	}
	assert_true(waitpid(pid, &status, 0) == pid);
	return status;
}

/* The child's log, as a new string. */
static char *
read_log(void)
{
	char *buf = calloc(1, 65536);
	int fd = open(log_path, O_RDONLY);
	ssize_t n;

	assert_non_null(buf);
	if (fd != -1) {
		n = read(fd, buf, 65535);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	unlink(log_path);
	return buf;
}

/* Lines of log that contain what. */
static int
count_lines(const char *log, const char *what)
{
	const char *p;
	int n = 0;

	for (p = log; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* The child died of SIGSYS and its log names call, in thread, on one line. */
static void
assert_killed(int status, const char *call, const char *thread)
{
	char want[128], *log = read_log();

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	snprintf(want, sizeof(want), "error: sandbox: forbidden system call %s (", call);
	assert_non_null(strstr(log, want));
	snprintf(want, sizeof(want), ") in %s: killing the process\n", thread);
	assert_non_null(strstr(log, want));
	assert_int_equal(count_lines(log, "sandbox:"), 1);
	free(log);
}

static int
do_execve(void)
{
	char *const argv[] = { "/bin/true", NULL };

	execve("/bin/true", argv, (char *const[]){ NULL });
	return 3;
}

static int
do_openat(void)
{
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

	return fd == -1 ? 4 : 0;
}

static int
do_packet_socket(void)
{
	return socket(AF_PACKET, SOCK_RAW, 0) == -1 ? 5 : 0;
}

static int
do_exec_mmap(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 6 : 0;
}

static int
do_setuid(void)
{
	return syscall(SYS_setresuid, 0, 0, 0) == -1 ? 7 : 0;
}

/* What both kinds of thread do all day: memory, a TCP socket, a log line. */
static int
do_common_day(void)
{
	void *p = malloc(1 << 20);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (p == NULL || s == -1)
		return 10;
	memset(p, 1, 1 << 20);
	free(p);
	close(s);
	lb_notice("day done");
	return 0;
}

/* A worker also splices through pipes and names its local address in PROXY headers. */
static int
do_worker_day(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fds[2], s;

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return 12;
	close(fds[0]);
	close(fds[1]);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 13;
	if (getsockname(s, (struct sockaddr *)&ss, &len) == -1)
		return 14;
	close(s);
	return do_common_day();
}

/* The main thread's executable mappings (PCRE2's JIT on reload) fail with EPERM: 0. */
static int
do_exec_mmap_refused(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED && errno == EPERM ? 0 : 15;
}

/* A worker's open fails with EACCES (glibc's malloc may try one): 0, and no log line. */
static int
do_openat_refused(void)
{
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

	return fd == -1 && errno == EACCES ? 0 : 16;
}

/* The main thread also reads files on reload. */
static int
do_main_day(void)
{
	return do_openat() == 0 ? do_common_day() : 11;
}

static void
test_worker_allows_its_calls(void **state)
{
	int status = run_confined(LB_SANDBOX_WORKER, true, do_worker_day);
	char *log = read_log();

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(log, "day done"));
	free(log);
	status = run_confined(LB_SANDBOX_MAIN, true, do_main_day);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(read_log());
	/* refused, not fatal, and no line: the JIT falls back to the interpreter */
	status = run_confined(LB_SANDBOX_MAIN, true, do_exec_mmap_refused);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	log = read_log();
	assert_int_equal(count_lines(log, "sandbox:"), 0);
	free(log);
	/* a worker's open is refused, not fatal, and says nothing */
	status = run_confined(LB_SANDBOX_WORKER, true, do_openat_refused);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	log = read_log();
	assert_int_equal(count_lines(log, "sandbox:"), 0);
	free(log);
	/* the main thread never splices: proof the two lists differ */
	assert_killed(run_confined(LB_SANDBOX_MAIN, true, do_worker_day), "pipe2",
	    "the main thread");
}

static void
test_forbidden_calls_kill(void **state)
{
	(void)state;
#if !defined(__SANITIZE_ADDRESS__)
	/* ASan's runtime may exec its symbolizer: its builds allow more, not this test's business */
	assert_killed(run_confined(LB_SANDBOX_WORKER, true, do_execve), "execve", "a worker thread");
	assert_killed(run_confined(LB_SANDBOX_MAIN, true, do_execve), "execve", "the main thread");
#endif
	assert_killed(run_confined(LB_SANDBOX_WORKER, true, do_packet_socket), "socket",
	    "a worker thread");
	assert_killed(run_confined(LB_SANDBOX_MAIN, true, do_packet_socket), "socket",
	    "the main thread");
	assert_killed(run_confined(LB_SANDBOX_WORKER, true, do_exec_mmap), "mmap",
	    "a worker thread");
	assert_killed(run_confined(LB_SANDBOX_MAIN, true, do_setuid), "setresuid",
	    "the main thread");
}

/* lbproxy.sandbox false: the same calls go through. */
static void
test_off(void **state)
{
	int status = run_confined(LB_SANDBOX_WORKER, false, do_openat);

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(read_log());
	status = run_confined(LB_SANDBOX_WORKER, false, do_execve);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);	/* /bin/true ran */
	free(read_log());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_allows_its_calls),
		cmocka_unit_test(test_forbidden_calls_kill),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * sandbox.h: the seccomp-bpf allowlists (SPEC 13). After start-up every
 * worker thread, and the main thread once its setup is done, may make only
 * the system calls lbproxy's own code makes there; any other call traps
 * into a SIGSYS handler that writes one log line naming the call and kills
 * the process (SIGSYS, as SECCOMP_RET_KILL_PROCESS would). The lists are in
 * sandbox.c, with how they were derived.
 */
#ifndef LB_SANDBOX_H
#define LB_SANDBOX_H

#include <stdbool.h>

enum lb_sandbox_kind {
	LB_SANDBOX_MAIN,	/* health checks, stats sockets, metrics, reload, signals */
	LB_SANDBOX_WORKER,	/* accept, proxy, TLS: the data plane */
};

/*
 * Build both filters (libseccomp, compiled to BPF once) and install the
 * SIGSYS handler; main thread, after logging is set up and before the
 * workers start. With enabled false, nothing is installed and
 * lb_sandbox_enter does nothing. Returns 0, or -1 after logging why.
 */
int lb_sandbox_prepare(bool enabled);
/*
 * Confine the calling thread to kind's allowlist, for good (threads it
 * creates inherit the filter). Returns 0, or -1 after logging why.
 */
int lb_sandbox_enter(enum lb_sandbox_kind kind);
/* Free the compiled filters (those loaded stay, and so do the handler's names). */
void lb_sandbox_fini(void);

#endif

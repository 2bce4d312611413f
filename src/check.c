/*
 * check.c: what every probe (check_*.c) shares, and what health.c calls to
 * stop one: the check object, its deadline, the deferred done call, cancel.
 * Neither health.c nor a probe includes the other; both include check.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "lbproxy/util.h"

#include "check.h"

/* The deferred end of a check: free it, then tell the caller. */
static void
check_done_cb(evutil_socket_t fd LB_UNUSED, short what LB_UNUSED, void *arg)
{
	struct lb_check *c = arg;
	struct lb_check_result r = c->result;
	lb_check_done_cb done = c->done;
	void *done_arg = c->arg;

	event_free(c->ev_deadline);
	event_free(c->ev_done);
	free(c);
	done(&r, done_arg);
}

/* The check's deadline passed in whatever phase it was. */
static void
check_deadline_cb(evutil_socket_t fd LB_UNUSED, short what LB_UNUSED, void *arg)
{
	struct lb_check *c = arg;

	lb_check_finish(c, false, c->tout_status, 0, "%s", c->tout_desc);
}

struct lb_check *
lb_check_new(size_t size, struct event_base *base, int timeout_ms,
    void (*release)(struct lb_check *), lb_check_done_cb done, void *arg)
{
	struct lb_check *c = calloc(1, size);
	struct timeval tv;

	if (c == NULL)
		return NULL;
	c->base = base;
	c->release = release;
	c->done = done;
	c->arg = arg;
	c->start_ms = lb_now_ms();
	c->ev_deadline = evtimer_new(base, check_deadline_cb, c);
	c->ev_done = event_new(base, -1, 0, check_done_cb, c);
	if (c->ev_deadline == NULL || c->ev_done == NULL)
		goto fail;
	lb_check_phase(c, LB_CHK_L4TOUT, "connect timeout");
	if (timeout_ms < 1)
		timeout_ms = 1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (evtimer_add(c->ev_deadline, &tv) == -1)
		goto fail;
	return c;
fail:
	if (c->ev_deadline != NULL)
		event_free(c->ev_deadline);
	if (c->ev_done != NULL)
		event_free(c->ev_done);
	free(c);
	return NULL;
}

void
lb_check_phase(struct lb_check *c, enum lb_check_status tout_status, const char *tout_desc)
{
	c->tout_status = tout_status;
	c->tout_desc = tout_desc;
}

void
lb_check_finish(struct lb_check *c, bool ok, enum lb_check_status status, int code,
    const char *fmt, ...)
{
	va_list ap;
	uint64_t now = lb_now_ms();

	if (c->finished)
		return;
	c->finished = true;
	c->result.ok = ok;
	c->result.status = status;
	c->result.code = code;
	c->result.duration_ms = (int)(now - c->start_ms);
	va_start(ap, fmt);
	vsnprintf(c->result.desc, sizeof(c->result.desc), fmt, ap);
	va_end(ap);

	c->release(c);
	evtimer_del(c->ev_deadline);
	event_active(c->ev_done, 0, 0);
}

void
lb_check_cancel(struct lb_check *c)
{
	if (c == NULL)
		return;
	if (!c->finished)
		c->release(c);
	event_free(c->ev_deadline);
	event_free(c->ev_done);
	free(c);
}

/*
 * status_page.c: the operator's live status page. The HTML is static: its
 * script fetches status.json every second and redraws the frontends, the
 * backends and their members (state colours, weights, connections, rates
 * computed between two samples, check results, latency percentiles from the
 * histogram). The JSON is the stats socket's own data ("show stat json" and
 * "show info" through their command handlers), never the snapshot itself, so
 * the page shows whatever rows the stats layer defines.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "lbproxy/stats.h"
#include "lbproxy/status_page.h"
#include "lbproxy/util.h"

/*
 * Self-contained on purpose (no external asset, nothing fetched but
 * status.json): the metrics listener often sits on a management network
 * without internet access. Names are set with textContent, never parsed as
 * HTML.
 */
static const char page[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>lbproxy status</title>\n"
	"<style>\n"
	"body { font: 13px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #222; }\n"
	"header { background: #263238; color: #fff; padding: 8px 16px; display: flex; gap: 22px;\n"
	"  align-items: baseline; flex-wrap: wrap; }\n"
	"header h1 { font-size: 16px; margin: 0; }\n"
	"#live.stale { color: #ff8a80; font-weight: 600; }\n"
	"main { padding: 12px 16px; }\n"
	"section { background: #fff; border: 1px solid #ddd; border-radius: 4px; margin: 0 0 12px; }\n"
	"section h2 { font-size: 14px; margin: 0; padding: 6px 10px; border-bottom: 1px solid #eee;\n"
	"  display: flex; gap: 18px; align-items: baseline; flex-wrap: wrap; }\n"
	"section h2 small { font-weight: normal; color: #555; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { padding: 3px 10px; text-align: right; white-space: nowrap; }\n"
	"th { font-weight: 600; color: #555; border-bottom: 1px solid #eee; }\n"
	"th:first-child, td:first-child, th.l, td.l { text-align: left; }\n"
	".st { font-weight: 600; border-radius: 3px; padding: 1px 6px; color: #fff; background: #90a4ae; }\n"
	".st-up, .st-open { background: #2e7d32; }\n"
	".st-down, .st-stop { background: #c62828; }\n"
	".st-maint { background: #546e7a; }\n"
	".st-drain, .st-full { background: #ef6c00; }\n"
	"tr.s-down td { background: #ffebee; }\n"
	"tr.s-maint td { background: #eceff1; }\n"
	"tr.s-drain td { background: #fff3e0; }\n"
	"td.desc { color: #666; max-width: 26em; overflow: hidden; text-overflow: ellipsis; }\n"
	"</style>\n"
	"</head>\n"
	"<body data-polls=\"0\">\n"
	"<header>\n"
	"<h1>lbproxy <span id=\"version\"></span></h1>\n"
	"<span>pid <b id=\"pid\">-</b></span>\n"
	"<span>uptime <b id=\"uptime\">-</b></span>\n"
	"<span>connections <b id=\"conns\">-</b></span>\n"
	"<span>reloads <b id=\"reloads\">-</b></span>\n"
	"<span>request latency p50 / p90 / p99 <b id=\"lat\">-</b> <small id=\"latwin\"></small></span>\n"
	"<span id=\"live\">loading</span>\n"
	"</header>\n"
	"<main>\n"
	"<section id=\"frontends\"><h2>Frontends</h2>\n"
	"<table><thead><tr><th>listener</th><th>status</th><th>mode</th><th>current</th><th>limit</th>\n"
	"<th>total</th><th>conn/s</th><th>req/s</th><th>bytes in</th><th>bytes out</th></tr></thead>\n"
	"<tbody></tbody></table></section>\n"
	"<div id=\"backends\"></div>\n"
	"</main>\n"
	"<noscript>This page draws itself with JavaScript; its data is at status.json.</noscript>\n"
	"<script>\n"
	"'use strict';\n"
	"var MEMBER_COLS = ['member', 'address', 'status', 'weight', 'current', 'max', 'total', 'rate/s',\n"
	"  'check', 'code', 'ms', 'last check', 'changed', 'chkfail', 'chkdown', 'downtime'];\n"
	"var prev = null, polls = 0;\n"
	"\n"
	"function $(id) { return document.getElementById(id); }\n"
	"function el(tag, cls, text) {\n"
	"  var e = document.createElement(tag);\n"
	"  if (cls) e.className = cls;\n"
	"  if (text !== undefined) e.textContent = text;\n"
	"  return e;\n"
	"}\n"
	"function word(s) { return String(s === undefined ? '' : s).split(' ')[0].toLowerCase(); }\n"
	"function badge(s) { return el('span', 'st st-' + word(s), s === undefined ? '-' : s); }\n"
	"function num(v) { return v === undefined ? '-' : String(v); }\n"
	"function bytes(v) {\n"
	"  var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;\n"
	"  if (v === undefined) return '-';\n"
	"  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }\n"
	"  return (i ? v.toFixed(1) : v) + ' ' + u[i];\n"
	"}\n"
	"function dur(s) {\n"
	"  var d, h, m;\n"
	"  if (s === undefined) return '-';\n"
	"  d = Math.floor(s / 86400); h = Math.floor(s % 86400 / 3600); m = Math.floor(s % 3600 / 60);\n"
	"  return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + (d || h || m ? m + 'm ' : '') + s % 60 + 's';\n"
	"}\n"
	"function key(r) { return r.pxname + '/' + r.svname; }\n"
	"/* Per-second rate of a counter between this sample and the previous one. */\n"
	"function rate(r, field, dt) {\n"
	"  var p = prev && prev.rows[key(r)], v;\n"
	"  if (!p || !dt || r[field] === undefined || p[field] === undefined) return '-';\n"
	"  v = (r[field] - p[field]) / dt;\n"
	"  return v < 0 ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1);\n"
	"}\n"
	"/* Quantile f of a histogram (per-bucket counts, +Inf last), interpolated in its bucket. */\n"
	"function quantile(le, c, f) {\n"
	"  var total = 0, cum = 0, i, lo, target;\n"
	"  for (i = 0; i < c.length; i++) total += c[i];\n"
	"  if (!total) return null;\n"
	"  target = f * total;\n"
	"  for (i = 0; i < c.length; i++) {\n"
	"    if (c[i] > 0 && cum + c[i] >= target) {\n"
	"      if (i >= le.length) return Infinity;\n"
	"      lo = i ? le[i - 1] : 0;\n"
	"      return lo + (le[i] - lo) * (target - cum) / c[i];\n"
	"    }\n"
	"    cum += c[i];\n"
	"  }\n"
	"  return Infinity;\n"
	"}\n"
	"function ms(v, le) {\n"
	"  if (v === null) return '-';\n"
	"  if (v === Infinity) return '>' + le[le.length - 1];\n"
	"  return v < 10 ? v.toFixed(2) : v.toFixed(0);\n"
	"}\n"
	"function latency(l) {\n"
	"  var c = l.counts, win = [], i, n = 0, qs;\n"
	"  if (prev && prev.lat && prev.lat.length === c.length) {\n"
	"    for (i = 0; i < c.length; i++) { win.push(c[i] - prev.lat[i]); n += win[i]; }\n"
	"  }\n"
	"  if (n > 0) { $('latwin').textContent = 'ms, last ' + n + ' requests'; c = win; }\n"
	"  else $('latwin').textContent = 'ms, since start';\n"
	"  qs = [0.5, 0.9, 0.99].map(function (f) { return ms(quantile(l.le_ms, c, f), l.le_ms); });\n"
	"  $('lat').textContent = qs.join(' / ');\n"
	"}\n"
	"function row(cells, cls) {\n"
	"  var tr = el('tr', cls);\n"
	"  cells.forEach(function (c) {\n"
	"    var td = el('td');\n"
	"    if (c instanceof Node) td.appendChild(c); else td.textContent = c;\n"
	"    tr.appendChild(td);\n"
	"  });\n"
	"  return tr;\n"
	"}\n"
	"function frontends(rows, dt) {\n"
	"  var tb = el('tbody');\n"
	"  rows.forEach(function (r) {\n"
	"    if (r.svname !== 'FRONTEND') return;\n"
	"    var tr = row([r.pxname, badge(r.status), num(r.mode), num(r.scur), num(r.slim), num(r.stot),\n"
	"      rate(r, 'conn_tot', dt), rate(r, 'req_tot', dt), bytes(r.bin), bytes(r.bout)],\n"
	"      'frontend s-' + word(r.status));\n"
	"    tr.setAttribute('data-id', r.pxname);\n"
	"    tr.setAttribute('data-status', r.status);\n"
	"    tb.appendChild(tr);\n"
	"  });\n"
	"  $('frontends').querySelector('table').replaceChild(tb, $('frontends').querySelector('tbody'));\n"
	"}\n"
	"function member(r, dt) {\n"
	"  var check = r.check_status === undefined ? '-' : r.check_status;\n"
	"  var tr = row([r.svname, num(r.addr), badge(r.status), num(r.weight), num(r.scur), num(r.smax),\n"
	"    num(r.stot), rate(r, r.req_tot !== undefined ? 'req_tot' : 'stot', dt), check,\n"
	"    num(r.check_code), num(r.check_duration), r.last_chk || r.check_desc || '-',\n"
	"    r.lastchg === undefined ? '-' : dur(r.lastchg) + ' ago', num(r.chkfail), num(r.chkdown),\n"
	"    r.downtime === undefined ? '-' : dur(r.downtime)], 'member s-' + word(r.status));\n"
	"  tr.cells[11].className = 'desc l';\n"
	"  tr.cells[1].className = 'l';\n"
	"  tr.cells[11].title = r.check_desc || '';\n"
	"  tr.setAttribute('data-id', key(r));\n"
	"  tr.setAttribute('data-status', r.status);\n"
	"  tr.setAttribute('data-check', check);\n"
	"  return tr;\n"
	"}\n"
	"function backends(rows, dt) {\n"
	"  var order = [], by = {}, box = el('div');\n"
	"  box.id = 'backends';\n"
	"  rows.forEach(function (r) {\n"
	"    if (r.svname === 'FRONTEND') return;\n"
	"    if (!by[r.pxname]) { by[r.pxname] = { members: [] }; order.push(r.pxname); }\n"
	"    if (r.svname === 'BACKEND') by[r.pxname].be = r; else by[r.pxname].members.push(r);\n"
	"  });\n"
	"  order.forEach(function (name) {\n"
	"    var b = by[name], be = b.be || {}, s = el('section', 'backend'), h = el('h2'),\n"
	"      t = el('table'), hr = el('tr'), tb = el('tbody'), th = el('thead');\n"
	"    s.setAttribute('data-id', name);\n"
	"    h.appendChild(el('span', null, name));\n"
	"    h.appendChild(badge(be.status));\n"
	"    h.appendChild(el('small', null, (be.algo || '') + ' ' + (be.mode || '')));\n"
	"    h.appendChild(el('small', null, 'active ' + num(be.act) + ', weight ' + num(be.weight)));\n"
	"    h.appendChild(el('small', null, 'current ' + num(be.scur) + ', total ' + num(be.stot) +\n"
	"      ', ' + rate(be, be.req_tot !== undefined ? 'req_tot' : 'stot', dt) + '/s'));\n"
	"    s.appendChild(h);\n"
	"    MEMBER_COLS.forEach(function (c) {\n"
	"      hr.appendChild(el('th', c === 'address' || c === 'last check' ? 'l' : null, c));\n"
	"    });\n"
	"    th.appendChild(hr);\n"
	"    t.appendChild(th);\n"
	"    b.members.forEach(function (r) { tb.appendChild(member(r, dt)); });\n"
	"    t.appendChild(tb);\n"
	"    s.appendChild(t);\n"
	"    box.appendChild(s);\n"
	"  });\n"
	"  $('backends').replaceWith(box);\n"
	"}\n"
	"function render(d) {\n"
	"  var rows = {}, dt = prev ? (d.mono_ms - prev.mono) / 1000 : 0, info = d.info || {};\n"
	"  d.rows.forEach(function (r) { rows[key(r)] = r; });\n"
	"  $('version').textContent = num(info.Version);\n"
	"  $('pid').textContent = num(info.Pid);\n"
	"  $('uptime').textContent = dur(info.Uptime_sec);\n"
	"  $('conns').textContent = num(info.CurrConns);\n"
	"  $('reloads').textContent = num(info.Reloads);\n"
	"  if (d.latency) latency(d.latency);\n"
	"  frontends(d.rows, dt);\n"
	"  backends(d.rows, dt);\n"
	"  prev = { mono: d.mono_ms, rows: rows, lat: d.latency && d.latency.counts };\n"
	"  document.body.setAttribute('data-polls', String(++polls));\n"
	"  $('live').className = 'live';\n"
	"  $('live').textContent = 'updated ' + new Date(d.now_ms).toLocaleTimeString();\n"
	"}\n"
	"function poll() {\n"
	"  fetch('status.json', { cache: 'no-store' }).then(function (r) {\n"
	"    if (!r.ok) throw new Error('HTTP ' + r.status);\n"
	"    return r.json();\n"
	"  }).then(render).catch(function (e) {\n"
	"    $('live').className = 'stale';\n"
	"    $('live').textContent = 'stale: ' + e.message;\n"
	"  }).then(function () { setTimeout(poll, 1000); });\n"
	"}\n"
	"poll();\n"
	"</script>\n"
	"</body>\n"
	"</html>\n";

void
lb_status_page_html(struct evbuffer *out)
{
	evbuffer_add(out, page, sizeof(page) - 1);
}

/* The reply of a command handler, as a new NUL-terminated string. */
static char *
command(void (*fn)(char **, int, struct evbuffer *), char **args, int nargs)
{
	struct evbuffer *b = evbuffer_new();
	char *s = NULL;
	size_t len;

	if (b == NULL)
		return NULL;
	fn(args, nargs, b);
	len = evbuffer_get_length(b);
	if ((s = malloc(len + 1)) != NULL) {
		evbuffer_remove(b, s, len);
		s[len] = '\0';
	}
	evbuffer_free(b);
	return s;
}

/* "Key: value" lines as an object; digit-only values become numbers. */
static json_t *
info_object(char *text)
{
	json_t *o = json_object();
	char *line, *next, *sep, *end;
	long long v;

	for (line = text; o != NULL && line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sep = strstr(line, ": ")) == NULL)
			continue;
		*sep = '\0';
		sep += 2;
		v = strtoll(sep, &end, 10);
		if (*sep >= '0' && *sep <= '9' && *end == '\0')
			json_object_set_new(o, line, json_integer(v));
		else
			json_object_set_new(o, line, json_string(sep));
	}
	return o;
}

static json_t *
latency_object(const struct lb_status_latency *lat)
{
	json_t *o = json_object(), *le = json_array(), *counts = json_array();
	size_t i;

	for (i = 0; i < lat->n; i++)
		json_array_append_new(le, json_real((double)lat->le_us[i] / 1000.0));
	for (i = 0; i <= lat->n; i++)
		json_array_append_new(counts, json_integer((json_int_t)lat->counts[i]));
	json_object_set_new(o, "le_ms", le);
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "sum_ms", json_integer((json_int_t)lat->sum_ms));
	return o;
}

int
lb_status_page_json(struct evbuffer *out, const struct lb_status_latency *lat)
{
	char json_arg[] = "json", *args[] = { json_arg };
	char *stat = command(lb_stats_show_stat, args, 1);
	char *info = command(lb_stats_show_info, NULL, 0);
	json_t *doc = json_object(), *rows = NULL;
	struct timespec ts;
	char *s = NULL;
	int rc = -1;

	if (stat == NULL || info == NULL || doc == NULL)
		goto done;
	if ((rows = json_loads(stat, 0, NULL)) == NULL || !json_is_array(rows))
		goto done;
	json_object_set_new(doc, "info", info_object(info));
	json_object_set(doc, "rows", rows);
	if (lat != NULL)
		json_object_set_new(doc, "latency", latency_object(lat));
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(doc, "now_ms",
	    json_integer((json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
	json_object_set_new(doc, "mono_ms", json_integer((json_int_t)lb_now_ms()));
	if ((s = json_dumps(doc, JSON_COMPACT)) == NULL)
		goto done;
	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\n", 1);
	rc = 0;
done:
	free(s);
	json_decref(rows);
	json_decref(doc);
	free(info);
	free(stat);
	return rc;
}

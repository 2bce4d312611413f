#!/usr/bin/env node
// h2node: HTTP/2 requests made by Node's built-in http2 client, for lbproxy's
// end-to-end tests (t_h2*.sh). Node encodes like a real client (Huffman,
// dynamic table, cookie crumbs as separate never-indexed fields) and still
// sends a few things a server must refuse (CR, LF or NUL in a value, a
// content-length that the DATA contradicts, :authority and host that
// disagree), which makes it a second, independent encoder next to h2raw.py.
//
//   node h2node.js [--ca FILE] [--one] [--timeout MS] URL CASES
//
// URL is http://HOST:PORT (prior knowledge) or https://HOST:PORT (ALPN h2,
// certificate checked against --ca FILE, else not checked). CASES is a JSON
// array of requests:
//
//   {"name": "crumbs", "path": "/echo", "method": "GET",
//    "headers": {"cookie": ["a=1", "b=2"], "x-a": "b"},
//    "body": "text" | "bodyFile": "PATH" | "bodyBytes": N}
//
// Each request goes on its own connection, or with --one all of them on one
// connection at the same time. One JSON line per case, in order:
//
//   {"name", "status", "headers", "body" (first 64 KiB, latin1), "bodyLen",
//    "sha256", "rst" (the stream's RST_STREAM code, 0 when none), "error"
//    (Node's error code, "THROW <code>" when Node refused to send,
//    "timeout"), "goaway" ([code, lastStreamID] or null), "alpn"}
//
// Every connection is bounded by --timeout (default 5000 ms). Exit 0, 64 on
// a usage error.
'use strict';

const http2 = require('http2');
const fs = require('fs');
const crypto = require('crypto');

function usage(msg) {
  process.stderr.write('h2node: ' + msg + '\n' +
      'usage: node h2node.js [--ca FILE] [--one] [--timeout MS] URL CASES\n');
  process.exit(64);
}

const args = process.argv.slice(2);
let ca = null, one = false, timeout = 5000;
while (args.length && args[0].startsWith('--')) {
  const o = args.shift();
  if (o === '--ca') ca = fs.readFileSync(args.shift());
  else if (o === '--one') one = true;
  else if (o === '--timeout') timeout = parseInt(args.shift(), 10);
  else usage('unknown option ' + o);
}
if (args.length !== 2) usage('needs URL and CASES');
const url = args[0];
let cases;
try {
  cases = JSON.parse(args[1]);
} catch (e) {
  usage('CASES is not JSON: ' + e.message);
}

function connect() {
  const opts = {settings: {enablePush: false}};
  if (url.startsWith('https:')) {
    opts.ALPNProtocols = ['h2'];
    if (ca) opts.ca = ca;
    else opts.rejectUnauthorized = false;
  }
  return http2.connect(url, opts);
}

// Run case c on session s; resolve with its result object.
function run(s, c, state) {
  return new Promise((resolve) => {
    const out = {name: c.name, status: null, headers: null, body: '',
      bodyLen: 0, sha256: null, rst: 0, error: null, goaway: null, alpn: null};
    const h = Object.assign({':path': c.path || '/', ':method': c.method || 'GET'},
        c.headers || {});
    let body = null;
    if (c.bodyFile) body = fs.readFileSync(c.bodyFile);
    else if (c.bodyBytes !== undefined) body = Buffer.alloc(c.bodyBytes, 'x');
    else if (c.body !== undefined) body = Buffer.from(c.body, 'latin1');
    let r;
    try {
      r = s.request(h, {endStream: body === null});
    } catch (e) {
      out.error = 'THROW ' + (e.code || e.message);
      resolve(out);
      return;
    }
    const hash = crypto.createHash('sha256');
    const chunks = [];
    let kept = 0, done = false;
    const finish = () => {
      if (done) return;
      done = true;
      out.sha256 = hash.digest('hex');
      out.body = Buffer.concat(chunks).toString('latin1');
      out.rst = r.rstCode || 0;
      out.goaway = state.goaway;
      out.alpn = s.alpnProtocol || null;
      resolve(out);
    };
    r.on('response', (hd) => {
      out.status = hd[':status'];
      out.headers = hd;
    });
    r.on('data', (d) => {
      hash.update(d);
      out.bodyLen += d.length;
      if (kept < 65536) {
        chunks.push(d.subarray(0, 65536 - kept));
        kept += Math.min(d.length, 65536 - kept);
      }
    });
    r.on('error', (e) => {
      out.error = e.code || e.message;
    });
    r.on('close', finish);
    state.finishers.push(() => {
      if (!out.error) out.error = 'timeout';
      finish();
    });
    if (body !== null) r.end(body);
  });
}

// Cases on one session; resolves with their results once all are done.
function session(list) {
  const s = connect();
  const state = {goaway: null, finishers: []};
  s.on('goaway', (code, last) => {
    state.goaway = [code, last];
  });
  s.on('error', () => {});
  const timer = setTimeout(() => {
    for (const f of state.finishers) f();
    s.destroy();
  }, timeout);
  return Promise.all(list.map((c) => run(s, c, state))).then((res) => {
    clearTimeout(timer);
    s.close();
    return res;
  });
}

(async () => {
  let results = [];
  if (one) {
    results = await session(cases);
  } else {
    for (const c of cases) results = results.concat(await session([c]));
  }
  for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
})();

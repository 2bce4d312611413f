"""hlib: raw-socket HTTP/1.1 client helpers for the end-to-end tests (t_http_*.sh).

Run through lib.sh's http_py PORT, which sets VIP (the port Conn() and get()
connect to). member_requests() reads the members' ports from MEMBER_PORTS
(space-separated lbtest-backend ports).
"""
import os, socket, sys, time

PORT = int(os.environ.get("VIP", "0"))


class Resp:
    pass


class Conn:
    """A raw client connection that parses HTTP/1.x responses strictly."""

    def __init__(self, port=None, rcvbuf=None, timeout=5):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port or PORT))
        self.buf = b""
        self.eof = False
        self.reset = False

    def send(self, data):
        self.s.sendall(data)

    def fill(self):
        if self.eof:
            return False
        try:
            d = self.s.recv(65536)
        except ConnectionResetError:
            self.reset = True
            d = b""
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def line(self):
        while b"\r\n" not in self.buf:
            if not self.fill():
                raise EOFError("connection ended in a response head")
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def take(self, n):
        while len(self.buf) < n:
            if not self.fill():
                raise EOFError("connection ended %d bytes short" % (n - len(self.buf)))
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def rest(self):
        while self.fill():
            pass
        d, self.buf = self.buf, b""
        return d

    def closed(self, wait=2):
        """True if the peer closes (FIN or reset) within wait seconds with nothing more sent."""
        self.s.settimeout(wait)
        try:
            return self.rest() == b""
        except socket.timeout:
            return False

    def response(self, method="GET"):
        """One final response (1xx are collected in r.interim); body per its framing."""
        r = Resp()
        r.interim = []
        while True:
            sl = self.line().decode("latin-1")
            ver, code = sl.split(" ")[0], int(sl.split(" ")[1])
            hdrs = []
            while True:
                l = self.line()
                if l == b"":
                    break
                n, v = l.decode("latin-1").split(":", 1)
                hdrs.append((n.strip(), v.strip()))
            if 100 <= code < 200 and code != 101:
                r.interim.append(code)
                continue
            break
        r.version, r.status, r.headers = ver, code, hdrs
        r.h = {}
        for n, v in hdrs:
            r.h.setdefault(n.lower(), v)
        r.all = lambda name: [v for n, v in hdrs if n.lower() == name.lower()]
        te = r.h.get("transfer-encoding")
        r.framing = "none"
        if method == "HEAD" or code in (101, 204, 304):
            r.body = b""
        elif te is not None:
            assert te.lower() == "chunked", te
            r.framing = "chunked"
            body = b""
            while True:
                size = self.line().split(b";")[0]
                n = int(size, 16)
                if n == 0:
                    while self.line() != b"":
                        pass
                    break
                body += self.take(n)
                assert self.take(2) == b"\r\n", "chunk data not followed by CRLF"
            r.body = body
        elif "content-length" in r.h:
            r.framing = "length"
            r.body = self.take(int(r.h["content-length"]))
        else:
            r.framing = "close"
            r.body = self.rest()
            assert not self.reset, "close-delimited body ended by a reset"
        return r


def request(path, method="GET", headers=(), body=None, version="1.1", host="a"):
    h = "%s %s HTTP/%s\r\n" % (method, path, version)
    if host is not None:
        h += "Host: %s\r\n" % host
    for x in headers:
        h += x + "\r\n"
    if body is not None and not any(x.lower().startswith(("content-length", "transfer-encoding")) for x in headers):
        h += "Content-Length: %d\r\n" % len(body)
    return h.encode() + b"\r\n" + (body or b"")


def get(path, **kw):
    c = Conn()
    c.send(request(path, headers=list(kw.pop("headers", [])) + ["Connection: close"], **kw))
    return c.response(kw.get("method", "GET"))


def check(cond, msg):
    if not cond:
        print("FAIL:", msg, file=sys.stderr)
        sys.exit(1)


_stats_reads = 0


def member_requests():
    """Requests the members (MEMBER_PORTS) have parsed so far, not counting these /stats reads."""
    global _stats_reads
    n = 0
    ports = os.environ["MEMBER_PORTS"].split()
    for p in ports:
        c = Conn(int(p))
        c.send(request("/stats", headers=["Connection: close"]))
        body = c.response().body.decode()
        n += int(body.split("requests ")[1].split()[0])
    _stats_reads += len(ports)
    return n - _stats_reads


def still_serves():
    """A normal request through lbproxy still gets a member's answer."""
    r = get("/")
    check(r.status == 200 and r.h.get("x-backend") in ("b1", "b2"), "lbproxy no longer serves: %d" % r.status)


def answered(name, c, status):
    """c gets lbproxy's own answer with status, Connection: close, then the connection closes."""
    r = c.response()
    check(r.status == status, "%s: got %d, expected %s" % (name, r.status, status))
    check("x-backend" not in r.h, "%s: the answer came from a member" % name)
    check(r.h.get("connection") == "close", "%s: no Connection: close" % name)
    check(c.closed(), "%s: connection left open" % name)


def refused(name, data, status, reach=0):
    """data gets status (or, with status None, a close) and at most reach requests reach a member."""
    before = member_requests()
    c = Conn()
    try:
        c.send(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if status is None:
        try:
            r = c.response()
            check(False, "%s: got %d, expected no response" % (name, r.status))
        except (EOFError, ConnectionResetError):
            pass
    else:
        try:
            answered(name, c, status)
        except (EOFError, ConnectionResetError):
            check(False, "%s: no response, expected %s" % (name, status))
    time.sleep(0.05)
    got = member_requests() - before
    check(got <= reach, "%s: %d request(s) reached a member" % (name, got))
    still_serves()

#!/usr/bin/env python3
"""h2raw: a raw HTTP/2 client for lbproxy's end-to-end tests (t_h2*.sh).

It writes frames byte by byte, valid or not, and reports every frame the
server sends back, so a test can send what real clients refuse to (uppercase
names, CR/LF/NUL in values, connection-specific fields, broken pseudo-header
sets, floods) and see exactly how the server answers. Python 3 standard
library only; 127.0.0.1 by default, every wait bounded.

HPACK: requests are encoded by hand with literal fields, without Huffman,
"without indexing" by default (kind="never" and kind="incr" on demand, and
idx(N) for an indexed field); responses are decoded in full (Huffman, the
dynamic table), so a :status of 431 or 503 prints as such.

Command line (one connection, frames from Python expressions):

    h2raw.py [options] HOST PORT [EXPR...]

      -t SECS        read for SECS after the last frame was sent (default 3);
                     the connection closing ends the wait earlier
      --tls          TLS with ALPN h2 (the certificate is not verified)
      -s NAME=VALUE  a setting in the client's SETTINGS, e.g.
                     -s INITIAL_WINDOW_SIZE=0 (repeatable)
      --no-preface   send neither the preface nor the client's SETTINGS
      --no-ack       never ACK the server's SETTINGS or PINGs
      --no-window    never send WINDOW_UPDATE
      --done         stop once every stream opened by the expressions has
                     ended (END_STREAM or RST_STREAM)

    Each EXPR is evaluated with this module's names in scope and must give
    bytes, a list (or generator) of bytes, or a marker: sync() (a PING round
    trip: the server has processed all sent before) or pause(SECS) (read for
    SECS). Examples:

      h2raw.py 127.0.0.1 8080 'headers(1, req("/"), es=True)'
      h2raw.py 127.0.0.1 8080 '[headers(i, req("/")) + rst(i, CANCEL) for i in range(1, 2001, 2)]'
      h2raw.py 127.0.0.1 8080 '[ping() for _ in range(1000)]'

    One line per frame received, in order:

      SETTINGS flags=0x0 stream=0 MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=65535
      HEADERS flags=0x4 stream=1 :status=200 x-backend=b1
      DATA flags=0x1 stream=1 len=3
      RST_STREAM flags=0x0 stream=3 error=PROTOCOL_ERROR(0x1)
      GOAWAY flags=0x0 stream=0 last=1 error=ENHANCE_YOUR_CALM(0xb)

    then one last line: EOF (the server closed), RESET (the server reset the
    connection), TIMEOUT (still open when the wait ended) or DONE (--done).
    A server that answers with something else than a SETTINGS frame gets
    "NOT-H2 <first bytes>" and the connection is dropped. Exit status 0,
    2 if the connection could not be made, 64 on a usage error.

Library (from h2raw import *): the builders below (frame, settings, headers,
continuation, data, rst, ping, priority, window_update, goaway, req, lit,
idx, block, headers_split) and H2, a connection that tracks streams and
answers SETTINGS, PINGs and flow control by itself.
"""
import select, socket, ssl, sys, time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

TYPES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
         "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]
(DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY,
 WINDOW_UPDATE, CONTINUATION) = range(10)

END_STREAM = ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

ERRORS = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
          "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR",
          "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
          "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
(NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR,
 SETTINGS_TIMEOUT, STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL,
 COMPRESSION_ERROR, CONNECT_ERROR, ENHANCE_YOUR_CALM, INADEQUATE_SECURITY,
 HTTP_1_1_REQUIRED) = range(14)

SETTING_IDS = {"HEADER_TABLE_SIZE": 1, "ENABLE_PUSH": 2,
               "MAX_CONCURRENT_STREAMS": 3, "INITIAL_WINDOW_SIZE": 4,
               "MAX_FRAME_SIZE": 5, "MAX_HEADER_LIST_SIZE": 6,
               "ENABLE_CONNECT_PROTOCOL": 8, "NO_RFC7540_PRIORITIES": 9}
SETTING_NAMES = {v: k for k, v in SETTING_IDS.items()}


def error_name(code):
    """'NAME(0xN)' for an error code."""
    name = ERRORS[code] if code < len(ERRORS) else "UNKNOWN"
    return "%s(0x%x)" % (name, code)


# --- HPACK (RFC 7541) -----------------------------------------------------

STATIC = [
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
    (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"),
    (":status", "200"), (":status", "204"), (":status", "206"),
    (":status", "304"), (":status", "400"), (":status", "404"),
    (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""),
    ("accept-ranges", ""), ("accept", ""), ("access-control-allow-origin", ""),
    ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
    ("content-disposition", ""), ("content-encoding", ""),
    ("content-language", ""), ("content-length", ""),
    ("content-location", ""), ("content-range", ""), ("content-type", ""),
    ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""),
    ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
    ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""),
    ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
    ("proxy-authorization", ""), ("range", ""), ("referer", ""),
    ("refresh", ""), ("retry-after", ""), ("server", ""), ("set-cookie", ""),
    ("strict-transport-security", ""), ("transfer-encoding", ""),
    ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
]
STATIC = [(n.encode(), v.encode()) for n, v in STATIC]

# Code lengths of symbols 0..256 (EOS), as chr(ord('A') + length - 5). The
# HPACK Huffman code is canonical (Appendix B), so the lengths give the codes.
_HUFF_LENGTHS = (
    "ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHF"
    "IBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIX"
    "PRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRS"
    "VVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWV"
    "Z")


def _huff_codes():
    lengths = [ord(c) - ord("A") + 5 for c in _HUFF_LENGTHS]
    order = sorted(range(257), key=lambda s: (lengths[s], s))
    codes, code, prev = {}, 0, lengths[order[0]]
    for i, sym in enumerate(order):
        if i:
            code = (code + 1) << (lengths[sym] - prev)
        prev = lengths[sym]
        codes[(lengths[sym], code)] = sym
    return codes


_HUFF = _huff_codes()


class HpackError(Exception):
    pass


def huffman_decode(data):
    out, code, n = bytearray(), 0, 0
    for byte in data:
        for bit in range(7, -1, -1):
            code = (code << 1) | ((byte >> bit) & 1)
            n += 1
            sym = _HUFF.get((n, code))
            if sym is not None:
                if sym == 256:
                    raise HpackError("EOS in a Huffman string")
                out.append(sym)
                code, n = 0, 0
            elif n > 30:
                raise HpackError("bad Huffman code")
    if n > 7 or code != (1 << n) - 1:
        raise HpackError("bad Huffman padding")
    return bytes(out)


def hpack_int(value, prefix_bits, first=0):
    """HPACK integer with an N-bit prefix; first carries the pattern bits."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _b(x):
    return x if isinstance(x, bytes) else str(x).encode("latin-1")


def hpack_str(s):
    """A string literal without Huffman."""
    s = _b(s)
    return hpack_int(len(s), 7) + s


def lit(name, value, kind="plain"):
    """One literal field with a literal name: kind plain (without indexing),
    never (never indexed) or incr (incremental indexing: the server adds it
    to its dynamic table, first dynamic index 62)."""
    first = {"plain": 0x00, "never": 0x10, "incr": 0x40}[kind]
    return bytes([first]) + hpack_str(name) + hpack_str(value)


def idx(n):
    """An indexed field (static 1..61, dynamic from 62)."""
    return hpack_int(n, 7, 0x80)


def block(hdrs, kind="plain"):
    """A header block: each item a (name, value) pair, encoded with lit(), or
    bytes already encoded (idx(), lit(..., kind="incr"), garbage)."""
    if isinstance(hdrs, (bytes, bytearray)):
        return bytes(hdrs)
    out = bytearray()
    for h in hdrs:
        out += h if isinstance(h, (bytes, bytearray)) else lit(h[0], h[1], kind)
    return bytes(out)


class Decoder:
    """HPACK decoder with its dynamic table (the server's encoder state)."""

    def __init__(self, max_size=4096):
        self.table = []  # newest first
        self.size = 0
        self.max_size = max_size

    def _int(self, data, pos, prefix_bits):
        limit = (1 << prefix_bits) - 1
        value = data[pos] & limit
        pos += 1
        if value < limit:
            return value, pos
        shift = 0
        while True:
            if pos >= len(data):
                raise HpackError("truncated integer")
            b = data[pos]
            pos += 1
            value += (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value, pos

    def _str(self, data, pos):
        if pos >= len(data):
            raise HpackError("truncated string")
        huff = data[pos] & 0x80
        n, pos = self._int(data, pos, 7)
        if pos + n > len(data):
            raise HpackError("truncated string")
        s = data[pos:pos + n]
        return (huffman_decode(s) if huff else bytes(s)), pos + n

    def _get(self, i):
        if 1 <= i <= len(STATIC):
            return STATIC[i - 1]
        j = i - len(STATIC) - 1
        if 0 <= j < len(self.table):
            return self.table[j]
        raise HpackError("index %d out of range" % i)

    def _evict(self):
        while self.size > self.max_size and self.table:
            n, v = self.table.pop()
            self.size -= len(n) + len(v) + 32

    def decode(self, data):
        hdrs, pos = [], 0
        while pos < len(data):
            b = data[pos]
            if b & 0x80:
                i, pos = self._int(data, pos, 7)
                hdrs.append(self._get(i))
                continue
            if b & 0xE0 == 0x20:
                self.max_size, pos = self._int(data, pos, 5)
                self._evict()
                continue
            bits, add = (6, True) if b & 0x40 else (4, False)
            i, pos = self._int(data, pos, bits)
            if i:
                name = self._get(i)[0]
            else:
                name, pos = self._str(data, pos)
            value, pos = self._str(data, pos)
            hdrs.append((name, value))
            if add:
                self.table.insert(0, (name, value))
                self.size += len(name) + len(value) + 32
                self._evict()
        return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in hdrs]


# --- frame builders -------------------------------------------------------

def frame(ftype, flags, sid, payload=b""):
    """One frame: 9-byte header (length, type, flags, stream id) and payload."""
    payload = bytes(payload)
    return (len(payload).to_bytes(3, "big") + bytes([ftype, flags]) +
            (sid & 0x7FFFFFFF).to_bytes(4, "big") + payload)


def settings(*pairs, ack=False, **named):
    """SETTINGS: pairs (id, value) and/or NAME=value (names as SETTING_IDS,
    any case), or an ACK."""
    if ack:
        return frame(SETTINGS, ACK, 0)
    items = list(pairs) + [(SETTING_IDS[k.upper()], v) for k, v in named.items()]
    return frame(SETTINGS, 0, 0, b"".join(
        i.to_bytes(2, "big") + v.to_bytes(4, "big") for i, v in items))


_settings = settings  # H2() has a parameter of that name


def _pad(payload, pad):
    if pad is None:
        return payload, 0
    return bytes([pad]) + payload + b"\0" * pad, PADDED


def headers(sid, hdrs, es=False, eh=True, pad=None, prio=None, kind="plain"):
    """HEADERS on stream sid; hdrs as block(); prio = (dep, weight, excl)."""
    payload = block(hdrs, kind)
    flags = (END_STREAM if es else 0) | (END_HEADERS if eh else 0)
    if prio is not None:
        dep, weight, excl = prio
        payload = ((dep | (0x80000000 if excl else 0)).to_bytes(4, "big") +
                   bytes([weight - 1]) + payload)
        flags |= PRIORITY_FLAG
    payload, pf = _pad(payload, pad)
    return frame(HEADERS, flags | pf, sid, payload)


def continuation(sid, hdrs, eh=False, kind="plain"):
    return frame(CONTINUATION, END_HEADERS if eh else 0, sid, block(hdrs, kind))


def headers_split(sid, hdrs, es=False, size=16384, kind="plain"):
    """A header block too big for one frame: HEADERS then CONTINUATIONs of at
    most size bytes each, the last with END_HEADERS."""
    b = block(hdrs, kind)
    parts = [b[i:i + size] for i in range(0, len(b), size)] or [b""]
    out = [frame(HEADERS, (END_STREAM if es else 0) |
                 (END_HEADERS if len(parts) == 1 else 0), sid, parts[0])]
    for i, p in enumerate(parts[1:], 2):
        out.append(frame(CONTINUATION, END_HEADERS if i == len(parts) else 0, sid, p))
    return b"".join(out)


def data(sid, payload=b"", es=False, pad=None):
    payload, pf = _pad(_b(payload), pad)
    return frame(DATA, (END_STREAM if es else 0) | pf, sid, payload)


def rst(sid, code=CANCEL):
    return frame(RST_STREAM, 0, sid, code.to_bytes(4, "big"))


def ping(payload=b"h2raw...", ack=False):
    return frame(PING, ACK if ack else 0, 0, payload)


def priority(sid, dep=0, weight=16, excl=False):
    return frame(PRIORITY, 0, sid, (dep | (0x80000000 if excl else 0)).to_bytes(4, "big") +
                 bytes([weight - 1]))


def window_update(sid, inc):
    return frame(WINDOW_UPDATE, 0, sid, inc.to_bytes(4, "big"))


def goaway(last=0, code=NO_ERROR, debug=b""):
    return frame(GOAWAY, 0, 0, last.to_bytes(4, "big") + code.to_bytes(4, "big") + debug)


def req(path="/", method="GET", authority="127.0.0.1", scheme="http", extra=()):
    """The request pseudo-headers (a value None leaves that one out), then
    the (name, value) pairs of extra."""
    out = []
    for n, v in ((":method", method), (":scheme", scheme),
                 (":authority", authority), (":path", path)):
        if v is not None:
            out.append((n, v))
    return out + list(extra)


class _Marker:
    def __init__(self, what, secs=0.0):
        self.what, self.secs = what, secs


def sync():
    """Marker: a PING round trip before what follows (the server has read all before)."""
    return _Marker("sync")


def pause(secs):
    """Marker: read frames for secs before what follows."""
    return _Marker("pause", secs)


# --- received frames ------------------------------------------------------

class Frame:
    """A frame received; str() is its report line."""

    def __init__(self, ftype, flags, sid, payload):
        self.type, self.flags, self.sid, self.payload = ftype, flags, sid, payload
        self.headers = None  # decoded header list, for HEADERS/CONTINUATION ending a block
        self.error = None  # RST_STREAM and GOAWAY
        self.last = None  # GOAWAY
        self.debug = b""  # GOAWAY
        self.settings = []  # SETTINGS
        self.inc = None  # WINDOW_UPDATE

    @property
    def name(self):
        return TYPES[self.type] if self.type < len(TYPES) else "UNKNOWN(0x%x)" % self.type

    def __str__(self):
        s = "%s flags=0x%x stream=%d" % (self.name, self.flags, self.sid)
        if self.type == DATA:
            s += " len=%d" % len(self.payload)
        elif self.type in (RST_STREAM, GOAWAY) and self.error is not None:
            if self.type == GOAWAY:
                s += " last=%d" % self.last
            s += " error=" + error_name(self.error)
            if self.debug:
                s += " debug=%r" % self.debug.decode("latin-1")
        elif self.type == SETTINGS:
            s += "".join(" %s=%d" % (SETTING_NAMES.get(i, "0x%x" % i), v) for i, v in self.settings)
        elif self.type == WINDOW_UPDATE and self.inc is not None:
            s += " inc=%d" % self.inc
        elif self.type == PING:
            s += " data=%s" % self.payload.hex()
        elif self.type not in (HEADERS, CONTINUATION, PRIORITY):
            s += " len=%d" % len(self.payload)
        if self.headers is not None:
            s += "".join(" %s=%s" % (n, _show(v)) for n, v in self.headers)
        elif self.type in (HEADERS, CONTINUATION) and not self.flags & END_HEADERS:
            s += " (continued)"
        return s


def _show(v):
    return v if all(32 < ord(c) < 127 for c in v) else repr(v)


class Stream:
    """What the server sent on one stream."""

    def __init__(self, sid):
        self.sid = sid
        self.status = None  # final status (int)
        self.interim = []  # 1xx statuses
        self.headers = []  # final response fields, pseudo-headers included
        self.trailers = []
        self.body = bytearray()
        self.ended = False  # END_STREAM received
        self.rst = None  # RST_STREAM error code received
        self.t_end = None  # monotonic time it ended

    @property
    def done(self):
        return self.ended or self.rst is not None

    def h(self, name):
        """The first value of response field name (lower case), or None."""
        for n, v in self.headers:
            if n == name:
                return v
        return None

    def __repr__(self):
        return "<stream %d status=%s rst=%s ended=%s body=%d>" % (
            self.sid, self.status, None if self.rst is None else error_name(self.rst),
            self.ended, len(self.body))


# --- connection -----------------------------------------------------------

class H2:
    """One client connection. Sends the preface and SETTINGS (unless
    preface=False), ACKs the server's SETTINGS and PINGs (ack), returns
    flow-control credit for every DATA received (window), and records what
    arrives: frames (all, in order), streams (sid -> Stream), goaways
    [(last, code)], server_settings, closed (None, "EOF" or "RESET"),
    not_h2 (the first bytes, when the server does not speak HTTP/2).
    on_frame(frame) is called for each frame (the CLI prints them)."""

    def __init__(self, port, host="127.0.0.1", tls=False, sni=None,
                 settings=(), preface=True, ack=True, window=True, timeout=5,
                 on_frame=None):
        self.ack, self.window, self.timeout = ack, window, timeout
        self.on_frame = on_frame
        self.frames, self.streams, self.goaways = [], {}, []
        self.server_settings = {}
        self.settings_seen = False
        self.closed = None
        self.not_h2 = None
        self.send_error = None
        self.alpn = None
        self.buf = bytearray()
        self.dec = Decoder()
        self.next_sid = 1
        self.max_frame = 16384
        self.conn_window = 65535
        self.peer_initial_window = 65535
        self.send_windows = {}
        self._hblock = None  # (sid, first frame, fragments) of a header block in progress
        self._pings = 0
        raw = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname=sni or host)
            self.alpn = raw.selected_alpn_protocol()
        self.s = raw
        if preface:
            self.send(PREFACE + _settings(*settings))

    # -- sending

    def send(self, *chunks):
        """Send bytes (or lists of bytes); False once the peer has gone."""
        out = bytearray()
        for c in chunks:
            out += _flatten(c)
        if self.send_error:
            return False
        try:
            self.s.settimeout(self.timeout)
            self.s.sendall(out)
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout, ssl.SSLError, OSError) as e:
            self.send_error = e
            return False

    def send_paced(self, frames, batch=100, stop=None):
        """Send frames batch by batch, reading in between; stop early once
        the server sent GOAWAY or closed (or stop() is true). Returns how
        many frames went out."""
        frames = list(frames)
        sent = 0
        for i in range(0, len(frames), batch):
            if self.goaways or self.closed or self.send_error or (stop and stop()):
                break
            if not self.send(b"".join(frames[i:i + batch])):
                break
            sent += len(frames[i:i + batch])
            self.poll(0)
        return sent

    def request(self, path="/", method="GET", authority="127.0.0.1", scheme="http",
                extra=(), body=None, es=None):
        """Open the next client stream with req(...) and, if given, a body
        (sent within the flow-control windows, END_STREAM on the last DATA).
        Returns the stream id."""
        sid = self.next_sid
        self.next_sid += 2
        self.streams.setdefault(sid, Stream(sid))
        self.send_windows[sid] = self.peer_initial_window
        hdrs = req(path, method, authority, scheme, extra)
        if body is None:
            self.send(headers(sid, hdrs, es=True if es is None else es))
        else:
            self.send(headers(sid, hdrs))
            self.send_body(sid, body, es=True if es is None else es)
        return sid

    def send_body(self, sid, body, es=True, timeout=None):
        body = _b(body)
        deadline = time.monotonic() + (timeout or self.timeout)
        pos = 0
        while True:
            win = min(self.conn_window, self.send_windows.get(sid, self.peer_initial_window))
            n = min(len(body) - pos, self.max_frame, max(win, 0))
            last = pos + n == len(body)
            if n > 0 or last:
                if not self.send(data(sid, body[pos:pos + n], es=es and last)):
                    return False
                self.conn_window -= n
                self.send_windows[sid] = self.send_windows.get(sid, self.peer_initial_window) - n
                pos += n
                if last:
                    return True
                continue
            if self.closed or time.monotonic() > deadline:
                return False
            self.poll(0.05)

    def sync(self, timeout=None):
        """PING round trip: True once the server answered a PING sent now."""
        self._pings += 1
        payload = b"sync%04d" % (self._pings % 10000)
        if not self.send(ping(payload)):
            return False
        return self.wait(lambda: any(f.type == PING and f.flags & ACK and f.payload == payload
                                     for f in self.frames), timeout)

    # -- receiving

    def poll(self, timeout):
        """Read and handle what arrives within timeout seconds (0: what is
        there now); returns after the first read that got something."""
        if self.closed or self.not_h2 is not None:
            return
        pending = isinstance(self.s, ssl.SSLSocket) and self.s.pending()
        if not pending:
            try:
                r, _, _ = select.select([self.s], [], [], max(timeout, 0))
            except (OSError, ValueError):
                self.closed = "EOF"
                return
            if not r:
                return
        try:
            self.s.settimeout(self.timeout)
            d = self.s.recv(262144)
        except ConnectionResetError:
            self.closed = "RESET"
            return
        except ssl.SSLWantReadError:
            return
        except (ssl.SSLError, OSError):
            self.closed = "RESET"
            return
        if not d:
            self.closed = "EOF"
            return
        self.buf += d
        self._parse()

    def wait(self, cond, timeout=None):
        """Read until cond() is true, the connection ends or timeout; cond()."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0 or self.closed or self.not_h2 is not None:
                break
            self.poll(min(left, 0.2))
        return cond()

    def wait_close(self, timeout=None):
        """Read until the server closes; True if it did within timeout."""
        return self.wait(lambda: self.closed is not None, timeout)

    def response(self, sid, timeout=None):
        """Wait until stream sid has ended (or the connection); its Stream."""
        self.streams.setdefault(sid, Stream(sid))
        self.wait(lambda: self.streams[sid].done or bool(self.goaways) and sid > self.goaways[-1][0], timeout)
        return self.streams[sid]

    def goaway_code(self):
        """The error code of the last GOAWAY received, or None."""
        return self.goaways[-1][1] if self.goaways else None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def _stream(self, sid):
        if sid not in self.streams:
            self.streams[sid] = Stream(sid)
        return self.streams[sid]

    def _parse(self):
        while True:
            if not self.settings_seen and self.not_h2 is None and len(self.buf) >= 9:
                if self.buf[3] != SETTINGS or self.buf[5:9] != b"\0\0\0\0" or self.buf[4] & ACK:
                    self.not_h2 = bytes(self.buf[:200])
                    self.close()
                    if self.on_frame:
                        self.on_frame("NOT-H2 %r" % self.not_h2)
                    return
            if len(self.buf) < 9:
                return
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                return
            f = Frame(self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF,
                      bytes(self.buf[9:9 + n]))
            del self.buf[:9 + n]
            self._handle(f)
            self.frames.append(f)
            if self.on_frame:
                self.on_frame(f)

    def _handle(self, f):
        p = f.payload
        if f.type == SETTINGS:
            self.settings_seen = True
            if not f.flags & ACK:
                f.settings = [(int.from_bytes(p[i:i + 2], "big"), int.from_bytes(p[i + 2:i + 6], "big"))
                              for i in range(0, len(p) - 5, 6)]
                for i, v in f.settings:
                    self.server_settings[SETTING_NAMES.get(i, i)] = v
                    if i == SETTING_IDS["INITIAL_WINDOW_SIZE"]:
                        delta = v - self.peer_initial_window
                        self.peer_initial_window = v
                        for s in self.send_windows:
                            self.send_windows[s] += delta
                    elif i == SETTING_IDS["MAX_FRAME_SIZE"]:
                        self.max_frame = v
                if self.ack:
                    self.send(settings(ack=True))
        elif f.type == PING:
            if not f.flags & ACK and self.ack:
                self.send(ping(p, ack=True))
        elif f.type == GOAWAY:
            f.last = int.from_bytes(p[:4], "big") & 0x7FFFFFFF
            f.error = int.from_bytes(p[4:8], "big")
            f.debug = p[8:]
            self.goaways.append((f.last, f.error))
        elif f.type == RST_STREAM:
            f.error = int.from_bytes(p[:4], "big")
            s = self._stream(f.sid)
            s.rst, s.t_end = f.error, time.monotonic()
        elif f.type == WINDOW_UPDATE:
            f.inc = int.from_bytes(p[:4], "big") & 0x7FFFFFFF
            if f.sid == 0:
                self.conn_window += f.inc
            else:
                self.send_windows[f.sid] = self.send_windows.get(f.sid, self.peer_initial_window) + f.inc
        elif f.type == DATA:
            s = self._stream(f.sid)
            body = p
            if f.flags & PADDED and p:
                body = p[1:len(p) - p[0]]
            s.body += body
            if f.flags & END_STREAM:
                s.ended, s.t_end = True, time.monotonic()
            if self.window and p:
                self.send(window_update(0, len(p)) +
                          (b"" if s.done else window_update(f.sid, len(p))))
        elif f.type in (HEADERS, PUSH_PROMISE):
            frag = p
            if f.flags & PADDED and p:
                frag = p[1:len(p) - p[0]]
            if f.type == HEADERS and f.flags & PRIORITY_FLAG:
                frag = frag[5:]
            if f.type == PUSH_PROMISE:
                frag = frag[4:]
            self._hblock = (f.sid, f, [frag])
            if f.flags & END_HEADERS:
                self._end_block(f)
        elif f.type == CONTINUATION and self._hblock:
            self._hblock[2].append(p)
            if f.flags & END_HEADERS:
                self._end_block(f)

    def _end_block(self, last):
        sid, first, frags = self._hblock
        self._hblock = None
        try:
            hdrs = self.dec.decode(b"".join(frags))
        except HpackError as e:
            hdrs = [("hpack-error", str(e))]
        last.headers = hdrs
        if first.type != HEADERS:
            return
        s = self._stream(sid)
        status = dict(hdrs).get(":status")
        if status is not None and status.isdigit() and 100 <= int(status) < 200:
            s.interim.append(int(status))
        elif s.status is None and status is not None and status.isdigit():
            s.status, s.headers = int(status), hdrs
        else:
            s.trailers = hdrs
        if first.flags & END_STREAM:
            s.ended, s.t_end = True, time.monotonic()


def _flatten(x):
    if x is None:
        return b""
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    if isinstance(x, str):
        return x.encode("latin-1")
    return b"".join(_flatten(y) for y in x)


def _opened(data_):
    """Stream ids of the HEADERS frames in data_ (a run of whole frames)."""
    out, pos = set(), 0
    while pos + 9 <= len(data_):
        n = int.from_bytes(data_[pos:pos + 3], "big")
        if data_[pos + 3] == HEADERS:
            out.add(int.from_bytes(data_[pos + 5:pos + 9], "big") & 0x7FFFFFFF)
        pos += 9 + n
    return out


def main(argv):
    import getopt
    try:
        opts, args = getopt.getopt(argv, "t:s:", ["tls", "no-preface", "no-ack", "no-window", "done"])
    except getopt.GetoptError as e:
        print("h2raw: %s" % e, file=sys.stderr)
        return 64
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    wait, tls, preface, ack, window, done, sets = 3.0, False, True, True, True, False, []
    for o, v in opts:
        if o == "-t":
            wait = float(v)
        elif o == "-s":
            k, _, val = v.partition("=")
            sets.append((SETTING_IDS[k.upper()] if k.upper() in SETTING_IDS else int(k, 0), int(val, 0)))
        elif o == "--tls":
            tls = True
        elif o == "--no-preface":
            preface = False
        elif o == "--no-ack":
            ack = False
        elif o == "--no-window":
            window = False
        elif o == "--done":
            done = True

    def show(f):
        print(f, flush=True)

    try:
        c = H2(int(args[1]), args[0], tls=tls, settings=sets, preface=preface, ack=ack,
               window=window, timeout=max(wait, 1), on_frame=show)
    except (OSError, ssl.SSLError) as e:
        print("CONNECT-FAILED %s" % e, flush=True)
        return 2
    if tls:
        print("ALPN %s" % c.alpn, flush=True)
    scope = dict(globals())
    opened = set()
    for expr in args[2:]:
        v = eval(expr, scope)
        if isinstance(v, _Marker):
            if v.what == "sync":
                c.sync(wait)
            else:
                c.wait(lambda: False, v.secs)
            continue
        out = _flatten(v)
        opened |= _opened(out)
        c.send(out)
        c.poll(0)
    if c.send_error:
        print("SEND-FAILED %s" % c.send_error, flush=True)
    ended = (lambda: opened and all(c._stream(s).done for s in opened)) if done else (lambda: False)
    c.wait(ended, wait)
    if c.not_h2 is not None:
        pass  # already reported
    elif c.closed:
        print(c.closed)
    elif done and ended():
        print("DONE")
    else:
        print("TIMEOUT")
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

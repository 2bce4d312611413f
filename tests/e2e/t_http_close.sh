#!/bin/bash
# t_http_close: how lbproxy ends a client connection. When it closes while
# the client may still be sending (a refused head, bytes past a request's
# end), it shuts its write side and reads and drops what comes for a while
# (lingering close), so the client is not reset: it can go on sending, and
# it reads the whole response and then an orderly end. A client that said
# "Connection: close" and sent nothing more is closed at once, with its
# whole response and an orderly end too.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b1 0 http; p1=$BACKEND_PORT
vip=$(free_port)
write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/pool.json"

# closing HEAD [MORE]: send HEAD, then keep sending junk for 0.3 s without
# reading; print the status line, then "eof", "reset" or "send reset"
closing() {
	http_py "$vip" "$@" <<'PY'
import socket, sys, time
from hlib import PORT
head = sys.argv[1].encode().decode("unicode_escape").encode("latin-1")
more = len(sys.argv) > 2
s = socket.create_connection(("127.0.0.1", PORT))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(head)
out = []
if more:
    s.setblocking(False)
    junk, t = b"x" * 16384, time.time()
    while time.time() - t < 0.3:
        try:
            s.send(junk)
        except BlockingIOError:
            time.sleep(0.005)
        except OSError:
            out.append("send reset")
            break
s.setblocking(True)
s.settimeout(5)
data, end = b"", "eof"
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except ConnectionResetError:
    end = "reset"
print(data.split(b"\r\n", 1)[0].decode("latin-1"))
print(" ".join(out + [end]))
PY
}

out=$(closing 'GET / HTTP/1.1\r\nHost: a\r\nBad header line\r\n\r\n' more)
assert_eq "HTTP/1.1 400 Bad Request"$'\n'"eof" "$out" "refused head with more bytes: 400, no reset"
out=$(closing 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /next HTTP/1.1\r\n' more)
assert_eq "HTTP/1.1 200 OK"$'\n'"eof" "$out" "close request with bytes after it: 200, no reset"
out=$(closing 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
assert_eq "HTTP/1.1 200 OK"$'\n'"eof" "$out" "close request alone: 200, orderly end"
out=$(closing 'GET / HTTP/1.0\r\nHost: a\r\n\r\n')
assert_match "$out" "^HTTP/1\.[01] 200 OK"$'\n'"eof$" "HTTP/1.0 request: 200, orderly end"

/* proxy_tcp.c: placeholder, being written */

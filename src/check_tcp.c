/* check_tcp.c: placeholder, being written */

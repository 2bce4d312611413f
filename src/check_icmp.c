/* check_icmp.c: placeholder, being written */

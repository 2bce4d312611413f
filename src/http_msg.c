/* http_msg.c: placeholder, being written */

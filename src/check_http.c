/* check_http.c: placeholder, being written */

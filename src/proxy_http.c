/* proxy_http.c: placeholder, being written */

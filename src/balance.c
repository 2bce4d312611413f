/* balance.c: placeholder, being written */

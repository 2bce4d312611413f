/* process.c: placeholder, being written */

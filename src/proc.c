/* proc.c: placeholder, being written */

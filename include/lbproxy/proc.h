/* proc.h: being written */

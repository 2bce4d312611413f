/* stats.h: being written */

/* process.h: being written */

/* session.h: being written */

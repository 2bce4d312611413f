/* snapshot.h: being written */

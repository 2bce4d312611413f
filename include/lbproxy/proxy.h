/* proxy.h: being written */

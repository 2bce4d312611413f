/* config_check.c: placeholder, being written */

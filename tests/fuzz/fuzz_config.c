/* fuzz_config.c: libFuzzer harness for the pool-file loader. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_diag diag = { 0 };
	struct lb_config *conf;

	conf = lb_config_parse((const char *)data, size, "/nonexistent/fuzz.json", &diag);
	lb_config_free(conf);
	lb_diag_fini(&diag);
	return 0;
}

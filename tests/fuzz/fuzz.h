/* What every fuzz target shares: libFuzzer's entry points and a check
 * that aborts (so that libFuzzer records the input) with where it failed. */
#ifndef TP_FUZZ_H
#define TP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK(x)                                                          \
	do {                                                              \
		if (!(x)) {                                               \
			fprintf(stderr, "check failed: %s (%s:%d)\n", #x, \
				__FILE__, __LINE__);                      \
			abort();                                          \
		}                                                         \
	} while (0)

#endif

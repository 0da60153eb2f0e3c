/* test_util.h — what the unit tests share: time and size constants in the units the
 * code uses (µs, bytes). */
#ifndef BL_TEST_UTIL_H
#define BL_TEST_UTIL_H

#include "../engine/time.h"

#define MS  TIME_US_PER_MS
#define S   TIME_US_PER_S
#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

#endif

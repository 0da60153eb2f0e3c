/* rng.h — per-component random streams derived from the run's seed.
 *
 * Every component that draws (a producer's arrivals and keys, a consumer's processing
 * times, the network's drops) owns its own GSL generator seeded from hash(seed, name).
 * Extra draws in one component then never shift another's (TigerBeetle's seed per
 * layer). Nothing else in brokerlab is random. */
#ifndef BL_RNG_H
#define BL_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* A new mt19937 stream for `component` (e.g. "producer/checkout/0/arrivals"). The
 * caller frees it with gsl_rng_free. */
gsl_rng *rng_stream(uint64_t seed, const char *component);

/* The 64-bit value the stream above is seeded with (exposed for tests). */
uint64_t rng_derive_seed(uint64_t seed, const char *component);

#endif

/* rng.c — seed derivation (FNV-1a of the component name mixed by splitmix64) and GSL
 * stream creation. */
#include "rng.h"

#include "bl_assert.h"
#include "idmap.h"

/* One splitmix64 step: add the golden-ratio increment, then the finalizer, which is the
 * id maps' hash bl_hash_u64 (the same shifts and multipliers). */
static uint64_t splitmix64(uint64_t x)
{
    return bl_hash_u64(x + 0x9e3779b97f4a7c15ULL);
}

uint64_t rng_derive_seed(uint64_t seed, const char *component)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char *c = component; *c != '\0'; c++) {
        hash ^= (uint8_t)*c;
        hash *= 0x100000001b3ULL;
    }
    return splitmix64(splitmix64(seed) ^ hash);
}

gsl_rng *rng_stream(uint64_t seed, const char *component)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    BL_ASSERT(rng != NULL);
    /* mt19937 takes an unsigned long seed; 0 selects GSL's default, so avoid it. */
    unsigned long derived = (unsigned long)rng_derive_seed(seed, component);
    gsl_rng_set(rng, derived == 0 ? 1 : derived);
    return rng;
}

/* test_rng.c — seed derivation: rng_derive_seed's values are fixed (every stream of every
 * run, hence every history digest, depends on them); they were computed with the
 * splitmix64 step written out before rng.c used bl_hash_u64 as its finalizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../engine/rng.h"

static void derived_seeds_are_fixed(void **state)
{
    (void)state;
    assert_true(rng_derive_seed(1, "") == 0x36178ff42bee28e5ull);
    assert_true(rng_derive_seed(1, "producer/checkout/0/arrivals") == 0x7e27bd5212a66cddull);
    assert_true(rng_derive_seed(7, "consumer/sink/2/processing") == 0x78112ebfa7f3a2baull);
    assert_true(rng_derive_seed(0, "net") == 0x287931ceff4fde8eull);
    assert_true(rng_derive_seed(UINT64_MAX, "net") == 0xa751073491636eeeull);
}

static void streams_differ_by_component(void **state)
{
    (void)state;
    gsl_rng *a = rng_stream(1, "a");
    gsl_rng *b = rng_stream(1, "b");
    gsl_rng *a_again = rng_stream(1, "a");
    unsigned long first_a = gsl_rng_get(a);
    assert_true(first_a != gsl_rng_get(b));
    assert_true(first_a == gsl_rng_get(a_again));
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(a_again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(derived_seeds_are_fixed),
        cmocka_unit_test(streams_differ_by_component),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

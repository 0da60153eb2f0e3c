/* test_dedup_store.c — the idempotent consumer's store of processed message ids: a zeroed
 * store (as the run allocates it) is empty and valid, ids go in once and come out again,
 * many ids survive the set's growth and removals, and a freed store may be used again;
 * id 0 (no message has it) is a programmer error (a child process must exit with 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../models/common/dedup_store.h"
#include "../test_util.h"

static void test_zeroed_store_insert_contains_remove(void **state)
{
    (void)state;
    dedup_store store;
    memset(&store, 0, sizeof store);
    assert_false(dedup_store_contains(&store, 1));
    dedup_store_remove(&store, 1); /* absent: nothing happens */
    dedup_store_insert(&store, 7);
    dedup_store_insert(&store, 7); /* a second insertion of the same id changes nothing */
    assert_true(dedup_store_contains(&store, 7));
    assert_false(dedup_store_contains(&store, 8));
    assert_int_equal(bl_idmap_count(&store.ids), 1);
    dedup_store_remove(&store, 7);
    assert_false(dedup_store_contains(&store, 7));
    dedup_store_free(&store);
    dedup_store_free(&store); /* freeing twice is harmless */
}

static void test_many_ids_across_growth_and_removal(void **state)
{
    (void)state;
    dedup_store store;
    memset(&store, 0, sizeof store);
    for (uint64_t id = 1; id <= 10000; id++) dedup_store_insert(&store, id);
    for (uint64_t id = 2; id <= 10000; id += 2) dedup_store_remove(&store, id); /* the even */
    for (uint64_t id = 1; id <= 10001; id++)
        assert_int_equal(dedup_store_contains(&store, id), id % 2 == 1 && id <= 10000);
    assert_int_equal(bl_idmap_count(&store.ids), 5000);
    dedup_store_free(&store);
    assert_false(dedup_store_contains(&store, 1));
    dedup_store_insert(&store, 1); /* used again after free */
    assert_true(dedup_store_contains(&store, 1));
    dedup_store_free(&store);
}

static void insert_id_zero(void)
{
    dedup_store store;
    memset(&store, 0, sizeof store);
    dedup_store_insert(&store, 0);
}

static void test_id_zero_crashes(void **state)
{
    (void)state;
    test_expect_crash(insert_id_zero, "msg_id != 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_store_insert_contains_remove),
        cmocka_unit_test(test_many_ids_across_growth_and_removal),
        cmocka_unit_test(test_id_zero_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

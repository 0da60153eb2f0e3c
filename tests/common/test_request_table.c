/* test_request_table.c — a client's requests in flight: slots taken lowest first per
 * connection, found by (connection, correlation id) only, removed, scanned in order,
 * the earliest deadline; the per-connection maximum and a duplicate correlation id are
 * programmer errors (a child process must exit with code 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../models/common/request_table.h"
#include "../test_util.h"

static void test_add_find_remove_scan(void **state)
{
    (void)state;
    request_table table;
    request_table_init(&table, 3, 2);
    uint32_t a = request_table_add(&table, 1, 7, 0, 100, 500);
    uint32_t b = request_table_add(&table, 1, 8, 0, 110, 300);
    uint32_t c = request_table_add(&table, 2, 7, 1, 120, 900);
    assert_int_equal(a, 2); /* connection 1 owns slots 2 and 3 */
    assert_int_equal(b, 3);
    assert_int_equal(c, 4);
    assert_int_equal(request_table_in_flight(&table, 1), 2);
    assert_int_equal(request_table_find(&table, 1, 7), a);
    assert_int_equal(request_table_find(&table, 2, 7), c); /* the same id on another connection */
    assert_int_equal(request_table_find(&table, 0, 7), REQUEST_NONE);
    assert_int_equal(request_table_find(&table, 1, 9), REQUEST_NONE);
    assert_int_equal(request_table_earliest_deadline(&table), 300);
    request_table_remove(&table, a);
    assert_int_equal(request_table_find(&table, 1, 7), REQUEST_NONE);
    assert_int_equal(request_table_next(&table, 1, request_table_first(&table, 1)), b);
    assert_int_equal(request_table_next(&table, 1, b + 1), REQUEST_NONE);
    assert_int_equal(request_table_add(&table, 1, 9, 0, 130, 1000), a); /* the freed slot again */
    assert_int_equal(request_table_connection_of(&table, a), 1);
    request_table_clear(&table);
    assert_int_equal(request_table_in_flight(&table, 1), 0);
    assert_int_equal(request_table_earliest_deadline(&table), INT64_MAX);
    request_table_free(&table);
}

static void over_the_maximum(void)
{
    request_table table;
    request_table_init(&table, 1, 1);
    request_table_add(&table, 0, 1, 0, 0, 10);
    request_table_add(&table, 0, 2, 0, 0, 10);
}

static void same_correlation_twice(void)
{
    request_table table;
    request_table_init(&table, 1, 2);
    request_table_add(&table, 0, 1, 0, 0, 10);
    request_table_add(&table, 0, 1, 0, 0, 10);
}

static void test_bounds_are_asserted(void **state)
{
    (void)state;
    test_expect_crash(over_the_maximum, "more than 1 requests in flight on connection 0");
    test_expect_crash(same_correlation_twice, "correlation id 1 twice on connection 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_remove_scan),
        cmocka_unit_test(test_bounds_are_asserted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

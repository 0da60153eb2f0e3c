/* test_kafka_assignor.c — RangeAssignor and CooperativeStickyAssignor for one topic:
 * Range's contiguous blocks (its javadoc's example), the sticky assignor keeping owned
 * partitions up to the quota, and the cooperative adjustment withholding a partition
 * that changes owner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../models/kafka/kafka_assignor.h"

#define NONE KAFKA_ASSIGNOR_NONE

/* RangeAssignor's javadoc: C0, C1 and t0 with 3 partitions: C0 [t0p0, t0p1], C1 [t0p2]. */
static void range_gives_contiguous_blocks(void **state)
{
    uint32_t members[2] = {100, 200}, assignment[3];
    kafka_assign_range(members, 2, 3, assignment);
    assert_int_equal(assignment[0], 100);
    assert_int_equal(assignment[1], 100);
    assert_int_equal(assignment[2], 200);
    uint32_t three[3] = {1, 2, 3}, two[2];
    kafka_assign_range(three, 3, 2, two); /* more members than partitions: 3 gets none */
    assert_int_equal(two[0], 1);
    assert_int_equal(two[1], 2);
}

/* A member joins a group whose only member owns all four: the owner keeps its quota
 * (the lowest two), the other two would move, so they are withheld this generation. */
static void cooperative_withholds_moving_partitions(void **state)
{
    uint32_t members[2] = {10, 20}, assignment[4];
    uint32_t claimed_by[4] = {0, 0, 0, 0};
    uint8_t doubly[4] = {0};
    kafka_assign_cooperative_sticky(members, 2, 4, claimed_by, doubly, assignment);
    assert_int_equal(assignment[0], 10);
    assert_int_equal(assignment[1], 10);
    assert_int_equal(assignment[2], NONE);
    assert_int_equal(assignment[3], NONE);
    /* the next generation: nobody claims 2 and 3 any more, they go to 20 */
    uint32_t after[4] = {0, 0, NONE, NONE};
    kafka_assign_cooperative_sticky(members, 2, 4, after, doubly, assignment);
    assert_int_equal(assignment[2], 20);
    assert_int_equal(assignment[3], 20);
}

/* Owned partitions stay where they are when the assignment is balanced; a departed
 * member's partitions go to the members below their quota at once (no owner to
 * revoke them). */
static void sticky_keeps_owned_and_spreads_orphans(void **state)
{
    uint32_t members[3] = {1, 2, 3}, assignment[6];
    /* 1 owns 0,3; 2 owns 1,4; the owner of 2,5 left; 3 is new */
    uint32_t claimed_by[6] = {0, 1, NONE, 0, 1, NONE};
    uint8_t doubly[6] = {0};
    kafka_assign_cooperative_sticky(members, 3, 6, claimed_by, doubly, assignment);
    assert_int_equal(assignment[0], 1);
    assert_int_equal(assignment[3], 1);
    assert_int_equal(assignment[1], 2);
    assert_int_equal(assignment[4], 2);
    assert_int_equal(assignment[2], 3);
    assert_int_equal(assignment[5], 3);
    /* a partition claimed by two members of one generation goes to neither now */
    uint32_t claimed[2] = {0, NONE};
    uint8_t twice[2] = {1, 0};
    uint32_t two_members[2] = {1, 2}, small[2];
    kafka_assign_cooperative_sticky(two_members, 2, 2, claimed, twice, small);
    assert_int_equal(small[0], NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(range_gives_contiguous_blocks),
        cmocka_unit_test(cooperative_withholds_moving_partitions),
        cmocka_unit_test(sticky_keeps_owned_and_spreads_orphans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

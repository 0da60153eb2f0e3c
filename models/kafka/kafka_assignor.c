/* kafka_assignor.c — RangeAssignor and CooperativeStickyAssignor over one topic (see
 * kafka_assignor.h). */
#include "kafka_assignor.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"

static void assert_sorted(const uint32_t *member_ids, uint32_t member_count)
{
    for (uint32_t m = 1; m < member_count; m++)
        BL_ASSERTF(member_ids[m - 1] < member_ids[m], "assignor: members not sorted by id");
}

/* RangeAssignor.assignPartitions for one topic. */
void kafka_assign_range(const uint32_t *member_ids, uint32_t member_count, uint32_t partition_count,
                        uint32_t *assignment)
{
    assert_sorted(member_ids, member_count);
    for (uint32_t p = 0; p < partition_count; p++) assignment[p] = KAFKA_ASSIGNOR_NONE;
    if (member_count == 0) return;
    uint32_t p = 0;
    for (uint32_t m = 0; m < member_count; m++) {
        uint32_t share = partition_count / member_count + (m < partition_count % member_count);
        for (uint32_t k = 0; k < share; k++) assignment[p++] = member_ids[m];
    }
    BL_ASSERT(p == partition_count);
}

/* ConstrainedAssignmentBuilder's member lists, as member indices. */
typedef struct sticky_lists {
    uint32_t *under; /* unfilledMembersWithUnderMinQuotaPartitions, sorted */
    uint32_t under_count;
    uint32_t *exact; /* unfilledMembersWithExactlyMinQuotaPartitions, a queue */
    uint32_t exact_head, exact_count;
} sticky_lists;

static void exact_add(sticky_lists *lists, uint32_t m)
{
    lists->exact[lists->exact_head + lists->exact_count++] = m;
}

void kafka_assign_cooperative_sticky(const uint32_t *member_ids, uint32_t member_count,
                                     uint32_t partition_count, const uint32_t *claimed_by,
                                     const uint8_t *doubly_claimed, uint32_t *assignment)
{
    assert_sorted(member_ids, member_count);
    uint32_t n = partition_count, c = member_count;
    for (uint32_t p = 0; p < n; p++) assignment[p] = KAFKA_ASSIGNOR_NONE;
    if (c == 0) return;
    uint32_t min_quota = n / c, max_quota = (n + c - 1) / c;
    uint32_t expected_over = n % c, over = 0;
    uint32_t *count = calloc(c, sizeof *count);
    uint32_t *revoked_from = malloc(n * sizeof *revoked_from); /* maybeRevokedPartitions */
    /* the exact queue gets each member at most twice (once per phase) */
    sticky_lists lists = {.under = malloc(c * sizeof(uint32_t)),
                          .exact = malloc(2 * (size_t)c * sizeof(uint32_t))};
    BL_ASSERT(count && revoked_from && lists.under && lists.exact);
    for (uint32_t p = 0; p < n; p++) revoked_from[p] = KAFKA_ASSIGNOR_NONE;

    /* assignOwnedPartitions: each member keeps its owned partitions (lowest first) up to
     * its quota; the rest may be revoked */
    for (uint32_t m = 0; m < c; m++) {
        uint32_t owned = 0;
        for (uint32_t p = 0; p < n; p++) owned += claimed_by[p] == m && !doubly_claimed[p];
        uint32_t keep = owned;
        if (owned < min_quota) {
            lists.under[lists.under_count++] = m;
        } else if (owned >= max_quota && over < expected_over) {
            keep = max_quota;
            if (++over == expected_over) lists.exact_count = 0;
        } else {
            keep = min_quota;
            if (over < expected_over) exact_add(&lists, m);
        }
        for (uint32_t p = 0; p < n; p++) {
            if (claimed_by[p] != m || doubly_claimed[p]) continue;
            if (count[m] < keep) {
                assignment[p] = member_ids[m];
                count[m]++;
            } else {
                revoked_from[p] = m;
            }
        }
    }

    /* assignRoundRobin over the unassigned partitions in order; a partition going to a
     * member other than the one it is revoked from transfers ownership */
    uint32_t it = 0;
    for (uint32_t p = 0; p < n; p++) {
        if (assignment[p] != KAFKA_ASSIGNOR_NONE) continue;
        uint32_t m;
        bool from_under = true;
        if (it < lists.under_count) {
            m = lists.under[it];
        } else if (lists.under_count > 0) {
            it = 0;
            m = lists.under[it];
        } else {
            BL_ASSERTF(lists.exact_count > 0, "sticky assignor: no member left for partition %u",
                       p);
            m = lists.exact[lists.exact_head++];
            lists.exact_count--;
            from_under = false;
        }
        assignment[p] = member_ids[m];
        bool transfers =
            (revoked_from[p] != KAFKA_ASSIGNOR_NONE && revoked_from[p] != m) || doubly_claimed[p];
        if (transfers) assignment[p] = KAFKA_ASSIGNOR_NONE; /* adjustAssignment: withheld */
        uint32_t assigned = ++count[m];
        if (from_under && assigned == min_quota) {
            memmove(&lists.under[it], &lists.under[it + 1],
                    (lists.under_count - it - 1) * sizeof lists.under[0]);
            lists.under_count--;
            exact_add(&lists, m);
        } else {
            if (from_under) it++;
            if (assigned == max_quota && ++over == expected_over) lists.exact_count = 0;
        }
    }
    free(count);
    free(revoked_from);
    free(lists.under);
    free(lists.exact);
}

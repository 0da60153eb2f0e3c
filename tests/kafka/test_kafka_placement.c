/* test_kafka_placement.c — StripedReplicaPlacer's single-rack placement
 * (kafka_placement.c) and the metadata built on it: replicas run consecutively from a
 * drawn start, each partition one step further; after n partitions the broker list is
 * reshuffled; leaders and replicas are balanced within one; the placement follows the
 * seed; coordinators follow GroupCoordinatorService.partitionFor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../engine/rng.h"
#include "../../models/kafka/kafka_metadata.h"
#include "../../models/kafka/kafka_placement.h"
#include "../test_util.h"

#define PARTITIONS_MAX 64

static void place(uint64_t seed, uint32_t n, uint32_t partitions, uint32_t rf, uint16_t *out)
{
    gsl_rng *rng = rng_stream(seed, "kafka/placement");
    kafka_place_topic(rng, n, partitions, rf, out);
    gsl_rng_free(rng);
}

/* Partitions 0..n-1: partition p's replicas are b[(r + p + i) mod n] for one r; so are
 * n..2n-1 over one permutation of the brokers. Each broker leads one partition of each
 * block of n and holds rf replicas of it. */
static void check_blocks(uint32_t n, uint32_t rf)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint16_t replicas[PARTITIONS_MAX * 8];
        uint32_t partitions = 2 * n;
        place(seed, n, partitions, rf, replicas);
        for (uint32_t block = 0; block < 2; block++) {
            /* recover the block's permutation from the first replica of each partition */
            uint16_t permutation[8];
            uint32_t led[8] = {0}, held[8] = {0};
            for (uint32_t i = 0; i < n; i++) {
                uint32_t p = block * n + i;
                permutation[i] = replicas[p * rf];
                led[replicas[p * rf]]++;
                for (uint32_t r = 0; r < rf; r++) held[replicas[p * rf + r]]++;
            }
            for (uint32_t b = 0; b < n; b++) {
                assert_int_equal(led[b], 1);
                assert_int_equal(held[b], rf);
            }
            /* consecutive runs over the permutation: replica r of partition i is the
             * leader of partition i + r (mod n) of the same block */
            for (uint32_t i = 0; i < n; i++)
                for (uint32_t r = 0; r < rf; r++)
                    assert_int_equal(replicas[(block * n + i) * rf + r], permutation[(i + r) % n]);
        }
        /* the first block runs over the sorted brokers from the drawn start */
        for (uint32_t i = 0; i < n; i++) assert_int_equal(replicas[i * rf], (replicas[0] + i) % n);
    }
}

static void test_blocks_of_three_brokers(void **state)
{
    (void)state;
    check_blocks(3, 1);
    check_blocks(3, 2);
    check_blocks(3, 3);
}

static void test_blocks_of_five_brokers(void **state)
{
    (void)state;
    check_blocks(5, 1);
    check_blocks(5, 3);
}

static void test_same_seed_same_placement_and_seeds_differ(void **state)
{
    (void)state;
    uint16_t a[30], b[30];
    place(7, 5, 10, 3, a);
    place(7, 5, 10, 3, b);
    assert_memory_equal(a, b, sizeof a);
    bool differs = false;
    for (uint64_t seed = 8; seed < 40 && !differs; seed++) {
        place(seed, 5, 10, 3, b);
        differs = memcmp(a, b, sizeof a) != 0;
    }
    assert_true(differs);
}

static void test_one_broker(void **state)
{
    (void)state;
    uint16_t replicas[6];
    place(3, 1, 6, 1, replicas);
    for (uint32_t p = 0; p < 6; p++) assert_int_equal(replicas[p], 0);
}

static void place_four_replicas_on_three_brokers(void)
{
    uint16_t replicas[12];
    place(1, 3, 3, 4, replicas);
}

static void test_too_many_replicas_is_refused(void **state)
{
    (void)state;
    test_expect_crash(place_four_replicas_on_three_brokers, "INVALID_REPLICATION_FACTOR");
}

/* String.hashCode is h = 31 * h + c over the characters in 32-bit two's complement;
 * Utils.abs maps Integer.MIN_VALUE to 0. */
static void test_partition_for_is_javas_string_hash(void **state)
{
    (void)state;
    assert_int_equal(kafka_group_partition_for("", 50), 0);
    assert_int_equal(kafka_group_partition_for("a", 50), 97 % 50);
    assert_int_equal(kafka_group_partition_for("ab", 50), (97 * 31 + 98) % 50);
    /* "billing".hashCode() = -109829509 wraps below zero: abs, then mod 50 = 9 */
    assert_int_equal(kafka_group_partition_for("billing", 50), 9);
    /* "polygenelubricants".hashCode() == Integer.MIN_VALUE: Utils.abs gives 0 */
    assert_int_equal(kafka_group_partition_for("polygenelubricants", 50), 0);
    assert_int_equal(kafka_group_partition_for("polygenelubricants", 7), 0);
}

static void test_metadata_places_offsets_topic_and_coordinators(void **state)
{
    (void)state;
    scn_scenario *scenario = calloc(1, sizeof *scenario);
    assert_non_null(scenario);
    scenario->cluster.broker_count = 3;
    scenario->topic_count = 2;
    scenario->topics[0].partition_count = 6;
    scenario->topics[1].partition_count = 4;
    scenario->consumer_count = 2;
    strcpy(scenario->consumers[0].group, "billing");
    strcpy(scenario->consumers[1].group, "audit");
    kafka_cluster_options cluster = {.replica_lag_time_max_us = 30 * 1000000LL,
                                     .replica_fetch_min_bytes = 1,
                                     .replica_fetch_max_bytes = 1 << 20,
                                     .replica_fetch_backoff_us = 1000000,
                                     .replica_socket_timeout_us = 30 * 1000000LL,
                                     .leader_imbalance_check_interval_us = 300 * 1000000LL,
                                     .broker_heartbeat_interval_us = 2000000,
                                     .broker_session_timeout_us = 9000000,
                                     .offsets_topic_partitions = 50,
                                     .offsets_topic_replication_factor = 3};
    memcpy(scenario->cluster.family.bytes, &cluster, sizeof cluster);
    kafka_topic_options topics[2] = {{.replication_factor = 1}, {.replication_factor = 1}};
    kafka_metadata metadata;
    kafka_metadata_init(&metadata, scenario, topics, 11);
    assert_int_equal(metadata.partition_count, 10);
    assert_int_equal(metadata.offsets_replication_factor, 3);
    for (uint32_t t = 0; t < 2; t++) {
        for (uint32_t p = 0; p < scenario->topics[t].partition_count; p++) {
            const kafka_partition_state *partition = kafka_metadata_partition(&metadata, t, p);
            assert_int_equal(partition->replica_count, 1);
            assert_int_equal(partition->leader, partition->replicas[0]);
            assert_int_equal(partition->isr_brokers, 1u << partition->leader);
            assert_int_equal(partition->leader_epoch, 0);
        }
    }
    for (uint32_t g = 0; g < 2; g++) {
        uint32_t offsets_partition = kafka_group_partition_for(scenario->consumers[g].group, 50);
        const kafka_partition_state *offsets =
            kafka_metadata_offsets_partition(&metadata, offsets_partition);
        assert_int_equal(offsets->replica_count, 3);
        assert_int_equal(offsets->isr_brokers, 7u);
        assert_int_equal(kafka_metadata_coordinator(&metadata, g), offsets->replicas[0]);
    }
    kafka_metadata_free(&metadata);
    /* one broker: the offsets topic's replication factor is capped to 1 */
    scenario->cluster.broker_count = 1;
    kafka_metadata_init(&metadata, scenario, topics, 11);
    assert_int_equal(metadata.offsets_replication_factor, 1);
    assert_int_equal(kafka_metadata_coordinator(&metadata, 0), 0);
    kafka_metadata_free(&metadata);
    free(scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_of_three_brokers),
        cmocka_unit_test(test_blocks_of_five_brokers),
        cmocka_unit_test(test_same_seed_same_placement_and_seeds_differ),
        cmocka_unit_test(test_one_broker),
        cmocka_unit_test(test_too_many_replicas_is_refused),
        cmocka_unit_test(test_partition_for_is_javas_string_hash),
        cmocka_unit_test(test_metadata_places_offsets_topic_and_coordinators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

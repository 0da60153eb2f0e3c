/* test_kafka_metadata.c — the cluster metadata's placement and lookups: partitions'
 * leaders go round robin over the brokers from a per-topic start, so leadership is
 * balanced; a leader is its partition's only replica and in sync; coordinators spread
 * over the brokers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../models/kafka/kafka_metadata.h"

static void test_placement_is_round_robin_and_balanced(void **state)
{
    (void)state;
    scn_scenario *scenario = calloc(1, sizeof *scenario);
    assert_non_null(scenario);
    scenario->cluster.broker_count = 3;
    scenario->topic_count = 2;
    scenario->topics[0].partition_count = 6;
    scenario->topics[1].partition_count = 4;
    scenario->consumer_count = 3;
    kafka_topic_options topics[2] = {{.replication_factor = 1}, {.replication_factor = 1}};
    kafka_metadata metadata;
    kafka_metadata_init(&metadata, scenario, topics);
    assert_int_equal(metadata.partition_count, 10);
    uint32_t led[3] = {0};
    for (uint32_t t = 0; t < 2; t++) {
        for (uint32_t p = 0; p < scenario->topics[t].partition_count; p++) {
            uint32_t leader = kafka_metadata_leader(&metadata, t, p);
            assert_int_equal(leader, (t + p) % 3);
            const kafka_partition_state *partition = kafka_metadata_partition(&metadata, t, p);
            assert_int_equal(partition->replica_count, 1);
            assert_int_equal(partition->replicas[0], leader);
            assert_int_equal(partition->isr_brokers, 1u << leader);
            assert_int_equal(partition->leader_epoch, 0);
            led[leader]++;
        }
    }
    /* 10 partitions over 3 brokers: no broker leads more than one more than another */
    for (uint32_t b = 0; b < 3; b++) assert_true(led[b] >= 3 && led[b] <= 4);
    assert_int_equal(kafka_metadata_coordinator(&metadata, 0), 1);
    assert_int_equal(kafka_metadata_coordinator(&metadata, 1), 2);
    assert_int_equal(kafka_metadata_coordinator(&metadata, 2), 0);
    kafka_metadata_free(&metadata);
    free(scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placement_is_round_robin_and_balanced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

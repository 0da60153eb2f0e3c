/* test_scenario.c — scn_load on good input: a scenario that sets every key (every field
 * asserted), a minimal one (every default asserted), fault order, selector forms,
 * expectation marks, loading from a file and the unreadable-file message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../engine/bl_assert.h"
#include "../engine/scenario.h"
#include "test_util.h"
#include "../models/family.h"
#include "../models/kafka/kafka_options.h"
#include "../models/kafka/kafka_schema.h"

static const char full_yaml[] =
    "name: full-1.x_y\n"
    "description: Every key of the format.\n"
    "seed: 18446744073709551615\n"
    "duration: 10m\n"
    "drain: 90s\n"
    "check:\n"
    "  unavailable_after: 2s\n"
    "cluster:\n"
    "  preset: kafka\n"
    "  brokers: 5\n"
    "  network: { latency: 1ms, bandwidth: 10Gbps }\n"
    "  disk: { write_bandwidth: 250MB/s, fsync_latency: 3ms, capacity: 64GiB }\n"
    "  page_cache: 8GiB\n"
    "  os: { dirty_expire: 20s, writeback_interval: 2s }\n"
    "  flush: { messages: 10000, interval: 1s }\n"
    "topics:\n"
    "  - name: orders\n"
    "    partitions: 6\n"
    "    replication_factor: 1\n"
    "    retention: 1d\n"
    "    retention_bytes: 1GiB\n"
    "  - { name: Payments.v2 }\n"
    "producers:\n"
    "  - name: checkout\n"
    "    topic: orders\n"
    "    count: 3\n"
    "    rate:\n"
    "      base: 1000/s\n"
    "      spikes:\n"
    "        - { at: 30s, for: 10s, rate: 10000/s }\n"
    "        - { at: 2m, for: 5s, rate: 50/ms }\n"
    "      ramps:\n"
    "        - { at: 3m, for: 1m, to: 2000/s }\n"
    "        - { at: 4m, for: 30s, to: 500/s }\n"
    "    arrival: poisson\n"
    "    keys: zipf(1000, 1.1)\n"
    "    message_size: 4KiB\n"
    "    acks: 1\n"
    "    retries: 10\n"
    "    retry_backoff: 50ms\n"
    "    retry_backoff_max: 2s\n"
    "    request_timeout: 20s\n"
    "    delivery_timeout: 60s\n"
    "    max_in_flight: 1\n"
    "    linger: 10ms\n"
    "    batch_size: 64KiB\n"
    "    buffer_memory: 64MiB\n"
    "    request:\n"
    "      local: 2ms\n"
    "      calls: [ 5ms, const(1ms), exp(2ms), \"uniform(1ms, 3ms)\", 'normal(10ms, 2ms)' ]\n"
    "      publish: false\n"
    "  - name: web\n"
    "    topic: Payments.v2\n"
    "    rate: 10/s\n"
    "    keys: sequential(100)\n"
    "    acks: 0\n"
    "    retries: max\n"
    "    request: { publish: true }\n"
    "  - { name: batch, topic: orders, rate: 3600/h, keys: uniform(7), acks: all }\n"
    "consumers:\n"
    "  - group: billing\n"
    "    topic: orders\n"
    "    count: 2\n"
    "    commit: after_processing\n"
    "    processing: uniform(1ms, 3ms)\n"
    "    buffer: 1000\n"
    "    workers: 8\n"
    "    worker_routing: key_hash\n"
    "    dedup: true\n"
    "    session_timeout: 10s\n"
    "    heartbeat_interval: 1s\n"
    "    max_poll_records: 100\n"
    "    fetch_max_wait: 100ms\n"
    "    fetch_min_bytes: 64KiB\n"
    "    fetch_max_bytes: 2MiB\n"
    "    auto_offset_reset: earliest\n"
    "  - { group: audit, topic: Payments.v2, commit: auto, commit_interval: 1s,"
    " processing: \"normal(10ms, 2ms)\", dedup: false }\n"
    "  - { group: late, topic: orders, commit: before_processing, processing: exp(1ms) }\n"
    "faults:\n"
    "  - { at: 90s, restart: broker(1) }\n"
    "  - { at: 45s, crash: leader(orders/5), restart_after: 20s }\n"
    "  - { at: 70s, kill9: consumer(billing/1), restart_after: 2s }\n"
    "  - { at: 10s, partition: [[broker(0)], [brokers, clients]], for: 20s }\n"
    "  - { at: 10s, partition: { from: [broker(0), producer(checkout/2)], to: [clients] },"
    " for: 5s }\n"
    "  - { at: 40s, heal: all }\n"
    "  - { at: 100s, lossy_link: { between: [[broker(2)], [producers, consumers]],"
    " drop: 0.05 }, for: 10s }\n"
    "  - { at: 110s, slow_link: { between: [broker(3), consumer(audit)], latency: 100ms },"
    " for: 10s }\n"
    "  - { at: 120s, slow_disk: broker(4), factor: 10, for: 30s }\n"
    "  - { at: 130s, disk_full: brokers, for: 30s }\n"
    "  - { at: 140s, stall: consumer(billing), for: 60s }\n"
    "  - { at: 150s, crash: producer(web) }\n"
    "  - { at: 0s, kill9: producers }\n"
    "expect:\n"
    "  - always: billing.lost == 0\n"
    "  - sometimes: \"duplicated > 0\"\n"
    "  - always: 'producer(checkout).latency.ack.p99 < 2s'\n";

static const char minimal_yaml[] = "name: minimal\n"
                                   "duration: 60s\n"
                                   "cluster: {preset: kafka}\n"
                                   "topics: [{name: t}]\n";

static scn_scenario *load_ok(const char *yaml)
{
    scn_scenario *scenario = calloc(1, sizeof *scenario);
    char error[SCN_ERROR_LEN] = "";
    assert_non_null(scenario);
    int code = scn_load_string(family_schemas(), "test.yaml", yaml, scenario, error);
    if (code != 0) {
        print_error("unexpected error: %s\n", error);
    }
    assert_int_equal(code, BL_EXIT_OK);
    assert_string_equal(error, "");
    return scenario;
}

static void assert_dist(const scn_dist *dist, scn_dist_kind kind, int64_t a_us, int64_t b_us)
{
    assert_int_equal(dist->kind, kind);
    assert_int_equal(dist->a_us, a_us);
    assert_int_equal(dist->b_us, b_us);
}

static void assert_selector(const scn_selector *selector, scn_selector_kind kind, uint32_t entry,
                            uint32_t instance, bool all_instances)
{
    assert_int_equal(selector->kind, kind);
    assert_int_equal(selector->index, entry);
    assert_int_equal(selector->instance, instance);
    assert_int_equal(selector->all_instances, all_instances);
}

static void check_full_top_and_cluster(const scn_scenario *s)
{
    assert_string_equal(s->path, "test.yaml");
    assert_string_equal(s->name, "full-1.x_y");
    assert_string_equal(s->description, "Every key of the format.");
    assert_true(s->seed == UINT64_MAX);
    assert_int_equal(s->duration_us, 600 * S);
    assert_int_equal(s->drain_us, 90 * S);
    assert_int_equal(s->unavailable_after_us, 2 * S);
    const scn_cluster *c = &s->cluster;
    assert_string_equal(c->preset, "kafka");
    assert_int_equal(c->broker_count, 5);
    assert_int_equal(c->network.latency_us, 1 * MS);
    assert_true(c->network.bandwidth_bytes_per_s == 1250000000ULL);
    assert_true(c->disk.write_bandwidth_bytes_per_s == 250000000ULL);
    assert_int_equal(c->disk.fsync_latency_us, 3 * MS);
    assert_true(c->disk.capacity_bytes == 64 * GIB);
    assert_true(c->os.page_cache_bytes == 8 * GIB);
    assert_int_equal(c->os.dirty_expire_us, 20 * S);
    assert_int_equal(c->os.writeback_interval_us, 2 * S);
    assert_true(kafka_cluster_options_of(c).flush_messages == 10000);
    assert_int_equal(kafka_cluster_options_of(c).flush_interval_us, 1 * S);
    assert_int_equal(c->mark.line, 9);
    assert_int_equal(c->mark.column, 3);
    assert_int_equal(s->topic_count, 2);
    const scn_topic *orders = &s->topics[0];
    assert_string_equal(orders->name, "orders");
    assert_int_equal(orders->partition_count, 6);
    assert_int_equal(kafka_topic_options_of(orders).replication_factor, 1);
    assert_int_equal(kafka_topic_options_of(orders).retention_us, 86400 * S);
    assert_true(kafka_topic_options_of(orders).retention_bytes == GIB);
    assert_int_equal(orders->mark.line, 17);
    assert_int_equal(orders->mark.column, 5);
    assert_string_equal(s->topics[1].name, "Payments.v2");
    assert_int_equal(s->topics[1].partition_count, 1);
}

static void check_full_checkout(const scn_producer *p)
{
    assert_string_equal(p->name, "checkout");
    assert_int_equal(p->topic_index, 0);
    assert_int_equal(p->count, 3);
    assert_float_equal(p->rate.base_per_s, 1000.0, 0.0);
    assert_int_equal(p->rate.spike_count, 2);
    assert_int_equal(p->rate.spikes[0].at_us, 30 * S);
    assert_int_equal(p->rate.spikes[0].for_us, 10 * S);
    assert_float_equal(p->rate.spikes[0].rate_per_s, 10000.0, 0.0);
    assert_int_equal(p->rate.spikes[1].at_us, 120 * S);
    assert_int_equal(p->rate.spikes[1].for_us, 5 * S);
    assert_float_equal(p->rate.spikes[1].rate_per_s, 50000.0, 0.0);
    assert_int_equal(p->rate.ramp_count, 2);
    assert_int_equal(p->rate.ramps[0].at_us, 180 * S);
    assert_int_equal(p->rate.ramps[0].for_us, 60 * S);
    assert_float_equal(p->rate.ramps[0].to_per_s, 2000.0, 0.0);
    assert_int_equal(p->rate.ramps[1].at_us, 240 * S);
    assert_int_equal(p->rate.ramps[1].for_us, 30 * S);
    assert_float_equal(p->rate.ramps[1].to_per_s, 500.0, 0.0);
    assert_int_equal(p->arrival, SCN_ARRIVAL_POISSON);
    assert_int_equal(p->keys.kind, SCN_KEYS_ZIPF);
    assert_int_equal(p->keys.count, 1000);
    assert_float_equal(p->keys.zipf_s, 1.1, 1e-12);
    assert_true(p->message_size_bytes == 4 * KIB);
    assert_int_equal(kafka_producer_options_of(p).acks, KAFKA_ACKS_1);
    assert_int_equal(kafka_producer_options_of(p).retries, 10);
    assert_int_equal(kafka_producer_options_of(p).retry_backoff_us, 50 * MS);
    assert_int_equal(kafka_producer_options_of(p).retry_backoff_max_us, 2 * S);
    assert_int_equal(kafka_producer_options_of(p).request_timeout_us, 20 * S);
    assert_int_equal(kafka_producer_options_of(p).delivery_timeout_us, 60 * S);
    assert_int_equal(kafka_producer_options_of(p).max_in_flight, 1);
    assert_int_equal(kafka_producer_options_of(p).linger_us, 10 * MS);
    assert_true(kafka_producer_options_of(p).batch_size_bytes == 64 * KIB);
    assert_true(kafka_producer_options_of(p).buffer_memory_bytes == 64 * MIB);
    assert_true(p->request.enabled);
    assert_int_equal(p->request.local_us, 2 * MS);
    assert_int_equal(p->request.call_count, 5);
    assert_dist(&p->request.calls[0], SCN_DIST_CONST, 5 * MS, 0);
    assert_dist(&p->request.calls[1], SCN_DIST_CONST, 1 * MS, 0);
    assert_dist(&p->request.calls[2], SCN_DIST_EXP, 2 * MS, 0);
    assert_dist(&p->request.calls[3], SCN_DIST_UNIFORM, 1 * MS, 3 * MS);
    assert_dist(&p->request.calls[4], SCN_DIST_NORMAL, 10 * MS, 2 * MS);
    assert_false(p->request.publish);
    assert_int_equal(p->mark.line, 24);
    assert_int_equal(p->mark.column, 5);
}

static void check_full_other_producers(const scn_scenario *s)
{
    assert_int_equal(s->producer_count, 3);
    const scn_producer *web = &s->producers[1];
    assert_string_equal(web->name, "web");
    assert_int_equal(web->topic_index, 1);
    assert_int_equal(web->count, 1);
    assert_float_equal(web->rate.base_per_s, 10.0, 0.0);
    assert_int_equal(web->rate.spike_count, 0);
    assert_int_equal(web->rate.ramp_count, 0);
    assert_int_equal(web->keys.kind, SCN_KEYS_SEQUENTIAL);
    assert_int_equal(web->keys.count, 100);
    assert_int_equal(kafka_producer_options_of(web).acks, KAFKA_ACKS_0);
    assert_int_equal(kafka_producer_options_of(web).retries, KAFKA_RETRIES_MAX);
    assert_true(web->request.enabled);
    assert_true(web->request.publish);
    assert_int_equal(web->request.call_count, 0);
    assert_int_equal(web->request.local_us, 0);
    const scn_producer *batch = &s->producers[2];
    assert_string_equal(batch->name, "batch");
    assert_int_equal(batch->topic_index, 0);
    assert_float_equal(batch->rate.base_per_s, 1.0, 1e-12);
    assert_int_equal(batch->keys.kind, SCN_KEYS_UNIFORM);
    assert_int_equal(batch->keys.count, 7);
    assert_int_equal(kafka_producer_options_of(batch).acks, KAFKA_ACKS_ALL);
    assert_false(batch->request.enabled);
}

static void check_full_consumers(const scn_scenario *s)
{
    assert_int_equal(s->consumer_count, 3);
    const scn_consumer *c = &s->consumers[0];
    assert_string_equal(c->group, "billing");
    assert_int_equal(c->topic_index, 0);
    assert_int_equal(c->count, 2);
    assert_int_equal(kafka_consumer_options_of(c).commit, KAFKA_COMMIT_AFTER_PROCESSING);
    assert_int_equal(kafka_consumer_options_of(c).commit_interval_us, 5 * S);
    assert_dist(&c->processing, SCN_DIST_UNIFORM, 1 * MS, 3 * MS);
    assert_int_equal(c->buffer_messages, 1000);
    assert_int_equal(c->workers, 8);
    assert_int_equal(c->routing, SCN_ROUTING_KEY_HASH);
    assert_true(c->dedup);
    assert_int_equal(kafka_consumer_options_of(c).session_timeout_us, 10 * S);
    assert_int_equal(kafka_consumer_options_of(c).heartbeat_interval_us, 1 * S);
    assert_int_equal(kafka_consumer_options_of(c).max_poll_records, 100);
    assert_int_equal(kafka_consumer_options_of(c).fetch_max_wait_us, 100 * MS);
    assert_true(kafka_consumer_options_of(c).fetch_min_bytes == 64 * 1024);
    assert_true(kafka_consumer_options_of(c).fetch_max_bytes == 2 * MIB);
    assert_int_equal(kafka_consumer_options_of(c).offset_reset, KAFKA_RESET_EARLIEST);
    const scn_consumer *audit = &s->consumers[1];
    assert_string_equal(audit->group, "audit");
    assert_int_equal(audit->topic_index, 1);
    assert_int_equal(kafka_consumer_options_of(audit).commit, KAFKA_COMMIT_AUTO);
    assert_int_equal(kafka_consumer_options_of(audit).commit_interval_us, 1 * S);
    assert_dist(&audit->processing, SCN_DIST_NORMAL, 10 * MS, 2 * MS);
    assert_false(audit->dedup);
    const scn_consumer *late = &s->consumers[2];
    assert_int_equal(kafka_consumer_options_of(late).commit, KAFKA_COMMIT_BEFORE_PROCESSING);
    assert_dist(&late->processing, SCN_DIST_EXP, 1 * MS, 0);
}

/* Faults come sorted by `at`; the two at 10s keep their file order. */
static void check_full_faults_a(const scn_scenario *s)
{
    const scn_fault *f = s->faults;
    assert_int_equal(s->fault_count, 13);
    assert_int_equal(f[0].kind, SCN_FAULT_KILL9);
    assert_int_equal(f[0].at_us, 0);
    assert_selector(&f[0].target, SCN_SEL_ALL_PRODUCERS, 0, 0, false);
    assert_int_equal(f[0].restart_after_us, -1);
    assert_int_equal(f[1].kind, SCN_FAULT_PARTITION);
    assert_int_equal(f[1].at_us, 10 * S);
    assert_int_equal(f[1].for_us, 20 * S);
    assert_false(f[1].one_way);
    assert_int_equal(f[1].side_a.count, 1);
    assert_selector(&f[1].side_a.selectors[0], SCN_SEL_BROKER, 0, 0, false);
    assert_int_equal(f[1].side_b.count, 2);
    assert_selector(&f[1].side_b.selectors[0], SCN_SEL_ALL_BROKERS, 0, 0, false);
    assert_selector(&f[1].side_b.selectors[1], SCN_SEL_ALL_CLIENTS, 0, 0, false);
    assert_int_equal(f[1].mark.line, 83);
    assert_int_equal(f[1].mark.column, 5);
    assert_int_equal(f[1].side_b.selectors[1].mark.line, 83);
    assert_int_equal(f[1].side_b.selectors[1].mark.column, 51);
    assert_int_equal(f[2].kind, SCN_FAULT_PARTITION);
    assert_true(f[2].one_way);
    assert_int_equal(f[2].for_us, 5 * S);
    assert_int_equal(f[2].side_a.count, 2);
    assert_selector(&f[2].side_a.selectors[1], SCN_SEL_PRODUCER, 0, 2, false);
    assert_int_equal(f[2].side_b.count, 1);
    assert_selector(&f[2].side_b.selectors[0], SCN_SEL_ALL_CLIENTS, 0, 0, false);
    assert_int_equal(f[3].kind, SCN_FAULT_HEAL);
    assert_int_equal(f[3].at_us, 40 * S);
    assert_int_equal(f[4].kind, SCN_FAULT_CRASH);
    assert_int_equal(f[4].restart_after_us, 20 * S);
    assert_int_equal(f[4].target.kind, SCN_SEL_FAMILY);
    assert_int_equal(f[4].target.family_kind, KAFKA_SELECTOR_LEADER);
    assert_int_equal(f[4].target.family_args[KAFKA_PARTITION_ARG_TOPIC], 0);
    assert_int_equal(f[4].target.family_args[KAFKA_PARTITION_ARG_PARTITION], 5);
    assert_int_equal(f[5].kind, SCN_FAULT_KILL9);
    assert_int_equal(f[5].restart_after_us, 2 * S);
    assert_selector(&f[5].target, SCN_SEL_CONSUMER, 0, 1, false);
    assert_int_equal(f[6].kind, SCN_FAULT_RESTART);
    assert_int_equal(f[6].at_us, 90 * S);
    assert_selector(&f[6].target, SCN_SEL_BROKER, 1, 0, false);
    assert_int_equal(f[6].for_us, 0);
}

static void check_full_faults_b(const scn_scenario *s)
{
    const scn_fault *f = s->faults;
    assert_int_equal(f[7].kind, SCN_FAULT_LOSSY_LINK);
    assert_int_equal(f[7].drop_per_million, 50000);
    assert_int_equal(f[7].for_us, 10 * S);
    assert_selector(&f[7].side_a.selectors[0], SCN_SEL_BROKER, 2, 0, false);
    assert_int_equal(f[7].side_b.count, 2);
    assert_int_equal(f[7].side_b.selectors[0].kind, SCN_SEL_ALL_PRODUCERS);
    assert_int_equal(f[7].side_b.selectors[1].kind, SCN_SEL_ALL_CONSUMERS);
    assert_int_equal(f[8].kind, SCN_FAULT_SLOW_LINK);
    assert_int_equal(f[8].extra_latency_us, 100 * MS);
    assert_int_equal(f[8].side_a.count, 1);
    assert_selector(&f[8].side_a.selectors[0], SCN_SEL_BROKER, 3, 0, false);
    assert_int_equal(f[8].side_b.count, 1);
    assert_selector(&f[8].side_b.selectors[0], SCN_SEL_CONSUMER, 1, 0, true);
    assert_int_equal(f[9].kind, SCN_FAULT_SLOW_DISK);
    assert_int_equal(f[9].factor, 10);
    assert_int_equal(f[9].for_us, 30 * S);
    assert_selector(&f[9].target, SCN_SEL_BROKER, 4, 0, false);
    assert_int_equal(f[10].kind, SCN_FAULT_DISK_FULL);
    assert_int_equal(f[10].target.kind, SCN_SEL_ALL_BROKERS);
    assert_int_equal(f[11].kind, SCN_FAULT_STALL);
    assert_int_equal(f[11].for_us, 60 * S);
    assert_selector(&f[11].target, SCN_SEL_CONSUMER, 0, 0, true);
    assert_int_equal(f[12].kind, SCN_FAULT_CRASH);
    assert_int_equal(f[12].restart_after_us, -1);
    assert_selector(&f[12].target, SCN_SEL_PRODUCER, 1, 0, true);
    for (uint32_t i = 1; i < s->fault_count; i++) {
        assert_true(f[i - 1].at_us <= f[i].at_us);
    }
}

static void check_full_expects(const scn_scenario *s)
{
    assert_int_equal(s->expect_count, 3);
    assert_int_equal(s->expects[0].kind, SCN_EXPECT_ALWAYS);
    assert_string_equal(s->expects[0].expr, "billing.lost == 0");
    assert_int_equal(s->expects[0].mark.line, 94);
    assert_int_equal(s->expects[0].mark.column, 13);
    assert_int_equal(s->expects[1].kind, SCN_EXPECT_SOMETIMES);
    assert_string_equal(s->expects[1].expr, "duplicated > 0");
    assert_int_equal(s->expects[1].mark.line, 95);
    assert_int_equal(s->expects[1].mark.column, 17); /* after the quote */
    assert_int_equal(s->expects[2].kind, SCN_EXPECT_ALWAYS);
    assert_string_equal(s->expects[2].expr, "producer(checkout).latency.ack.p99 < 2s");
    assert_int_equal(s->expects[2].mark.column, 14);
}

static void test_full(void **state)
{
    (void)state;
    scn_scenario *s = load_ok(full_yaml);
    check_full_top_and_cluster(s);
    check_full_checkout(&s->producers[0]);
    check_full_other_producers(s);
    check_full_consumers(s);
    check_full_faults_a(s);
    check_full_faults_b(s);
    check_full_expects(s);
    free(s);
}

static void check_minimal_top(const scn_scenario *s)
{
    assert_string_equal(s->name, "minimal");
    assert_string_equal(s->description, "");
    assert_true(s->seed == 1);
    assert_int_equal(s->duration_us, 60 * S);
    assert_int_equal(s->drain_us, 60 * S);
    assert_int_equal(s->unavailable_after_us, 1 * S);
    const scn_cluster *c = &s->cluster;
    assert_string_equal(c->preset, "kafka");
    assert_int_equal(c->broker_count, 3);
    assert_int_equal(c->network.latency_us, 500);
    assert_true(c->network.bandwidth_bytes_per_s == 125000000ULL);    /* 1Gbps */
    assert_true(c->disk.write_bandwidth_bytes_per_s == 500000000ULL); /* 500MB/s */
    assert_int_equal(c->disk.fsync_latency_us, 2 * MS);
    assert_true(c->disk.capacity_bytes == 0);
    assert_true(c->os.page_cache_bytes == 16 * GIB);
    assert_int_equal(c->os.dirty_expire_us, 30 * S);
    assert_int_equal(c->os.writeback_interval_us, 5 * S);
    assert_true(kafka_cluster_options_of(c).flush_messages == 0);
    assert_int_equal(kafka_cluster_options_of(c).flush_interval_us, 0);
    assert_int_equal(s->topic_count, 1);
    assert_string_equal(s->topics[0].name, "t");
    assert_int_equal(s->topics[0].partition_count, 1);
    assert_int_equal(kafka_topic_options_of(&s->topics[0]).replication_factor, 1);
    assert_int_equal(kafka_topic_options_of(&s->topics[0]).retention_us, 7 * 86400 * S);
    assert_true(kafka_topic_options_of(&s->topics[0]).retention_bytes == 0);
    assert_int_equal(s->producer_count, 0);
    assert_int_equal(s->consumer_count, 0);
    assert_int_equal(s->fault_count, 0);
    assert_int_equal(s->expect_count, 0);
}

static void test_minimal_defaults(void **state)
{
    (void)state;
    scn_scenario *s = load_ok(minimal_yaml);
    check_minimal_top(s);
    free(s);
}

/* Producer and consumer defaults, with `topic` left out (allowed with one topic). */
static void test_client_defaults(void **state)
{
    (void)state;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s%s", minimal_yaml,
             "producers: [{name: p, rate: 100/s}]\nconsumers: [{group: g}]\n");
    scn_scenario *s = load_ok(yaml);
    const scn_producer *p = &s->producers[0];
    assert_int_equal(p->topic_index, 0);
    assert_int_equal(p->count, 1);
    assert_int_equal(p->arrival, SCN_ARRIVAL_CONSTANT);
    assert_int_equal(p->keys.kind, SCN_KEYS_NONE);
    assert_true(p->message_size_bytes == KIB);
    assert_int_equal(kafka_producer_options_of(p).acks, KAFKA_ACKS_ALL);
    assert_int_equal(kafka_producer_options_of(p).retries, KAFKA_RETRIES_MAX);
    assert_int_equal(kafka_producer_options_of(p).retry_backoff_us, 100 * MS);
    assert_int_equal(kafka_producer_options_of(p).retry_backoff_max_us, 1 * S);
    assert_int_equal(kafka_producer_options_of(p).request_timeout_us, 30 * S);
    assert_int_equal(kafka_producer_options_of(p).delivery_timeout_us, 120 * S);
    assert_int_equal(kafka_producer_options_of(p).max_in_flight, 5);
    assert_int_equal(kafka_producer_options_of(p).linger_us, 5 * MS);
    assert_true(kafka_producer_options_of(p).batch_size_bytes == 16 * KIB);
    assert_true(kafka_producer_options_of(p).buffer_memory_bytes == 32 * MIB);
    assert_false(p->request.enabled);
    const scn_consumer *c = &s->consumers[0];
    assert_int_equal(c->topic_index, 0);
    assert_int_equal(c->count, 1);
    assert_int_equal(kafka_consumer_options_of(c).commit, KAFKA_COMMIT_AUTO);
    assert_int_equal(kafka_consumer_options_of(c).commit_interval_us, 5 * S);
    assert_dist(&c->processing, SCN_DIST_CONST, 0, 0);
    assert_int_equal(c->buffer_messages, 0);
    assert_int_equal(c->workers, 1);
    assert_int_equal(c->routing, SCN_ROUTING_SHARED);
    assert_false(c->dedup);
    assert_int_equal(kafka_consumer_options_of(c).session_timeout_us, 45 * S);
    assert_int_equal(kafka_consumer_options_of(c).heartbeat_interval_us, 3 * S);
    assert_int_equal(kafka_consumer_options_of(c).max_poll_records, 500);
    assert_int_equal(kafka_consumer_options_of(c).fetch_max_wait_us, 500 * MS);
    assert_true(kafka_consumer_options_of(c).fetch_min_bytes == 1);
    assert_true(kafka_consumer_options_of(c).fetch_max_bytes == MIB);
    assert_int_equal(kafka_consumer_options_of(c).offset_reset, KAFKA_RESET_LATEST);
    free(s);
}

/* A block description keeps its text, less the final line break; the built-in default
 * scenario (engine/scenario_default.c) loads. */
static void test_description_and_default(void **state)
{
    (void)state;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s%s", minimal_yaml, "description: >\n  Two folded\n  lines.\n\n");
    scn_scenario *s = load_ok(yaml);
    assert_string_equal(s->description, "Two folded lines.");
    free(s);
    s = load_ok(scn_default_yaml);
    assert_string_equal(s->name, "default-peak-shaving");
    assert_true(s->topic_count >= 1);
    free(s);
}

static void test_fault_kind_names(void **state)
{
    (void)state;
    static const char *const names[] = {"crash",     "kill9",      "restart",   "partition",
                                        "heal",      "lossy_link", "slow_link", "slow_disk",
                                        "disk_full", "stall"};
    for (int kind = SCN_FAULT_CRASH; kind <= SCN_FAULT_STALL; kind++) {
        assert_string_equal(scn_fault_kind_name((scn_fault_kind)kind), names[kind]);
    }
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "test_scenario_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, minimal_yaml, strlen(minimal_yaml)), (ssize_t)strlen(minimal_yaml));
    close(fd);
    scn_scenario *s = calloc(1, sizeof *s);
    char error[SCN_ERROR_LEN] = "";
    assert_int_equal(scn_load(family_schemas(), path, s, error), BL_EXIT_OK);
    assert_string_equal(s->path, path);
    check_minimal_top(s);
    unlink(path);
    assert_int_equal(scn_load(family_schemas(), "no/such/scenario.yaml", s, error),
                     BL_EXIT_BAD_INPUT);
    assert_string_equal(error, "no/such/scenario.yaml: cannot open: No such file or directory");
    free(s);
}

/* A good scenario parsed twice gives the same bytes (no state kept between loads). */
static void test_load_is_repeatable(void **state)
{
    (void)state;
    scn_scenario *a = load_ok(full_yaml);
    scn_scenario *b = load_ok(full_yaml);
    assert_memory_equal(a, b, sizeof *a);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_client_defaults),
        cmocka_unit_test(test_description_and_default),
        cmocka_unit_test(test_fault_kind_names),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_is_repeatable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_check.c — unit tests of the streaming checker (reports/check.h) on hand-built
 * histories whose anomalies, latencies and backlog are known exactly.
 *
 * Records are added in any order and fed sorted by time (stable: records with equal
 * times keep the order they were added in), as the recorder would merge them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../test_util.h"

#include "../../engine/bl_assert.h"
#include "../../engine/history.h"
#include "../../reports/check.h"
#include "../../reports/check_internal.h" /* check_window_stats_of */

static hist_names *g_names;
static hist_record *g_records;
static size_t g_record_count, g_record_capacity;
static uint64_t g_fed; /* records fed by feed_pending */

static uint16_t name(const char *text)
{
    return hist_names_intern(g_names, text);
}

static void add(hist_record rec)
{
    if (g_record_count == g_record_capacity) {
        g_record_capacity = g_record_capacity ? g_record_capacity * 2 : 256;
        g_records = realloc(g_records, g_record_capacity * sizeof *g_records);
        assert_non_null(g_records);
    }
    g_records[g_record_count++] = rec;
}

static void send_invoke(int64_t t, const char *node, uint64_t msg, int64_t key, uint32_t seq,
                        const char *topic, int64_t intended_t)
{
    hist_record rec = hist_record_init(HIST_SEND, HIST_INVOKE, name(node), t);
    rec.msg = msg;
    rec.key = key;
    rec.seq = seq;
    rec.topic = name(topic);
    rec.intended_t_us = intended_t;
    add(rec);
}

static void send_done(int64_t t, const char *node, uint64_t msg, hist_type type, int32_t partition,
                      int64_t offset)
{
    hist_record rec = hist_record_init(HIST_SEND, type, name(node), t);
    rec.msg = msg;
    if (type == HIST_OK) {
        rec.partition = partition;
        rec.offset = offset;
    }
    add(rec);
}

/* A send invoked at its intended time t, acknowledged at t + ack_us (ack_us < 0: no
 * completion at all). */
static void send(int64_t t, const char *node, uint64_t msg, int64_t key, uint32_t seq,
                 const char *topic, int64_t ack_us, int32_t partition, int64_t offset)
{
    send_invoke(t, node, msg, key, seq, topic, t);
    if (ack_us >= 0) send_done(t + ack_us, node, msg, HIST_OK, partition, offset);
}

static void subscribe(int64_t t, const char *node, const char *group, const char *topic)
{
    hist_record rec = hist_record_init(HIST_SUBSCRIBE, HIST_OK, name(node), t);
    rec.group = name(group);
    rec.topic = name(topic);
    add(rec);
}

static void deliver(int64_t t, const char *node, uint64_t msg, const char *group, int32_t partition,
                    int64_t offset, bool redelivered)
{
    hist_record rec = hist_record_init(HIST_DELIVER, HIST_OK, name(node), t);
    rec.msg = msg;
    rec.group = name(group);
    rec.partition = partition;
    rec.offset = offset;
    rec.redelivered = redelivered;
    add(rec);
}

static void msg_group_record(hist_fn fn, int64_t t, const char *node, uint64_t msg,
                             const char *group)
{
    hist_record rec = hist_record_init(fn, HIST_OK, name(node), t);
    rec.msg = msg;
    rec.group = name(group);
    add(rec);
}

static void process(int64_t t, const char *node, uint64_t msg, const char *group)
{
    msg_group_record(HIST_PROCESS, t, node, msg, group);
}

/* deliver at t, process at t + process_us */
static void consume(int64_t t, const char *node, uint64_t msg, const char *group, int32_t partition,
                    int64_t offset, int64_t process_us)
{
    deliver(t, node, msg, group, partition, offset, false);
    process(t + process_us, node, msg, group);
}

static void request(int64_t t, const char *node, uint64_t req, hist_type type)
{
    hist_record rec = hist_record_init(HIST_REQUEST, type, name(node), t);
    rec.msg = req;
    if (type == HIST_INVOKE) rec.intended_t_us = t;
    add(rec);
}

static int compare_records(const void *a, const void *b)
{
    const hist_record *x = *(const hist_record *const *)a, *y = *(const hist_record *const *)b;
    if (x->t_us != y->t_us) return x->t_us < y->t_us ? -1 : 1;
    return x < y ? -1 : x > y; /* equal times: the order they were added in */
}

/* Feeds the records added since the last call, sorted by time, and forgets them: a long
 * history is added and fed in chunks, each starting no earlier than the last ended. */
static void feed_pending(check_state *state)
{
    const hist_record **order = malloc((g_record_count + 1) * sizeof *order);
    assert_non_null(order);
    for (size_t i = 0; i < g_record_count; i++) order[i] = &g_records[i];
    qsort(order, g_record_count, sizeof *order, compare_records);
    for (size_t i = 0; i < g_record_count; i++) {
        check_feed(state, order[i], g_names);
        g_fed += order[i]->count; /* the checker counts a batch's per-message records */
    }
    free(order);
    g_record_count = 0;
}

static void end_check(check_state *state, check_results *results)
{
    feed_pending(state);
    check_end(state, g_names, results);
    assert_int_equal(results->records, g_fed);
}

static void run_check(int64_t unavailable_after_us, check_results *results)
{
    end_check(check_begin(unavailable_after_us), results);
}

static int setup(void **unused)
{
    (void)unused;
    g_names = calloc(1, sizeof *g_names);
    g_record_count = 0;
    g_fed = 0;
    return g_names == NULL;
}

static int teardown(void **unused)
{
    (void)unused;
    free(g_names);
    free(g_records);
    g_records = NULL;
    g_record_capacity = 0;
    return 0;
}

static void assert_seconds(double actual, double expected)
{
    if (fabs(actual - expected) > 1e-9) fail_msg("expected %.9f s, got %.9f s", expected, actual);
}

static const check_group *group_named(const check_results *results, const char *group)
{
    for (uint32_t g = 0; g < results->group_count; g++) {
        if (strcmp(results->groups[g].name, group) == 0) return &results->groups[g];
    }
    fail_msg("no group %s in the results", group);
    return NULL;
}

static void assert_examples(const check_group *group, check_anomaly_kind kind, uint32_t count,
                            const uint64_t *ids)
{
    assert_int_equal(group->example_count[kind], count);
    for (uint32_t i = 0; i < count; i++) assert_int_equal(group->examples[kind][i], ids[i]);
}

static void assert_no_anomalies(const check_group *group)
{
    assert_int_equal(group->lost, 0);
    assert_int_equal(group->unacked_lost, 0);
    assert_int_equal(group->duplicated, 0);
    assert_int_equal(group->deduplicated, 0);
    assert_int_equal(group->reordered, 0);
    assert_int_equal(group->reordered_partition, 0);
    for (int kind = 0; kind < CHECK_ANOMALY_KINDS; kind++) {
        assert_int_equal(group->example_count[kind], 0);
    }
}

#define P "producer/checkout/0"
#define C "consumer/billing/0"

/* Three keyed messages, acked after 500/700/900 us, processed in order with e2e
 * latencies below 2048 us (where percentiles are exact): no anomaly, exact latencies,
 * and the backlog's peak and drain known to the microsecond. */
static void test_clean_history(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    send(1 * MS, P, 1, 7, 0, "orders", 500, 0, 0);
    send(2 * MS, P, 2, 7, 1, "orders", 700, 0, 1);
    send(3 * MS, P, 3, 7, 2, "orders", 900, 0, 2);
    consume(3000, C, 1, "billing", 0, 0, 0); /* e2e 2000 us */
    consume(3950, C, 2, "billing", 0, 1, 0); /* e2e 1950 us */
    consume(4500, C, 3, "billing", 0, 2, 0); /* e2e 1500 us */
    check_results results;
    run_check(1 * S, &results);
    assert_int_equal(results.group_count, 1);
    const check_group *group = &results.groups[0];
    assert_string_equal(group->name, "billing");
    assert_string_equal(group->topic, "orders");
    assert_int_equal(group->produced, 3);
    assert_int_equal(group->acked, 3);
    assert_int_equal(group->consumed, 3);
    assert_no_anomalies(group);
    assert_int_equal(group->redelivered, 0);
    assert_int_equal(group->latency_ack.count, 3);
    assert_seconds(group->latency_ack.p50_s, 0.0007);
    assert_seconds(group->latency_ack.p99_s, 0.0009);
    assert_seconds(group->latency_ack.max_s, 0.0009);
    assert_seconds(group->latency_ack.mean_s, 0.0007);
    assert_int_equal(group->latency_e2e.count, 3);
    assert_seconds(group->latency_e2e.p50_s, 0.00195);
    assert_seconds(group->latency_e2e.p999_s, 0.002);
    assert_seconds(group->latency_e2e.max_s, 0.002);
    assert_seconds(group->latency_e2e.mean_s, (0.002 + 0.00195 + 0.0015) / 3);
    assert_seconds(group->unavailable_s, 0);
    /* acks at 1.5, 2.7, 3.9 ms and processes at 3, 3.95, 4.5 ms: the backlog peaks at 2
     * at 2.7 ms and is back to 1 at 3 ms */
    assert_int_equal(group->peak_backlog, 2);
    assert_seconds(group->peak_backlog_at_s, 0.0027);
    assert_seconds(group->drain_s, 0.0003);
    assert_int_equal(results.produced, 3);
    assert_int_equal(results.acked, 3);
    assert_int_equal(results.failed + results.unknown, 0);
    assert_int_equal(results.producer_count, 1);
    assert_string_equal(results.producers[0].name, P);
    assert_int_equal(results.producers[0].sent, 3);
    assert_int_equal(results.producers[0].acked, 3);
    assert_seconds(results.producers[0].latency_ack.mean_s, 0.0007);
    assert_int_equal(group->second_count, 1);
    assert_int_equal(group->seconds[0].sent, 3);
    assert_int_equal(group->seconds[0].acked, 3);
    assert_int_equal(group->seconds[0].consumed, 3);
    assert_int_equal(group->seconds[0].backlog, 0);
    assert_seconds(group->seconds[0].e2e_p50_s, 0.00195);
    assert_seconds(group->seconds[0].e2e_max_s, 0.002);
    assert_seconds(results.end_s, 0.0045);
    check_results_free(&results);
}

/* Message 2 is acknowledged and never processed: lost. */
static void test_lost(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    send(1 * MS, P, 1, HIST_NONE, 0, "orders", 100, 0, 0);
    send(2 * MS, P, 2, HIST_NONE, 1, "orders", 100, 0, 1);
    send(3 * MS, P, 3, HIST_NONE, 2, "orders", 100, 0, 2);
    consume(5 * MS, C, 1, "billing", 0, 0, 10);
    consume(5 * MS, C, 3, "billing", 0, 2, 20);
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->consumed, 2);
    assert_int_equal(group->lost, 1);
    assert_examples(group, CHECK_LOST, 1, (const uint64_t[]){2});
    assert_int_equal(group->unacked_lost, 0);
    assert_int_equal(group->duplicated, 0);
    assert_int_equal(group->reordered_partition, 0);
    check_results_free(&results);
}

/* Send info, send fail and a send with no completion, none processed: unacked-lost, not
 * lost. An info send that was processed (message 4) is neither. */
static void test_unacked_lost(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    send_invoke(1 * MS, P, 1, HIST_NONE, 0, "orders", 1 * MS);
    send_done(2 * MS, P, 1, HIST_INFO, 0, 0);
    send_invoke(3 * MS, P, 2, HIST_NONE, 1, "orders", 3 * MS);
    send_done(4 * MS, P, 2, HIST_FAIL, 0, 0);
    send_invoke(5 * MS, P, 3, HIST_NONE, 2, "orders", 5 * MS);
    send_invoke(6 * MS, P, 4, HIST_NONE, 3, "orders", 6 * MS);
    send_done(7 * MS, P, 4, HIST_INFO, 0, 0);
    consume(8 * MS, C, 4, "billing", 0, 0, 0);
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->produced, 4);
    assert_int_equal(group->acked, 0);
    assert_int_equal(group->consumed, 1);
    assert_int_equal(group->lost, 0);
    assert_int_equal(group->unacked_lost, 3);
    assert_examples(group, CHECK_UNACKED_LOST, 3, (const uint64_t[]){1, 2, 3});
    assert_int_equal(results.failed, 1);
    assert_int_equal(results.unknown, 3); /* two info, one without completion */
    assert_int_equal(results.producers[0].failed, 1);
    assert_int_equal(results.producers[0].unknown, 3);
    assert_int_equal(group->peak_backlog, 0);
    assert_seconds(group->drain_s, 0);
    check_results_free(&results);
}

/* RabbitMQ limits. Messages 1-4 to billing's queue: 1 processed by billing; 2 expired
 * and dead-lettered, processed by the parking consumer (x-death: expired, billing); 3
 * expired and dropped (no copy); 4 lost with nothing to explain it. The broker's scrapes
 * say expired 1, then 0 after its restart (its counters start again), then 1: expired 2,
 * dead_lettered 1, dropped 1. So billing lost 2 (3 and 4), saw 1 dead letter, and loses
 * 1 beyond its limits; parking processed 1 dead letter and lost nothing of its own. */
static void stats_record(int64_t t, const char *counter, uint64_t value)
{
    hist_record rec = hist_record_init(HIST_STATS, HIST_OK, name("monitor"), t);
    rec.group = name("billing");
    rec.partition = 0;
    rec.source = name("broker/0");
    rec.counter = name(counter);
    rec.value = value;
    add(rec);
}

static void test_dead_letters_and_broker_stats(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    subscribe(0, "consumer/parking/0", "parking", "parking");
    for (uint64_t m = 1; m <= 4; m++)
        send(m * MS, P, m, HIST_NONE, (uint32_t)m - 1, "orders", 100, -1, -1);
    consume(10 * MS, C, 1, "billing", 0, 1, 1 * MS);
    hist_record rec = hist_record_init(HIST_DELIVER, HIST_OK, name("consumer/parking/0"), 20 * MS);
    rec.msg = 2, rec.group = name("parking"), rec.partition = 0, rec.offset = 1;
    rec.death_reason = HIST_DEATH_EXPIRED, rec.death_group = name("billing");
    add(rec);
    rec.fn = HIST_PROCESS, rec.t_us = 21 * MS, rec.partition = HIST_NONE, rec.offset = HIST_NONE;
    add(rec);
    stats_record(30 * MS, "expired", 1);
    stats_record(30 * MS, "dead_lettered", 1);
    stats_record(30 * MS, "dropped", 0);
    stats_record(40 * MS, "expired", 0); /* after a restart: counts from 0 again */
    stats_record(40 * MS, "dead_lettered", 0);
    stats_record(40 * MS, "dropped", 0);
    stats_record(50 * MS, "expired", 1);
    stats_record(50 * MS, "dropped", 1);
    stats_record(50 * MS, "some_other_counter", 99); /* not the checker's */
    check_results results;
    run_check(1 * S, &results);
    const check_group *billing = &results.groups[0], *parking = &results.groups[1];
    assert_string_equal(billing->name, "billing");
    assert_int_equal(billing->consumed, 1);
    assert_int_equal(billing->dead_lettered, 1);
    assert_int_equal(billing->lost, 2);
    assert_examples(billing, CHECK_LOST, 2, (const uint64_t[]){3, 4});
    assert_true(billing->broker_stats);
    assert_int_equal(billing->broker_counts[CHECK_BROKER_EXPIRED], 2);
    assert_int_equal(billing->broker_counts[CHECK_BROKER_DEAD_LETTERED], 1);
    assert_int_equal(billing->broker_counts[CHECK_BROKER_DROPPED], 1);
    assert_int_equal(billing->lost_beyond_policy, 1);
    assert_int_equal(billing->duplicated, 0);
    assert_string_equal(parking->name, "parking");
    assert_int_equal(parking->dead_letters_processed, 1);
    assert_int_equal(parking->consumed, 0);
    assert_int_equal(parking->lost, 0);
    assert_false(parking->broker_stats);
    check_results_free(&results);
}

/* A queue bound mid-run (from_now) and one deleted mid-run: "late" subscribes after
 * messages 1-40 were processed by "early" and forgotten, so it expects 41-60 only (41 is
 * processed, 42-60 are lost to it; message 40, sent before it joined but delivered to it,
 * is not its); "early" unsubscribes after 50, so 51-60 are not its, and it lost 49 and
 * 50 (sent before it left, never processed). */
static void subscribe_from_now(int64_t t, const char *group)
{
    hist_record rec = hist_record_init(HIST_SUBSCRIBE, HIST_OK, name("consumer/x/0"), t);
    rec.group = name(group);
    rec.topic = name("orders");
    rec.from_now = 1;
    add(rec);
}

static void test_from_now_and_unsubscribe(void **unused)
{
    (void)unused;
    subscribe(0, C, "early", "orders");
    for (uint64_t m = 1; m <= 60; m++) {
        send((int64_t)m * MS, P, m, HIST_NONE, (uint32_t)m - 1, "orders", 100, -1, -1);
        if (m <= 48) consume((int64_t)m * MS + 200, C, m, "early", 0, (int64_t)m, 100);
        if (m == 40) subscribe_from_now((int64_t)m * MS + 500, "late");
        if (m == 50) {
            hist_record rec =
                hist_record_init(HIST_UNSUBSCRIBE, HIST_OK, name(C), (int64_t)m * MS + 500);
            rec.group = name("early");
            rec.topic = name("orders");
            add(rec);
        }
    }
    consume(41 * MS + 300, "consumer/x/0", 41, "late", 0, 1, 100);
    consume(45 * MS, "consumer/x/0", 40, "late", 0, 0, 100); /* not its */
    check_results results;
    run_check(1 * S, &results);
    const check_group *early = &results.groups[0], *late = &results.groups[1];
    assert_string_equal(early->name, "early");
    assert_int_equal(early->consumed, 48);
    assert_int_equal(early->lost, 2);
    assert_examples(early, CHECK_LOST, 2, (const uint64_t[]){49, 50});
    assert_string_equal(late->name, "late");
    assert_int_equal(late->consumed, 1);
    assert_int_equal(late->lost, 19);
    assert_int_equal(late->duplicated, 0);
    check_results_free(&results);
}

/* Message 1 processed twice, 3 three times: two duplicated messages, each consumed once,
 * e2e latency from the first process only. */
static void test_duplicate(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    subscribe(0, "consumer/billing/1", "billing", "orders");
    for (uint64_t m = 1; m <= 3; m++) {
        send(0, P, m, 1, (uint32_t)m - 1, "orders", 10, 0, (int64_t)m - 1);
    }
    consume(1 * MS, C, 1, "billing", 0, 0, 0);
    consume(1 * MS, C, 2, "billing", 0, 1, 0);
    consume(1 * MS, C, 3, "billing", 0, 2, 0);
    deliver(5 * MS, "consumer/billing/1", 1, "billing", 0, 0, true);
    process(6 * MS, "consumer/billing/1", 1, "billing");
    deliver(5 * MS, "consumer/billing/1", 3, "billing", 0, 2, true);
    process(6 * MS, "consumer/billing/1", 3, "billing");
    deliver(7 * MS, C, 3, "billing", 0, 2, true);
    process(7 * MS, C, 3, "billing");
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->consumed, 3);
    assert_int_equal(group->duplicated, 2);
    assert_examples(group, CHECK_DUPLICATED, 2, (const uint64_t[]){1, 3});
    assert_int_equal(group->redelivered, 3);
    assert_int_equal(group->reordered, 0);
    assert_int_equal(group->reordered_partition, 0);
    assert_int_equal(group->latency_e2e.count, 3);
    assert_seconds(group->latency_e2e.max_s, 0.001);
    check_results_free(&results);
}

/* Redeliveries the idempotent consumer skipped are counted as deduplicated. */
static void test_dedup(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    send(0, P, 1, HIST_NONE, 0, "orders", 10, 0, 0);
    consume(1 * MS, C, 1, "billing", 0, 0, 0);
    deliver(2 * MS, C, 1, "billing", 0, 0, true);
    msg_group_record(HIST_DEDUP, 2 * MS, C, 1, "billing");
    deliver(3 * MS, C, 1, "billing", 0, 0, true);
    msg_group_record(HIST_DEDUP, 3 * MS, C, 1, "billing");
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->deduplicated, 2);
    assert_int_equal(group->duplicated, 0);
    assert_int_equal(group->redelivered, 2);
    assert_int_equal(group->consumed, 1);
    check_results_free(&results);
}

/* Key 5: seqs 0, 2, 1 processed in that order: one per-key and one per-partition
 * reorder (message 2). Keyless messages 4, 5 processed 5 then 4: a partition reorder
 * only. A second producer's key 5 is its own stream. A redelivered duplicate of message
 * 1 after all of them is not a reorder. */
static void test_reorder(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    send(0, P, 1, 5, 0, "orders", 10, 0, 0);
    send(0, P, 2, 5, 1, "orders", 10, 0, 1);
    send(0, P, 3, 5, 2, "orders", 10, 0, 2);
    send(0, P, 4, HIST_NONE, 0, "orders", 10, 1, 0);
    send(0, P, 5, HIST_NONE, 1, "orders", 10, 1, 1);
    send(0, "producer/checkout/1", 6, 5, 0, "orders", 10, 2, 0);
    consume(1 * MS, C, 1, "billing", 0, 0, 0);
    consume(2 * MS, C, 3, "billing", 0, 2, 0);
    consume(3 * MS, C, 2, "billing", 0, 1, 0);
    consume(4 * MS, C, 5, "billing", 1, 1, 0);
    consume(5 * MS, C, 4, "billing", 1, 0, 0);
    consume(6 * MS, C, 6, "billing", 2, 0, 0);
    deliver(7 * MS, C, 1, "billing", 0, 0, true);
    process(7 * MS, C, 1, "billing");
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->reordered, 1);
    assert_int_equal(group->reordered_partition, 2);
    assert_examples(group, CHECK_REORDERED, 2, (const uint64_t[]){2, 4});
    assert_int_equal(group->duplicated, 1);
    assert_int_equal(group->redelivered, 1);
    assert_int_equal(group->consumed, 6);
    assert_int_equal(results.producer_count, 2);
    assert_string_equal(results.producers[1].name, "producer/checkout/1");
    check_results_free(&results);
}

/* Two groups on one topic: billing consumes everything, audit loses message 3 and
 * processes message 2 twice. Groups come out sorted by name. */
static void test_two_groups_one_topic(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    subscribe(0, "consumer/audit/0", "audit", "orders");
    for (uint64_t m = 1; m <= 3; m++) {
        send(0, P, m, 1, (uint32_t)m - 1, "orders", 10, 0, (int64_t)m - 1);
    }
    for (uint64_t m = 1; m <= 3; m++) consume(1 * MS, C, m, "billing", 0, (int64_t)m - 1, 0);
    consume(1 * MS, "consumer/audit/0", 1, "audit", 0, 0, 0);
    consume(1 * MS, "consumer/audit/0", 2, "audit", 0, 1, 0);
    consume(2 * MS, "consumer/audit/0", 2, "audit", 0, 1, 0);
    check_results results;
    run_check(1 * S, &results);
    assert_int_equal(results.group_count, 2);
    assert_string_equal(results.groups[0].name, "audit");
    assert_string_equal(results.groups[1].name, "billing");
    const check_group *billing = group_named(&results, "billing");
    const check_group *audit = group_named(&results, "audit");
    assert_no_anomalies(billing);
    assert_int_equal(billing->consumed, 3);
    assert_int_equal(audit->consumed, 2);
    assert_int_equal(audit->lost, 1);
    assert_examples(audit, CHECK_LOST, 1, (const uint64_t[]){3});
    assert_int_equal(audit->duplicated, 1);
    assert_examples(audit, CHECK_DUPLICATED, 1, (const uint64_t[]){2});
    assert_int_equal(audit->produced, 3);
    assert_int_equal(billing->produced, 3);
    check_results_free(&results);
}

/* Two topics with a group each: message 3 (payments) is never processed; it is lost
 * for ledger only. */
static void test_two_topics(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    subscribe(0, "consumer/ledger/0", "ledger", "payments");
    send(0, P, 1, HIST_NONE, 0, "orders", 10, 0, 0);
    send(0, P, 2, HIST_NONE, 1, "orders", 10, 0, 1);
    send(0, "producer/pay/0", 3, HIST_NONE, 0, "payments", 10, 0, 0);
    consume(1 * MS, C, 1, "billing", 0, 0, 0);
    consume(1 * MS, C, 2, "billing", 0, 1, 0);
    check_results results;
    run_check(1 * S, &results);
    const check_group *billing = group_named(&results, "billing");
    const check_group *ledger = group_named(&results, "ledger");
    assert_no_anomalies(billing);
    assert_int_equal(billing->produced, 2);
    assert_int_equal(billing->peak_backlog, 2);
    assert_int_equal(ledger->produced, 1);
    assert_int_equal(ledger->lost, 1);
    assert_examples(ledger, CHECK_LOST, 1, (const uint64_t[]){3});
    assert_string_equal(ledger->topic, "payments");
    assert_int_equal(ledger->peak_backlog, 1);
    assert_seconds(ledger->drain_s, 0); /* a backlog of 1 is drained by definition */
    assert_int_equal(results.produced, 3);
    check_results_free(&results);
}

/* e2e latencies of 1..1000 us are exact; ack latencies of 1.001 .. 2.000 s are within
 * 1/1024 (never below the true value), with exact max and mean. */
static void test_latency_percentiles(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    for (uint64_t i = 1; i <= 1000; i++) {
        int64_t t = (int64_t)i * 10 * MS;
        send(t, P, i, HIST_NONE, (uint32_t)i, "orders", 1 * S + (int64_t)i * MS, 0, (int64_t)i);
        consume(t + (int64_t)i - 1, C, i, "billing", 0, (int64_t)i, 1);
    }
    check_results results;
    run_check(10 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->latency_e2e.count, 1000);
    assert_seconds(group->latency_e2e.p50_s, 500e-6);
    assert_seconds(group->latency_e2e.p99_s, 990e-6);
    assert_seconds(group->latency_e2e.p999_s, 999e-6);
    assert_seconds(group->latency_e2e.max_s, 1000e-6);
    assert_seconds(group->latency_e2e.mean_s, 500.5e-6);
    const double truth[3] = {1.5, 1.99, 1.999};
    const double reported[3] = {group->latency_ack.p50_s, group->latency_ack.p99_s,
                                group->latency_ack.p999_s};
    for (int i = 0; i < 3; i++) {
        assert_true(reported[i] >= truth[i] - 1e-12);
        assert_true(reported[i] <= truth[i] * (1 + 1.0 / 1024) + 1e-12);
    }
    assert_seconds(group->latency_ack.max_s, 2.0);
    assert_seconds(group->latency_ack.mean_s, 1.5005);
    assert_int_equal(group->reordered_partition, 0);
    check_results_free(&results);
}

/* unavailable_after = 1 s. Second 0: fast ack. Second 1: two failed sends (counted
 * once). Second 2: ack after exactly 1 s (available). Second 3: ack after 1 s + 1 us.
 * Second 4: info. Second 5: no completion. Second 6: fast ack, and a failed send of
 * another topic (not this group's). Unavailable: seconds 1, 3, 4, 5. */
static void test_unavailable_seconds(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    send(100 * MS, P, 1, HIST_NONE, 0, "orders", 1 * MS, 0, 0);
    send_invoke(1 * S, P, 2, HIST_NONE, 1, "orders", 1 * S);
    send_done(1 * S + 500 * MS, P, 2, HIST_FAIL, 0, 0);
    send_invoke(1 * S + 500 * MS, P, 3, HIST_NONE, 2, "orders", 1 * S + 500 * MS);
    send_done(1 * S + 600 * MS, P, 3, HIST_FAIL, 0, 0);
    send(2 * S, P, 4, HIST_NONE, 3, "orders", 1 * S, 0, 1);
    send(3 * S, P, 5, HIST_NONE, 4, "orders", 1 * S + 1, 0, 2);
    send_invoke(4 * S + 999999, P, 6, HIST_NONE, 5, "orders", 4 * S + 999999);
    send_done(9 * S, P, 6, HIST_INFO, 0, 0);
    send(5 * S, P, 7, HIST_NONE, 6, "orders", -1, 0, 0);
    send(6 * S, P, 8, HIST_NONE, 7, "orders", 10, 0, 3);
    send_invoke(6 * S, "producer/pay/0", 9, HIST_NONE, 0, "payments", 6 * S);
    send_done(6 * S + 1, "producer/pay/0", 9, HIST_FAIL, 0, 0);
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_seconds(group->unavailable_s, 4);
    assert_int_equal(group->produced, 8);
    assert_int_equal(group->acked, 4);
    assert_int_equal(group->unacked_lost, 4);
    assert_int_equal(group->lost, 4);
    assert_int_equal(results.failed, 3);
    assert_int_equal(results.unknown, 2);
    check_results_free(&results);
}

/* 3000 messages acked at k ms (k = 0..2999), processed at 2k ms + 1 us: the backlog is
 * floor(k/2) + 1 after ack k, so it first peaks at 1500 at 2.998 s; it is <= max(1,
 * 1500/1000) once message 2999 (k = 2998) is processed at 5.996001 s. */
static void test_peak_backlog_and_drain(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    for (int64_t k = 0; k < 3000; k++) {
        send(k * MS, P, (uint64_t)k + 1, HIST_NONE, (uint32_t)k, "orders", 0, 0, k);
        consume(2 * k * MS, C, (uint64_t)k + 1, "billing", 0, k, 1);
    }
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->peak_backlog, 1500);
    assert_seconds(group->peak_backlog_at_s, 2.998);
    assert_seconds(group->drain_s, 5.996001 - 2.998);
    assert_no_anomalies(group);
    assert_int_equal(group->second_count, 6);
    const uint64_t backlog[6] = {500, 1000, 1500, 1000, 500, 0};
    for (int s = 0; s < 6; s++) {
        assert_int_equal(group->seconds[s].sent, s < 3 ? 1000 : 0);
        assert_int_equal(group->seconds[s].acked, s < 3 ? 1000 : 0);
        assert_int_equal(group->seconds[s].consumed, 500);
        assert_int_equal(group->seconds[s].backlog, backlog[s]);
    }
    /* second 0: e2e of message j (0-based) is j ms + 1 us, j = 0..499 */
    assert_seconds(group->seconds[0].e2e_p50_s, 0.249001);
    assert_seconds(group->seconds[0].e2e_p99_s, 0.494001);
    assert_seconds(group->seconds[0].e2e_max_s, 0.499001);
    assert_seconds(group->seconds[5].e2e_max_s, 2.999001);
    check_results_free(&results);
}

/* throughput_per_s counts first processes before the load phase ends, per second of
 * it: 1,000 msg/s offered for 3 s, consumed at 500/s, so 1,500 of them in the first
 * 3 s (and 1,500 more in the drain, not counted); redeliveries do not count twice. No
 * load length, or nothing produced: no data. */
static void test_throughput_over_the_load_phase(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    subscribe(0, "consumer/idle/0", "idle", "quiet");
    for (int64_t k = 0; k < 3000; k++) {
        send(k * MS, P, (uint64_t)k + 1, HIST_NONE, (uint32_t)k, "orders", 0, 0, k);
        consume(2 * k * MS, C, (uint64_t)k + 1, "billing", 0, k, 1);
        if (k < 100) consume(2 * k * MS + 1, C, (uint64_t)k + 1, "billing", 0, k, 1);
    }
    check_results results;
    check_state *state = check_begin(1 * S);
    check_set_load_length(state, 3 * S);
    end_check(state, &results);
    const check_group *billing = group_named(&results, "billing");
    assert_int_equal(billing->consumed, 3000);
    assert_int_equal(billing->duplicated, 100);
    assert_seconds(billing->throughput_per_s, 500.0);
    assert_true(isnan(group_named(&results, "idle")->throughput_per_s));
    check_results_free(&results);
    /* a history without a load length */
    g_fed = 0;
    subscribe(0, C, "billing", "orders");
    for (int64_t k = 0; k < 10; k++) {
        send(k * MS, P, (uint64_t)k + 1, HIST_NONE, (uint32_t)k, "orders", 0, 0, k);
        consume(k * MS, C, (uint64_t)k + 1, "billing", 0, k, 1);
    }
    run_check(1 * S, &results);
    assert_true(isnan(results.groups[0].throughput_per_s));
    check_results_free(&results);
}

/* Requests: latencies 953, 953 and 3 ms, and one never answered. */
static void test_producer_request_latency(void **unused)
{
    (void)unused;
    const char *app = "producer/app/0";
    request(0, app, 1, HIST_INVOKE);
    request(1 * MS, app, 2, HIST_INVOKE);
    request(2 * MS, app, 3, HIST_INVOKE);
    request(3 * MS, app, 4, HIST_INVOKE);
    request(953 * MS, app, 1, HIST_OK);
    request(954 * MS, app, 2, HIST_OK);
    request(5 * MS, app, 3, HIST_OK);
    check_results results;
    run_check(1 * S, &results);
    assert_int_equal(results.producer_count, 1);
    const check_producer *producer = &results.producers[0];
    assert_string_equal(producer->name, app);
    assert_int_equal(producer->requests, 4);
    assert_int_equal(producer->latency_request.count, 3);
    assert_seconds(producer->latency_request.p50_s, 0.953);
    assert_seconds(producer->latency_request.max_s, 0.953);
    assert_seconds(producer->latency_request.mean_s, (0.953 * 2 + 0.003) / 3);
    assert_int_equal(producer->sent, 0);
    assert_int_equal(results.group_count, 0);
    check_results_free(&results);
}

/* Producers sort with instance numbers compared as numbers. */
static void test_producer_order(void **unused)
{
    (void)unused;
    send(0, "producer/checkout/10", 1, HIST_NONE, 0, "orders", 10, 0, 0);
    send(0, "producer/checkout/2", 2, HIST_NONE, 0, "orders", 10, 0, 1);
    send(0, "producer/app/0", 3, HIST_NONE, 0, "orders", 10, 0, 2);
    check_results results;
    run_check(1 * S, &results);
    assert_int_equal(results.producer_count, 3);
    assert_string_equal(results.producers[0].name, "producer/app/0");
    assert_string_equal(results.producers[1].name, "producer/checkout/2");
    assert_string_equal(results.producers[2].name, "producer/checkout/10");
    check_results_free(&results);
}

/* Arbitrary uint64 message ids (some equal to their send order, most not) work like
 * the simulator's dense ones. */
static void test_sparse_ids(void **unused)
{
    (void)unused;
    subscribe(0, C, "billing", "orders");
    const uint64_t ids[5] = {1, UINT64_MAX - 1, 42, 4, 7};
    for (int i = 0; i < 5; i++) send(0, P, ids[i], 1, (uint32_t)i, "orders", 10, 0, i);
    for (int i = 0; i < 4; i++) consume(1 * MS, C, ids[i], "billing", 0, i, 0);
    process(2 * MS, C, 42, "billing");
    check_results results;
    run_check(1 * S, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->consumed, 4);
    assert_int_equal(group->lost, 1);
    assert_examples(group, CHECK_LOST, 1, (const uint64_t[]){7});
    assert_int_equal(group->duplicated, 1);
    assert_examples(group, CHECK_DUPLICATED, 1, (const uint64_t[]){42});
    assert_int_equal(group->reordered, 0);
    check_results_free(&results);
}

/* A process by a group that never subscribed is a contract violation: exit code 3. */
static void test_process_without_subscribe_aborts(void **unused)
{
    (void)unused;
    send(0, P, 1, HIST_NONE, 0, "orders", 10, 0, 0);
    consume(1 * MS, C, 1, "billing", 0, 0, 0);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) _exit(99);
        check_results results;
        run_check(1 * S, &results);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), BL_EXIT_INTERNAL);
}

/* ---- the checker's bounded per-message storage (reports/check_window.c) ---- */

static check_window_stats stats_of(const check_state *state)
{
    return check_window_stats_of(state);
}

/* A batch record of `count` consecutive message ids from `first` (send ok, or deliver),
 * offsets from `offset`. `ids` must outlive the feed. */
static void batch(hist_fn fn, int64_t t, const char *node, const char *group, uint64_t *ids,
                  uint64_t first, uint32_t count, int64_t offset)
{
    for (uint32_t i = 0; i < count; i++) ids[i] = first + i;
    hist_record rec = hist_record_init(fn, HIST_OK, name(node), t);
    rec.msg = ids[0];
    rec.count = count;
    rec.msgs = ids;
    rec.partition = 0;
    rec.offset = offset;
    if (fn == HIST_DELIVER) rec.group = name(group);
    add(rec);
}

/* 200,000 messages in batches of 4 (batch acks and deliveries), one group, all processed
 * except message 7: lost == 1 with example 7, and the checker keeps a few window slots
 * plus message 7 in its exception list, not 200,000 entries. */
static void test_long_history_one_early_loss(void **unused)
{
    (void)unused;
    const uint64_t messages = 200000;
    check_state *state = check_begin(1 * S);
    subscribe(0, C, "billing", "orders");
    static uint64_t acks[4], deliveries[4];
    for (uint64_t first = 1; first <= messages; first += 4) {
        int64_t t = (int64_t)first * 100;
        for (uint32_t j = 0; j < 4; j++) {
            uint64_t m = first + j;
            send_invoke(t + j, P, m, HIST_NONE, (uint32_t)m - 1, "orders", t + j);
        }
        batch(HIST_SEND, t + 10, P, NULL, acks, first, 4, (int64_t)first - 1);
        batch(HIST_DELIVER, t + 20, C, "billing", deliveries, first, 4, (int64_t)first - 1);
        for (uint32_t j = 0; j < 4; j++) {
            if (first + j != 7) process(t + 30 + j, C, first + j, "billing");
        }
        feed_pending(state);
    }
    check_window_stats stats = stats_of(state);
    assert_true(stats.live_peak < 1000);
    assert_true(stats.window_capacity <= 1024);
    assert_int_equal(stats.exceptions, 1);
    assert_int_equal(stats.evicted + stats.live, messages);
    check_results results;
    end_check(state, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->produced, messages);
    assert_int_equal(group->acked, messages);
    assert_int_equal(group->consumed, messages - 1);
    assert_int_equal(group->lost, 1);
    assert_examples(group, CHECK_LOST, 1, (const uint64_t[]){7});
    assert_int_equal(group->unacked_lost + group->duplicated + group->reordered, 0);
    assert_int_equal(group->reordered_partition, 0);
    assert_int_equal(results.unknown + results.failed, 0);
    check_results_free(&results);
}

/* 3000 messages flowing one at a time, each acked and processed at once. */
static void flow(check_state *state, uint64_t first, uint64_t count, int64_t t0, const char *group)
{
    for (uint64_t m = first; m < first + count; m++) {
        int64_t t = t0 + (int64_t)(m - first) * 100;
        send(t, P, m, HIST_NONE, (uint32_t)m - 1, "orders", 10, 0, (int64_t)m - 1);
        consume(t + 20, C, m, group, 0, (int64_t)m - 1, 10);
        if (m % 256 == 0) feed_pending(state);
    }
    feed_pending(state);
}

/* Message 1 is processed once and leaves the window settled; much later it is delivered
 * again and processed twice more, and skipped once by a dedup: duplicated == 1 exactly
 * once. Message 2 is processed twice before it leaves and once after: one more. */
static void test_duplicate_after_eviction(void **unused)
{
    (void)unused;
    check_state *state = check_begin(1 * S);
    subscribe(0, C, "billing", "orders");
    send(0, P, 1, HIST_NONE, 0, "orders", 10, 0, 0);
    consume(20, C, 1, "billing", 0, 0, 10);
    send(50, P, 2, HIST_NONE, 1, "orders", 10, 0, 1);
    consume(70, C, 2, "billing", 0, 1, 10);
    deliver(90, C, 2, "billing", 0, 1, true);
    process(95, C, 2, "billing");
    flow(state, 3, 3000, 100, "billing");
    check_window_stats stats = stats_of(state);
    assert_true(stats.evicted > 2900); /* messages 1 and 2 among them */
    assert_true(stats.live < 100);
    for (int i = 0; i < 2; i++) {
        int64_t t = 1 * S + i * MS;
        deliver(t, C, 1, "billing", 0, 0, true);
        process(t + 1, C, 1, "billing");
    }
    deliver(2 * S, C, 1, "billing", 0, 0, true);
    msg_group_record(HIST_DEDUP, 2 * S, C, 1, "billing");
    deliver(2 * S, C, 2, "billing", 0, 1, true);
    process(2 * S + 1, C, 2, "billing");
    check_results results;
    end_check(state, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->consumed, 3002);
    assert_int_equal(group->duplicated, 2);
    assert_examples(group, CHECK_DUPLICATED, 2, (const uint64_t[]){1, 2});
    assert_int_equal(group->redelivered, 5);
    assert_int_equal(group->deduplicated, 1);
    assert_int_equal(group->lost + group->unacked_lost, 0);
    assert_int_equal(group->latency_e2e.count, 3002);
    check_results_free(&results);
}

/* Two groups on one topic; audit processes nothing until billing has processed 5000
 * messages: nothing leaves the window until both processed it. Then audit catches up
 * (processing 10 twice, never 20) and 6000 more messages flow to both, enough to fill
 * the window: 20 and 30 are parked and everything else leaves. Billing never processes
 * 30. */
static void test_lagging_group_pins_the_window(void **unused)
{
    (void)unused;
    const char *audit = "consumer/audit/0";
    check_state *state = check_begin(1 * S);
    subscribe(0, C, "billing", "orders");
    subscribe(0, audit, "audit", "orders");
    for (uint64_t m = 1; m <= 5000; m++) {
        int64_t t = (int64_t)m * 100;
        send(t, P, m, HIST_NONE, (uint32_t)m - 1, "orders", 10, 0, (int64_t)m - 1);
        if (m != 30) consume(t + 20, C, m, "billing", 0, (int64_t)m - 1, 10);
    }
    feed_pending(state);
    check_window_stats stats = stats_of(state);
    assert_int_equal(stats.evicted, 0);
    assert_int_equal(stats.exceptions, 0);
    assert_int_equal(stats.live, 5000);
    for (uint64_t m = 1; m <= 5000; m++) {
        int64_t t = 1 * S + (int64_t)m * 10;
        if (m != 20) consume(t, audit, m, "audit", 0, (int64_t)m - 1, 1);
        if (m == 10) consume(t + 2, audit, m, "audit", 0, (int64_t)m - 1, 1);
    }
    feed_pending(state);
    assert_int_equal(stats_of(state).evicted, 0); /* evictions happen as messages arrive */
    for (uint64_t m = 5001; m <= 11000; m++) {
        int64_t t = 2 * S + (int64_t)m * 100;
        send(t, P, m, HIST_NONE, (uint32_t)m - 1, "orders", 10, 0, (int64_t)m - 1);
        consume(t + 20, C, m, "billing", 0, (int64_t)m - 1, 10);
        consume(t + 20, audit, m, "audit", 0, (int64_t)m - 1, 10);
        feed_pending(state);
    }
    stats = stats_of(state);
    assert_true(stats.evicted > 10900);
    assert_int_equal(stats.exceptions, 2);
    assert_int_equal(stats.evicted + stats.live, 11000);
    check_results results;
    end_check(state, &results);
    const check_group *billing = group_named(&results, "billing");
    const check_group *audit_group = group_named(&results, "audit");
    assert_int_equal(billing->consumed, 10999);
    assert_int_equal(billing->lost, 1);
    assert_examples(billing, CHECK_LOST, 1, (const uint64_t[]){30});
    assert_int_equal(billing->duplicated, 0);
    assert_int_equal(audit_group->consumed, 10999);
    assert_int_equal(audit_group->lost, 1);
    assert_examples(audit_group, CHECK_LOST, 1, (const uint64_t[]){20});
    assert_int_equal(audit_group->duplicated, 1);
    assert_examples(audit_group, CHECK_DUPLICATED, 1, (const uint64_t[]){10});
    assert_int_equal(audit_group->peak_backlog, 5000);
    check_results_free(&results);
}

/* Sends that never complete stay unsettled and are parked while later messages flow:
 * message 3 is processed anyway, message 5 never is. Both count as unknown at the end
 * (and make second 0 unavailable); only 5 is unacked-lost. */
static void test_never_completed_sends(void **unused)
{
    (void)unused;
    check_state *state = check_begin(1 * S);
    subscribe(0, C, "billing", "orders");
    for (uint64_t m = 1; m <= 5; m++) {
        int64_t t = (int64_t)m * 100;
        send(t, P, m, HIST_NONE, (uint32_t)m - 1, "orders", m == 3 || m == 5 ? -1 : 10, 0,
             (int64_t)m - 1);
        if (m != 5) consume(t + 20, C, m, "billing", 0, (int64_t)m - 1, 10);
    }
    flow(state, 6, 3000, 2 * S, "billing");
    check_window_stats stats = stats_of(state);
    assert_int_equal(stats.exceptions, 2);
    assert_true(stats.live < 100);
    check_results results;
    end_check(state, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(results.unknown, 2);
    assert_int_equal(results.producers[0].unknown, 2);
    assert_int_equal(results.failed, 0);
    assert_int_equal(group->acked, 3003);
    assert_int_equal(group->consumed, 3004);
    assert_int_equal(group->unacked_lost, 1);
    assert_examples(group, CHECK_UNACKED_LOST, 1, (const uint64_t[]){5});
    assert_int_equal(group->lost + group->duplicated, 0);
    assert_seconds(group->unavailable_s, 1);
    check_results_free(&results);
}

/* Non-dense ids across evictions: every message has id 1,000,000 + 2 * dense. After
 * most have left the window, among them dense 0, a send invokes id 1: dense 0 + 1, but
 * not dense 0's id, so it is a new message. Message 1,000,010 is lost, 1,000,002 is
 * processed again after it left, and id 1 is processed twice. */
static void test_sparse_ids_evicted(void **unused)
{
    (void)unused;
    const uint64_t base_id = 1000000, count = 3000;
    check_state *state = check_begin(1 * S);
    subscribe(0, C, "billing", "orders");
    for (uint64_t d = 0; d < count; d++) {
        int64_t t = (int64_t)d * 100;
        uint64_t id = base_id + 2 * d;
        send(t, P, id, HIST_NONE, (uint32_t)d, "orders", 10, 0, (int64_t)d);
        if (d != 5) consume(t + 20, C, id, "billing", 0, (int64_t)d, 10);
        if (d % 256 == 0) feed_pending(state);
    }
    feed_pending(state);
    assert_true(stats_of(state).evicted > 2000);
    send(1 * S, P, 1, HIST_NONE, (uint32_t)count, "orders", 10, 0, (int64_t)count);
    consume(1 * S + 20, C, 1, "billing", 0, (int64_t)count, 10);
    consume(1 * S + 40, C, 1, "billing", 0, (int64_t)count, 10);
    deliver(1 * S + 50, C, base_id + 2, "billing", 0, 1, true);
    process(1 * S + 60, C, base_id + 2, "billing");
    check_results results;
    end_check(state, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->produced, count + 1);
    assert_int_equal(group->consumed, count);
    assert_int_equal(group->lost, 1);
    assert_examples(group, CHECK_LOST, 1, (const uint64_t[]){base_id + 10});
    assert_int_equal(group->duplicated, 2);
    assert_examples(group, CHECK_DUPLICATED, 2, (const uint64_t[]){1, base_id + 2});
    check_results_free(&results);
}

/* 3000 messages of a topic nobody reads yet stay live (a group may still subscribe);
 * one that subscribes at 1 s and reads only from message 2001 on has lost the first
 * 2000, exactly as if it had subscribed at 0 and never read them. */
static void test_group_subscribing_late_to_unread_topic(void **unused)
{
    (void)unused;
    check_state *state = check_begin(1 * S);
    for (uint64_t m = 1; m <= 3000; m++) {
        send((int64_t)m * 100, P, m, HIST_NONE, (uint32_t)m - 1, "orders", 10, 0, (int64_t)m - 1);
    }
    feed_pending(state);
    assert_int_equal(stats_of(state).evicted, 0);
    subscribe(1 * S, C, "billing", "orders");
    for (uint64_t m = 2001; m <= 3000; m++) {
        consume(1 * S + (int64_t)m * 10, C, m, "billing", 0, (int64_t)m - 1, 1);
    }
    check_results results;
    end_check(state, &results);
    const check_group *group = &results.groups[0];
    assert_int_equal(group->consumed, 1000);
    assert_int_equal(group->lost, 2000);
    assert_examples(group, CHECK_LOST, 8, (const uint64_t[]){1, 2, 3, 4, 5, 6, 7, 8});
    assert_int_equal(group->peak_backlog, 3000);
    check_results_free(&results);
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(uint64_t bound)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng % bound;
}

typedef struct expected_group {
    uint64_t consumed, lost, unacked_lost, duplicated, redelivered;
    uint64_t examples[CHECK_ANOMALY_KINDS][CHECK_EXAMPLES_MAX];
    uint32_t example_count[CHECK_ANOMALY_KINDS];
} expected_group;

/* Ids come in increasing order: the first CHECK_EXAMPLES_MAX are the smallest. */
static void expect_id(expected_group *expected, check_anomaly_kind kind, uint64_t id)
{
    uint32_t *count = &expected->example_count[kind];
    if (*count < CHECK_EXAMPLES_MAX) expected->examples[kind][(*count)++] = id;
}

/* One group's processes of message m: 0..3 times (mostly once), after a lag that is
 * usually short and sometimes up to 300 ms (3000 messages) long. Returns the count. */
static uint32_t random_processes(const char *node, const char *group, uint64_t m, int64_t t,
                                 bool laggy, expected_group *expected, bool acked)
{
    uint64_t dice = next_random(100);
    uint32_t count = dice < 3 ? 0 : dice < 91 ? 1 : dice < 97 ? 2 : 3;
    int64_t lag = laggy && next_random(20) == 0 ? (int64_t)next_random(300 * MS)
                                                : (int64_t)next_random(2 * MS);
    for (uint32_t i = 0; i < count; i++) {
        int64_t at = t + lag + (int64_t)i * (int64_t)(1 + next_random(400 * MS));
        consume(at, node, m, group, 0, (int64_t)m - 1, 1);
        g_records[g_record_count - 2].redelivered = i > 0;
    }
    if (count >= 1) expected->consumed++;
    if (count >= 2) expected->duplicated++, expected->redelivered += count - 1;
    if (count >= 2) expect_id(expected, CHECK_DUPLICATED, m);
    if (count == 0 && acked) {
        expected->lost++;
        expect_id(expected, CHECK_LOST, m);
    } else if (count == 0) {
        expected->unacked_lost++;
        expect_id(expected, CHECK_UNACKED_LOST, m);
    }
    return count;
}

static void assert_expected(const check_group *group, const expected_group *expected)
{
    assert_int_equal(group->consumed, expected->consumed);
    assert_int_equal(group->lost, expected->lost);
    assert_int_equal(group->unacked_lost, expected->unacked_lost);
    assert_int_equal(group->duplicated, expected->duplicated);
    assert_int_equal(group->redelivered, expected->redelivered);
    for (int kind = CHECK_LOST; kind <= CHECK_DUPLICATED; kind++) {
        assert_examples(group, (check_anomaly_kind)kind, expected->example_count[kind],
                        expected->examples[kind]);
    }
}

/* 20,000 random messages (ok, fail, info or no completion; processed 0..3 times by each
 * of two groups, audit sometimes seconds late): every count and example as expected,
 * while parked exceptions settle and are swept out of the list. */
static void test_random_lags_exact(void **unused)
{
    (void)unused;
    const char *audit = "consumer/audit/0";
    subscribe(0, C, "billing", "orders");
    subscribe(0, audit, "audit", "orders");
    expected_group billing = {0}, audit_expected = {0};
    uint64_t unknown = 0, failed = 0;
    for (uint64_t m = 1; m <= 20000; m++) {
        int64_t t = (int64_t)m * 100;
        uint64_t dice = next_random(100);
        hist_type outcome = dice < 93 ? HIST_OK : dice < 95 ? HIST_FAIL : HIST_INFO;
        bool completes = dice < 98;
        send_invoke(t, P, m, HIST_NONE, (uint32_t)m - 1, "orders", t);
        int64_t done_t = t + 1 + (int64_t)next_random(MS);
        if (completes) send_done(done_t, P, m, outcome, 0, (int64_t)m - 1);
        unknown += !completes || outcome == HIST_INFO;
        failed += completes && outcome == HIST_FAIL;
        bool acked = completes && outcome == HIST_OK;
        random_processes(C, "billing", m, t + 2 * MS, false, &billing, acked);
        random_processes(audit, "audit", m, t + 2 * MS, true, &audit_expected, acked);
    }
    const hist_record **order = malloc(g_record_count * sizeof *order);
    assert_non_null(order);
    for (size_t i = 0; i < g_record_count; i++) order[i] = &g_records[i];
    qsort(order, g_record_count, sizeof *order, compare_records);
    check_state *state = check_begin(1 * S);
    for (size_t i = 0; i < g_record_count; i++) check_feed(state, order[i], g_names);
    free(order);
    g_fed = g_record_count;
    g_record_count = 0;
    check_window_stats stats = stats_of(state);
    assert_true(stats.evicted > 10000);
    assert_true(stats.exceptions > 0);
    assert_true(stats.exceptions_settled > 0); /* parked, then settled and swept */
    check_results results;
    end_check(state, &results);
    assert_expected(group_named(&results, "billing"), &billing);
    assert_expected(group_named(&results, "audit"), &audit_expected);
    assert_int_equal(results.unknown, unknown);
    assert_int_equal(results.failed, failed);
    check_results_free(&results);
}

/* Runs body in a child with stderr silenced; asserts it exits with the internal-error
 * code (a violated contract). */
static void assert_internal_error(void (*body)(void))
{
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) _exit(99);
        body();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), BL_EXIT_INTERNAL);
}

static void late_subscribe_body(void)
{
    check_state *state = check_begin(1 * S);
    subscribe(0, C, "billing", "orders");
    flow(state, 1, 300, 0, "billing");
    subscribe(1 * S, "consumer/audit/0", "audit", "orders");
    check_results results;
    end_check(state, &results);
}

/* A group subscribing after messages of its topic left the window could not be checked
 * for them: a contract violation (the simulator subscribes every group at time 0). */
static void test_subscribe_after_eviction_aborts(void **unused)
{
    (void)unused;
    assert_internal_error(late_subscribe_body);
}

static void late_completion_body(void)
{
    check_state *state = check_begin(1 * S);
    subscribe(0, C, "billing", "orders");
    flow(state, 1, 300, 0, "billing");
    send_done(1 * S, P, 1, HIST_OK, 0, 0);
    check_results results;
    end_check(state, &results);
}

/* A second completion of a send is detected after the message left the window too. */
static void test_second_completion_after_eviction_aborts(void **unused)
{
    (void)unused;
    assert_internal_error(late_completion_body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unacked_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_groups_one_topic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_topics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_percentiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unavailable_seconds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peak_backlog_and_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throughput_over_the_load_phase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_request_latency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sparse_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_process_without_subscribe_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_history_one_early_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_after_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letters_and_broker_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_now_and_unsubscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lagging_group_pins_the_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_completed_sends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sparse_ids_evicted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_subscribing_late_to_unread_topic, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_random_lags_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_after_eviction_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_completion_after_eviction_aborts, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

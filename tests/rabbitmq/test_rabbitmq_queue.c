/* test_rabbitmq_queue.c — a classic queue's bookkeeping (rabbitmq_queue.h): round-robin
 * deliveries under prefetch, acks, requeue on a consumer's detach (at its place, flagged
 * redelivered), confirms waiting for the index write (or for a consumption that makes it
 * unnecessary), and recovery after a kill -9 (page cache kept) and a power loss (only
 * what was durable), with acks that were or were not written; a mirror following its
 * master's changes and its promotion; limits: TTL expiry at the head only (a requeued
 * message keeping its expiry), max-length with drop-head, reject-publish and
 * reject-publish-dlx, and what goes to the dead-letter exchange or is dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../engine/disk.h"
#include "../../models/rabbitmq/rabbitmq_queue.h"

#define S 1000000LL

static void make_disk(disk *d)
{
    disk_options options = {.write_bandwidth_bytes_per_s = 100000000,
                            .fsync_latency_us = 1000,
                            .page_cache_bytes = 1ULL << 30,
                            .dirty_expire_us = 30 * S,
                            .writeback_interval_us = 5 * S};
    disk_init(d, &options);
}

typedef struct confirms {
    uint64_t seqs[64];
    uint32_t count;
} confirms;

static void collect(void *ctx, const rmq_confirm *confirm)
{
    confirms *out = ctx;
    assert_true(out->count < 64);
    out->seqs[out->count++] = confirm->seq;
}

static uint64_t deliver(rmq_queue *q, uint32_t *slot, uint64_t *tag)
{
    rmq_entry *entry = NULL;
    if (!rmq_queue_next_delivery(q, slot, &entry, tag)) return 0;
    return entry->msg_id;
}

static void round_robin_under_prefetch(void **state)
{
    rmq_queue q;
    rmq_queue_init(&q, 0, false, 100, NULL);
    for (uint64_t m = 1; m <= 6; m++) assert_true(rmq_queue_enqueue(&q, m, -1, false, NULL));
    uint32_t a = rmq_queue_attach(&q, 10, 1, 2, false, 0);
    uint32_t b = rmq_queue_attach(&q, 11, 1, 2, false, 0);
    uint32_t slot;
    uint64_t tag;
    uint32_t got[2] = {0, 0};
    uint64_t id;
    while ((id = deliver(&q, &slot, &tag)) != 0) got[slot]++;
    assert_int_equal(got[a], 2); /* prefetch 2 each: 4 delivered, 2 ready */
    assert_int_equal(got[b], 2);
    assert_int_equal(rmq_queue_ready(&q), 2);
    assert_int_equal(rmq_queue_unacked(&q), 4);
    assert_true(rmq_queue_ack(&q, a, 1));  /* a's first delivery (tag 1): room for one more */
    assert_false(rmq_queue_ack(&q, a, 1)); /* acked twice: PRECONDITION_FAILED */
    assert_int_equal(deliver(&q, &slot, &tag), 5);
    assert_int_equal(slot, a);
    assert_int_equal(tag, 3);
    assert_false(rmq_queue_next_delivery(&q, &slot, &(rmq_entry *){NULL}, &tag));
    rmq_queue_free(&q);
}

static void detach_requeues_in_place_redelivered(void **state)
{
    rmq_queue q;
    rmq_queue_init(&q, 0, false, 100, NULL);
    for (uint64_t m = 1; m <= 4; m++) rmq_queue_enqueue(&q, m, -1, false, NULL);
    uint32_t a = rmq_queue_attach(&q, 10, 1, 2, false, 0);
    uint32_t slot;
    uint64_t tag;
    assert_int_equal(deliver(&q, &slot, &tag), 1);
    assert_int_equal(deliver(&q, &slot, &tag), 2);
    assert_int_equal(rmq_queue_detach(&q, a), 2);
    uint32_t b = rmq_queue_attach(&q, 11, 1, 0, false, 0);
    rmq_entry *entry = NULL;
    for (uint64_t want = 1; want <= 4; want++) {
        assert_true(rmq_queue_next_delivery(&q, &slot, &entry, &tag));
        assert_int_equal(slot, b);
        assert_int_equal(entry->msg_id, want); /* back at their place: FIFO by arrival */
        assert_int_equal((entry->flags & RMQ_FLAG_REDELIVERED) != 0, want <= 2);
    }
    rmq_queue_free(&q);
}

static void confirm_waits_for_the_write(void **state)
{
    disk d;
    make_disk(&d);
    rmq_queue q;
    rmq_queue_init(&q, 0, true, 100, disk_open(&d));
    rmq_confirm c1 = {.channel = 5, .via = 1, .seq = 1}, c2 = {.channel = 5, .via = 1, .seq = 2};
    assert_false(rmq_queue_enqueue(&q, 1, -1, true, &c1));
    assert_true(rmq_queue_enqueue(&q, 2, -1, false, &c2)); /* transient: confirmed at once */
    confirms out = {0};
    uint64_t bytes = rmq_queue_sync(&q, &d, 0, collect, &out);
    assert_int_equal(bytes, RMQ_PUB_RECORD_BYTES + 100);
    assert_int_equal(out.count, 1);
    assert_int_equal(out.seqs[0], 1);
    assert_false(rmq_queue_sync_pending(&q));
    rmq_queue_free(&q);
    disk_free(&d);
}

static void consumed_before_write_is_never_written(void **state)
{
    disk d;
    make_disk(&d);
    rmq_queue q;
    rmq_queue_init(&q, 0, true, 100, disk_open(&d));
    rmq_confirm c1 = {.channel = 5, .via = 1, .seq = 1};
    rmq_queue_enqueue(&q, 1, -1, true, &c1);
    uint32_t a = rmq_queue_attach(&q, 10, 1, 0, false, 0), slot;
    uint64_t tag;
    assert_int_equal(deliver(&q, &slot, &tag), 1);
    assert_true(rmq_queue_ack(&q, a, tag));
    confirms out = {0};
    assert_int_equal(rmq_queue_sync(&q, &d, 0, collect, &out), 0); /* nothing written */
    assert_int_equal(out.count, 1);                                /* ... and the confirm goes */
    assert_int_equal(q.counters.writes_skipped, 1);
    rmq_queue_trim(&q);
    assert_int_equal(bl_ring_count(&q.table), 0);
    rmq_queue_free(&q);
    disk_free(&d);
}

/* Three persistent messages written; the first is acked and its ack written; then the
 * node dies. After a kill -9 the page cache holds everything: 2 and 3 come back,
 * redelivered. After a power loss before any fsync nothing was durable: none comes back. */
static void recovery_keeps_written_unacked(void **state)
{
    for (int power_loss = 0; power_loss <= 1; power_loss++) {
        disk d;
        make_disk(&d);
        disk_file *file = disk_open(&d);
        rmq_queue q;
        rmq_queue_init(&q, 0, true, 100, file);
        for (uint64_t m = 1; m <= 3; m++) rmq_queue_enqueue(&q, m, -1, true, NULL);
        rmq_queue_enqueue(&q, 4, -1, false, NULL); /* transient: gone at any restart */
        confirms out = {0};
        rmq_queue_sync(&q, &d, 0, collect, &out);
        uint32_t a = rmq_queue_attach(&q, 10, 1, 0, false, 0), slot;
        uint64_t tag;
        assert_int_equal(deliver(&q, &slot, &tag), 1);
        assert_true(rmq_queue_ack(&q, a, tag));
        assert_int_equal(deliver(&q, &slot, &tag), 2); /* delivered, not acked */
        rmq_queue_sync(&q, &d, 1, collect, &out);      /* the ack of 1 is written */
        if (power_loss) disk_power_loss(&d);
        rmq_queue_recover(&q, file->size_bytes);
        uint32_t b = rmq_queue_attach(&q, 11, 1, 0, false, 0);
        rmq_entry *entry = NULL;
        uint64_t want = 2;
        while (rmq_queue_next_delivery(&q, &slot, &entry, &tag)) {
            assert_int_equal(slot, b);
            assert_int_equal(entry->msg_id, want++);
            assert_true((entry->flags & RMQ_FLAG_REDELIVERED) != 0);
        }
        assert_int_equal(want, power_loss ? 2 : 4);
        assert_int_equal(q.counters.recovered, power_loss ? 0 : 2);
        rmq_queue_free(&q);
        disk_free(&d);
    }
}

/* An ack that never reached the index: the message comes back after a restart. */
static void unwritten_ack_redelivers(void **state)
{
    disk d;
    make_disk(&d);
    disk_file *file = disk_open(&d);
    rmq_queue q;
    rmq_queue_init(&q, 0, true, 100, file);
    rmq_queue_enqueue(&q, 1, -1, true, NULL);
    confirms out = {0};
    rmq_queue_sync(&q, &d, 0, collect, &out);
    uint32_t a = rmq_queue_attach(&q, 10, 1, 0, false, 0), slot;
    uint64_t tag;
    deliver(&q, &slot, &tag);
    assert_true(rmq_queue_ack(&q, a, tag)); /* no sync after it: the process dies */
    rmq_queue_recover(&q, file->size_bytes);
    assert_int_equal(rmq_queue_ready(&q), 1);
    rmq_queue_free(&q);
    disk_free(&d);
}

static void transient_queue_comes_back_empty(void **state)
{
    rmq_queue q;
    rmq_queue_init(&q, 0, false, 100, NULL);
    rmq_queue_enqueue(&q, 1, -1, true, NULL);
    rmq_queue_recover(&q, 0);
    assert_int_equal(rmq_queue_ready(&q), 0);
    assert_int_equal(q.counters.lost_at_restart, 1);
    rmq_queue_free(&q);
}

typedef struct changes {
    uint64_t seqs[64];
    rmq_change kinds[64];
    uint32_t count;
} changes;

static void record_change(void *ctx, uint32_t queue, uint64_t seq, rmq_change change)
{
    changes *out = ctx;
    (void)queue;
    assert_true(out->count < 64);
    out->seqs[out->count] = seq;
    out->kinds[out->count++] = change;
}

/* A mirror that applies its master's changes holds the same messages in the same state;
 * promoted, it requeues what the master had delivered unacknowledged (R8). A mirror that
 * joined later ignores changes to messages older than itself. */
static void mirror_follows_and_promotes(void **state)
{
    rmq_queue master, mirror, late;
    rmq_queue_init(&master, 0, false, 100, NULL);
    rmq_queue_init(&mirror, 0, false, 100, NULL);
    rmq_queue_init(&late, 0, false, 100, NULL);
    changes seen = {0};
    master.observer = record_change;
    master.observer_ctx = &seen;
    for (uint64_t m = 1; m <= 4; m++) {
        rmq_queue_enqueue(&master, m, -1, false, NULL);
        rmq_queue_enqueue(&mirror, m, -1, false, NULL);
    }
    rmq_queue_start_at(&late, 4); /* joined when the master's next seq was 4 */
    rmq_queue_enqueue(&late, 4, -1, false, NULL);
    uint32_t a = rmq_queue_attach(&master, 10, 1, 0, false, 0), slot;
    uint64_t tag;
    for (int i = 0; i < 3; i++) deliver(&master, &slot, &tag); /* 1, 2, 3 delivered */
    assert_true(rmq_queue_ack(&master, a, 1));                 /* 1 consumed */
    for (uint32_t i = 0; i < seen.count; i++) {
        rmq_queue_mirror_change(&mirror, seen.seqs[i], seen.kinds[i]);
        rmq_queue_mirror_change(&late, seen.seqs[i], seen.kinds[i]);
    }
    assert_int_equal(seen.count, 4); /* 3 deliveries, 1 consumption */
    assert_int_equal(rmq_queue_ready(&mirror), 1);
    assert_int_equal(rmq_queue_promote(&mirror), 2); /* 2 and 3 back, redelivered */
    uint32_t b = rmq_queue_attach(&mirror, 11, 1, 0, false, 0);
    rmq_entry *entry = NULL;
    for (uint64_t want = 2; want <= 4; want++) {
        assert_true(rmq_queue_next_delivery(&mirror, &slot, &entry, &tag));
        assert_int_equal(slot, b);
        assert_int_equal(entry->msg_id, want);
        assert_int_equal((entry->flags & RMQ_FLAG_REDELIVERED) != 0, want <= 3);
    }
    assert_int_equal(rmq_queue_ready(&late), 1); /* only 4, which it has */
    rmq_queue_free(&master);
    rmq_queue_free(&mirror);
    rmq_queue_free(&late);
}

/* ---- limits (R11-R13) ---- */

typedef struct dead_letters {
    uint64_t ids[64];
    rmq_death reasons[64];
    uint32_t count;
} dead_letters;

static void collect_dead(void *ctx, uint32_t queue, const rmq_entry *entry, rmq_death reason)
{
    (void)queue;
    dead_letters *out = ctx;
    assert_true(out->count < 64);
    out->ids[out->count] = entry->msg_id;
    out->reasons[out->count++] = reason;
}

static void publish_at(rmq_queue *q, uint64_t id, int64_t now_us, rmq_publish_result expected)
{
    rmq_publish publish = {.msg_id = id, .key = -1};
    assert_int_equal(rmq_queue_publish(q, &publish, now_us), expected);
}

static void ttl_expires_at_the_head_only(void **state)
{
    (void)state;
    rmq_queue q;
    rmq_queue_init(&q, 0, false, 100, NULL);
    dead_letters dead = {0};
    rmq_queue_limits limits = {
        .message_ttl_us = 10 * S, .max_length = RMQ_NO_MAX_LENGTH, .dead_letter = true};
    rmq_queue_set_limits(&q, &limits, collect_dead, &dead);
    publish_at(&q, 1, 0, RMQ_PUBLISH_CONFIRM_NOW);
    publish_at(&q, 2, 1 * S, RMQ_PUBLISH_CONFIRM_NOW);
    publish_at(&q, 3, 2 * S, RMQ_PUBLISH_CONFIRM_NOW);
    /* message 1 is delivered and requeued: it keeps its expiry of 10 s */
    uint32_t c = rmq_queue_attach(&q, 10, 1, 1, false, 0);
    uint32_t slot;
    uint64_t tag;
    assert_int_equal(deliver(&q, &slot, &tag), 1);
    assert_int_equal(rmq_queue_expire(&q, 9 * S), 1 * S + 10 * S); /* head is 2: not yet */
    rmq_queue_detach(&q, c);
    assert_int_equal(rmq_queue_expire(&q, 10 * S), 11 * S); /* 1 is back at the head: gone */
    assert_int_equal(dead.count, 1);
    assert_int_equal(dead.ids[0], 1);
    assert_int_equal(dead.reasons[0], RMQ_DEATH_EXPIRED);
    assert_int_equal(rmq_queue_expire(&q, 12 * S), RMQ_NO_TTL); /* 2 and 3 */
    assert_int_equal(dead.count, 3);
    assert_int_equal(q.counters.died[RMQ_DEATH_EXPIRED], 3);
    assert_int_equal(q.counters.dead_lettered, 3);
    assert_int_equal(q.counters.dropped, 0);
    assert_int_equal(rmq_queue_ready(&q), 0);
    rmq_queue_free(&q);
}

static void ttl_waits_behind_an_unexpired_head(void **state)
{
    (void)state;
    rmq_queue q;
    rmq_queue_init(&q, 0, false, 100, NULL);
    rmq_queue_limits limits = {.message_ttl_us = 10 * S, .max_length = RMQ_NO_MAX_LENGTH};
    rmq_queue_set_limits(&q, &limits, NULL, NULL);
    publish_at(&q, 1, 5 * S, RMQ_PUBLISH_CONFIRM_NOW);
    /* a message without the queue's TTL at the head (a recovered one) holds back the rest */
    rmq_queue_entry(&q, 1)->expires_us = RMQ_NO_TTL;
    publish_at(&q, 2, 6 * S, RMQ_PUBLISH_CONFIRM_NOW);
    assert_int_equal(rmq_queue_expire(&q, 60 * S), RMQ_NO_TTL);
    assert_int_equal(rmq_queue_ready(&q), 2);
    assert_int_equal(q.counters.died[RMQ_DEATH_EXPIRED], 0);
    rmq_queue_free(&q);
}

static void max_length_drop_head_counts_ready_only(void **state)
{
    (void)state;
    rmq_queue q;
    rmq_queue_init(&q, 0, false, 100, NULL);
    rmq_queue_limits limits = {
        .message_ttl_us = RMQ_NO_TTL, .max_length = 2, .overflow = RMQ_OVERFLOW_DROP_HEAD};
    rmq_queue_set_limits(&q, &limits, NULL, NULL);
    publish_at(&q, 1, 0, RMQ_PUBLISH_CONFIRM_NOW);
    uint32_t slot;
    uint64_t tag;
    rmq_queue_attach(&q, 10, 1, 1, false, 0);
    assert_int_equal(deliver(&q, &slot, &tag), 1); /* unacked: not counted */
    publish_at(&q, 2, 0, RMQ_PUBLISH_CONFIRM_NOW);
    publish_at(&q, 3, 0, RMQ_PUBLISH_CONFIRM_NOW);
    assert_int_equal(q.counters.dropped, 0);
    publish_at(&q, 4, 0, RMQ_PUBLISH_CONFIRM_NOW);
    assert_int_equal(rmq_queue_drop_head(&q), 1); /* 2 goes: the oldest ready */
    assert_int_equal(q.counters.dropped, 1);
    assert_int_equal(q.counters.died[RMQ_DEATH_MAXLEN], 1);
    assert_int_equal(rmq_queue_ready(&q), 2);
    assert_int_equal(*BL_RING_FRONT(&q.ready, uint64_t), 3);
    rmq_queue_free(&q);
}

static void reject_publish_refuses_and_dlx_dead_letters(void **state)
{
    (void)state;
    for (int dlx = 0; dlx <= 1; dlx++) {
        rmq_queue q;
        rmq_queue_init(&q, 0, false, 100, NULL);
        dead_letters dead = {0};
        rmq_queue_limits limits = {.message_ttl_us = RMQ_NO_TTL,
                                   .max_length = 1,
                                   .overflow = dlx ? RMQ_OVERFLOW_REJECT_PUBLISH_DLX
                                                   : RMQ_OVERFLOW_REJECT_PUBLISH,
                                   .dead_letter = dlx == 1};
        rmq_queue_set_limits(&q, &limits, dlx ? collect_dead : NULL, &dead);
        publish_at(&q, 1, 0, RMQ_PUBLISH_CONFIRM_NOW);
        assert_true(rmq_queue_would_reject(&q));
        publish_at(&q, 2, 0, RMQ_PUBLISH_REJECTED);
        assert_int_equal(rmq_queue_ready(&q), 1); /* the head stays */
        assert_int_equal(q.counters.rejected_publishes, 1);
        assert_int_equal(dead.count, (uint32_t)dlx);
        if (dlx) {
            assert_int_equal(dead.ids[0], 2);
            assert_int_equal(dead.reasons[0], RMQ_DEATH_MAXLEN);
        }
        /* reject-publish without a DLX counts no death: the publisher got a nack */
        assert_int_equal(q.counters.died[RMQ_DEATH_MAXLEN], (uint64_t)dlx);
        rmq_queue_free(&q);
    }
}

static void expired_before_write_confirms_without_writing(void **state)
{
    (void)state;
    disk d;
    make_disk(&d);
    rmq_queue q;
    rmq_queue_init(&q, 0, true, 100, disk_open(&d));
    rmq_queue_limits limits = {.message_ttl_us = 1 * S, .max_length = RMQ_NO_MAX_LENGTH};
    rmq_queue_set_limits(&q, &limits, NULL, NULL);
    rmq_confirm c1 = {.channel = 7, .via = 1, .seq = 1};
    rmq_publish publish = {.msg_id = 1, .key = -1, .persistent = true, .confirm = &c1};
    assert_int_equal(rmq_queue_publish(&q, &publish, 0), RMQ_PUBLISH_CONFIRM_WAITS);
    rmq_queue_expire(&q, 2 * S);
    confirms got = {0};
    rmq_queue_sync(&q, &d, 2 * S, collect, &got);
    assert_int_equal(got.count, 1); /* its confirm goes; nothing is written */
    assert_int_equal(q.counters.written, 0);
    assert_int_equal(q.counters.writes_skipped, 1);
    rmq_queue_free(&q);
    disk_free(&d);
}

/* Single active consumer: only the earliest attached consumer gets deliveries; when it
 * detaches, the next in attach order gets its requeued messages first, in order. */
static void single_active_consumer_fails_over_in_order(void **state)
{
    (void)state;
    rmq_queue q;
    rmq_queue_init(&q, 0, false, 100, NULL);
    q.single_active = true;
    for (uint64_t m = 1; m <= 6; m++) rmq_queue_enqueue(&q, m, -1, false, NULL);
    uint32_t first = rmq_queue_attach(&q, 10, 1, 2, false, 0);
    uint32_t second = rmq_queue_attach(&q, 11, 1, 2, false, 0);
    uint32_t slot;
    uint64_t tag;
    assert_int_equal(deliver(&q, &slot, &tag), 1);
    assert_int_equal(slot, first);
    assert_int_equal(deliver(&q, &slot, &tag), 2);
    assert_int_equal(slot, first);
    assert_int_equal(deliver(&q, &slot, &tag), 0); /* the active one is full: nobody else */
    assert_int_equal(rmq_queue_detach(&q, first), 2);
    uint64_t got[4];
    for (int i = 0; i < 2; i++) {
        got[i] = deliver(&q, &slot, &tag);
        assert_int_equal(slot, second);
    }
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 2);
    assert_int_equal(rmq_queue_entry(&q, 1)->flags & RMQ_FLAG_REDELIVERED, RMQ_FLAG_REDELIVERED);
    rmq_queue_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_robin_under_prefetch),
        cmocka_unit_test(detach_requeues_in_place_redelivered),
        cmocka_unit_test(confirm_waits_for_the_write),
        cmocka_unit_test(consumed_before_write_is_never_written),
        cmocka_unit_test(recovery_keeps_written_unacked),
        cmocka_unit_test(unwritten_ack_redelivers),
        cmocka_unit_test(transient_queue_comes_back_empty),
        cmocka_unit_test(mirror_follows_and_promotes),
        cmocka_unit_test(ttl_expires_at_the_head_only),
        cmocka_unit_test(ttl_waits_behind_an_unexpired_head),
        cmocka_unit_test(max_length_drop_head_counts_ready_only),
        cmocka_unit_test(reject_publish_refuses_and_dlx_dead_letters),
        cmocka_unit_test(expired_before_write_confirms_without_writing),
        cmocka_unit_test(single_active_consumer_fails_over_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_kafka_log.c — the partition log: offsets, reads, recovery to the last durable
 * batch after a power loss (K5), retention of whole old segments only (K33), and its
 * batches ring and record arrays across many retentions and recoveries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../test_util.h"
#include "kafka_test_disk.h"

#include "../../models/kafka/kafka_log.h"

#define SECOND S

static void append_batch(kafka_log *log, disk *d, uint64_t first_id, uint32_t count, int64_t now_us)
{
    uint64_t ids[16];
    int32_t keys[16];
    for (uint32_t i = 0; i < count; i++) {
        ids[i] = first_id + i;
        keys[i] = (int32_t)i;
    }
    assert_true(kafka_log_append(log, d, ids, keys, count, 100 * count, KAFKA_NO_STAMP, now_us) >=
                0);
}

static void offsets_are_dense_and_readable(void **state)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    kafka_log_init(&log, &d, KAFKA_TEST_SEGMENTS);
    append_batch(&log, &d, 1, 3, 0);
    append_batch(&log, &d, 4, 2, 1);
    assert_int_equal(log.end_offset, 5);
    assert_int_equal(kafka_log_msg(&log, 0), 1);
    assert_int_equal(kafka_log_msg(&log, 4), 5);
    assert_int_equal(kafka_log_key(&log, 3), 0);
    kafka_log_free(&log);
    disk_free(&d);
}

static void power_loss_cuts_to_the_last_durable_batch(void **state)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    kafka_log_init(&log, &d, KAFKA_TEST_SEGMENTS);
    append_batch(&log, &d, 1, 3, 0); /* fsynced */
    disk_fsync_done(&d, log.file, log.file->size_bytes);
    append_batch(&log, &d, 4, 2, 20 * SECOND); /* half of it reached the disk */
    disk_fsync_done(&d, log.file, 300 + 100);
    disk_power_loss(&d);
    kafka_log_recover(&log, &d);
    assert_int_equal(log.end_offset, 3); /* the torn batch goes whole */
    assert_int_equal(log.file->size_bytes, 300);
    /* New appends reuse the lost offsets. */
    append_batch(&log, &d, 100, 1, 40 * SECOND);
    assert_int_equal(kafka_log_msg(&log, 3), 100);
    kafka_log_free(&log);
    disk_free(&d);
}

static void retention_drops_whole_old_durable_segments(void **state)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    /* segments roll once 10 s old: [0, 4) from 0 s, [4, 6) from 50 s */
    kafka_log_init(
        &log, &d,
        (kafka_segment_policy){.segment_bytes = 1ull << 30, .segment_ms_us = 10 * SECOND});
    append_batch(&log, &d, 1, 2, 0);
    append_batch(&log, &d, 3, 2, 10 * SECOND); /* 10 s old is not older than 10 s */
    append_batch(&log, &d, 5, 2, 50 * SECOND);
    assert_int_equal(bl_ring_count(&log.segments), 2);
    kafka_log_retain(&log, &d, 20 * SECOND, 0, log.end_offset); /* not written back yet */
    assert_int_equal(log.start_offset, 0);
    disk_writeback(&d, 100 * SECOND);
    kafka_log_retain(&log, &d, 20 * SECOND, 0, 3); /* above the high watermark: kept */
    assert_int_equal(log.start_offset, 0);
    /* the first segment's newest batch is from 10 s: before the 20 s cutoff, it goes whole */
    kafka_log_retain(&log, &d, 20 * SECOND, 0, log.end_offset);
    assert_int_equal(log.start_offset, 4);
    assert_int_equal(d.used_bytes, 200);
    assert_int_equal(kafka_log_msg(&log, 4), 5);
    kafka_log_retain(&log, &d, 200 * SECOND, 0, log.end_offset); /* the active one stays */
    assert_int_equal(log.start_offset, 4);
    /* by size: a segment goes while the log without it still holds retention.bytes */
    append_batch(&log, &d, 7, 2, 70 * SECOND); /* rolls: [4, 6) and [6, 8) */
    disk_writeback(&d, 200 * SECOND);
    kafka_log_retain(&log, &d, INT64_MIN, 201, log.end_offset);
    assert_int_equal(log.start_offset, 4); /* without [4, 6) 200 B would be left */
    kafka_log_retain(&log, &d, INT64_MIN, 200, log.end_offset);
    assert_int_equal(log.start_offset, 6);
    kafka_log_free(&log);
    disk_free(&d);
}

/* Reads every live offset: ids_by_offset[o] is the id last appended at offset o. */
static void assert_records(const kafka_log *log, const uint64_t *ids_by_offset)
{
    for (int64_t o = log->start_offset; o < log->end_offset; o++)
        assert_int_equal(kafka_log_msg(log, o), ids_by_offset[o]);
}

/* Batches go in at the back, retention takes them from the front and recovery from the
 * back, so the batches ring wraps around and grows while it is not empty, and the
 * record arrays are compacted and grown: each batch must keep its bytes and offsets. */
static void batches_ring_across_retention_and_recovery(void **state)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    kafka_log_init(
        &log, &d, /* segments of 3 s, so retention has whole ones to delete */
        (kafka_segment_policy){.segment_bytes = 1ull << 30, .segment_ms_us = 3 * SECOND});
    static uint64_t ids[4096];
    uint64_t next_id = 1;
    int64_t now_us = 0;
    uint32_t appended = 0;
    for (uint32_t round = 0; round < 40; round++) {
        /* 5 + round batches of 1..3 records, one a second; the flusher writes the file
         * whole once it has been dirty for 30 s. */
        for (uint32_t b = 0; b < 5 + round; b++, appended++) {
            uint32_t count = 1 + appended % 3;
            int64_t offset = log.end_offset;
            for (uint32_t i = 0; i < count; i++) ids[offset + i] = next_id + i;
            append_batch(&log, &d, next_id, count, now_us);
            next_id += count;
            now_us += SECOND;
        }
        disk_writeback(&d, now_us);
        /* Every fourth round a power loss first, after one more batch: the batches still
         * dirty (since the flusher last wrote the file whole) are lost, the durable ones
         * before them kept. */
        if (round % 4 == 3) {
            uint32_t count = 1 + appended % 3;
            for (uint32_t i = 0; i < count; i++) ids[log.end_offset + i] = next_id + i;
            append_batch(&log, &d, next_id, count, now_us);
            next_id += count;
            appended++;
            now_us += SECOND;
            int64_t end_before = log.end_offset;
            disk_power_loss(&d);
            kafka_log_recover(&log, &d);
            assert_true(log.end_offset < end_before);
            assert_int_equal(log.file->size_bytes, 100 * (uint64_t)log.end_offset);
            assert_true(log.end_offset >= log.start_offset);
        }
        /* Keep the last 10 s: whole durable segments go from the front. */
        int64_t start_before = log.start_offset;
        kafka_log_retain(&log, &d, now_us - 10 * SECOND, 0, log.end_offset);
        assert_true(log.start_offset >= start_before);
        assert_int_equal(log.file->start_bytes, 100 * (uint64_t)log.start_offset);
        assert_true(bl_ring_count(&log.batches) >= 1 || log.end_offset == log.start_offset);
        assert_records(&log, ids);
        /* The ring's batches are contiguous: each starts where the one before ends. */
        int64_t offset = log.start_offset;
        for (uint32_t i = 0; i < bl_ring_count(&log.batches); i++) {
            const kafka_log_batch *batch = BL_RING_AT(&log.batches, kafka_log_batch, i);
            assert_int_equal(batch->base_offset, offset);
            offset += batch->count;
            assert_int_equal(batch->end_bytes, 100 * (uint64_t)offset);
        }
        assert_int_equal(offset, log.end_offset);
    }
    assert_true(log.start_offset > 0);
    assert_true(log.array_base > 0); /* the arrays were compacted at least once */
    kafka_log_free(&log);
    disk_free(&d);
}

/* LogLoader.recoverLog re-reads from the segment holding the recovery point to the end,
 * and a roll says so once (UnifiedLog.roll's flush of what came before). */
static void recovery_rereads_from_the_recovery_points_segment(void **state)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    /* segments roll at 300 bytes: each 2-record batch is 200 bytes plus overhead */
    kafka_log_init(&log, &d,
                   (kafka_segment_policy){.segment_bytes = 300, .segment_ms_us = 86400 * SECOND});
    append_batch(&log, &d, 1, 2, 0);
    assert_false(log.rolled);
    append_batch(&log, &d, 3, 2, SECOND); /* [0, 2) full: rolls */
    assert_true(log.rolled);
    log.rolled = false;
    append_batch(&log, &d, 5, 2, 2 * SECOND);
    assert_int_equal(bl_ring_count(&log.segments), 3);
    uint64_t total = log.file->size_bytes;
    uint64_t second = BL_RING_AT(&log.segments, kafka_log_segment, 1)->start_bytes;
    uint64_t third = BL_RING_AT(&log.segments, kafka_log_segment, 2)->start_bytes;
    assert_int_equal(kafka_log_recovery_bytes(&log, 0), total);          /* nothing flushed */
    assert_int_equal(kafka_log_recovery_bytes(&log, 3), total - second); /* inside [2, 4) */
    assert_int_equal(kafka_log_recovery_bytes(&log, 4), total - third);
    assert_int_equal(kafka_log_recovery_bytes(&log, log.end_offset), total - third);
    kafka_log_free(&log);
    disk_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offsets_are_dense_and_readable),
        cmocka_unit_test(power_loss_cuts_to_the_last_durable_batch),
        cmocka_unit_test(retention_drops_whole_old_durable_segments),
        cmocka_unit_test(batches_ring_across_retention_and_recovery),
        cmocka_unit_test(recovery_rereads_from_the_recovery_points_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

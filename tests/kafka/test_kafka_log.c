/* test_kafka_log.c — the partition log: offsets, reads, recovery to the last durable
 * batch after a power loss (K5), retention of whole old batches only (K33). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../test_util.h"

#include "../../models/kafka/kafka_log.h"

#define SECOND S

static void make_disk(disk *d)
{
    disk_options options = {.write_bandwidth_bytes_per_s = 100000000, .fsync_latency_us = 1000,
                            .page_cache_bytes = 1ULL << 30, .dirty_expire_us = 30 * SECOND, .writeback_interval_us = 5 * SECOND};
    disk_init(d, &options);
}

static void append_batch(kafka_log *log, disk *d, uint64_t first_id, uint32_t count, int64_t now_us)
{
    uint64_t ids[16];
    int32_t keys[16];
    for (uint32_t i = 0; i < count; i++) {
        ids[i] = first_id + i;
        keys[i] = (int32_t)i;
    }
    assert_true(kafka_log_append(log, d, ids, keys, count, 100 * count, now_us) >= 0);
}

static void offsets_are_dense_and_readable(void **state)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    kafka_log_init(&log, &d);
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
    kafka_log_init(&log, &d);
    append_batch(&log, &d, 1, 3, 0);            /* written back at 31 s */
    append_batch(&log, &d, 4, 2, 20 * SECOND);  /* still dirty */
    disk_writeback(&d, 31 * SECOND);
    disk_power_loss(&d);
    kafka_log_recover(&log, &d);
    assert_int_equal(log.end_offset, 3);
    assert_int_equal(log.file->size_bytes, 300);
    /* New appends reuse the lost offsets. */
    append_batch(&log, &d, 100, 1, 40 * SECOND);
    assert_int_equal(kafka_log_msg(&log, 3), 100);
    kafka_log_free(&log);
    disk_free(&d);
}

static void retention_drops_whole_old_durable_batches(void **state)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    kafka_log_init(&log, &d);
    append_batch(&log, &d, 1, 2, 0);
    append_batch(&log, &d, 3, 2, 10 * SECOND);
    append_batch(&log, &d, 5, 2, 50 * SECOND);
    disk_writeback(&d, 100 * SECOND);
    kafka_log_retain(&log, &d, 20 * SECOND, 0); /* batches appended before 20 s go */
    assert_int_equal(log.start_offset, 4);
    assert_int_equal(d.used_bytes, 200);
    assert_int_equal(kafka_log_msg(&log, 4), 5);
    kafka_log_retain(&log, &d, 200 * SECOND, 0); /* the last batch always stays */
    assert_int_equal(log.start_offset, 4);
    kafka_log_free(&log);
    disk_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offsets_are_dense_and_readable),
        cmocka_unit_test(power_loss_cuts_to_the_last_durable_batch),
        cmocka_unit_test(retention_drops_whole_old_durable_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

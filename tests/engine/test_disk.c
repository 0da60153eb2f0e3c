/* test_disk.c — the page cache / fsync / writeback / power-loss model (engine/disk.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../engine/disk.h"

static void make_disk(disk *d, uint64_t capacity_bytes)
{
    disk_options options = {.write_bandwidth_bytes_per_s = 1000000,
                            .fsync_latency_us = 2000,
                            .capacity_bytes = capacity_bytes,
                            .page_cache_bytes = 1ULL << 40,
                            .dirty_expire_us = 30000000,
                            .writeback_interval_us = 5000000};
    disk_init(d, &options);
}

static void power_loss_drops_what_was_not_written_back(void **state)
{
    disk d;
    make_disk(&d, 0);
    disk_file *file = disk_open(&d);
    disk_file *other = disk_open(&d);
    assert_true(disk_append(&d, file, 100, 0));
    assert_true(disk_append(&d, file, 50, 20000000));
    assert_true(disk_append(&d, other, 70, 10000000));
    disk_writeback(&d, 25000000); /* nothing dirty for 30 s yet */
    assert_int_equal(file->durable_bytes, 0);
    /* The first file became dirty 31 s ago: written back whole, its 11 s old append
     * too (the inode's dirtied_when ages, not each page); the other, dirty for 21 s,
     * stays in the page cache. */
    disk_writeback(&d, 31000000);
    assert_int_equal(file->durable_bytes, 150);
    assert_int_equal(other->durable_bytes, 0);
    /* clean again: the next append starts its age over */
    assert_true(disk_append(&d, file, 10, 32000000));
    disk_writeback(&d, 41000000);
    assert_int_equal(file->durable_bytes, 150);
    assert_int_equal(other->durable_bytes, 70);
    disk_power_loss(&d);
    assert_int_equal(file->size_bytes, 150);
    assert_int_equal(other->size_bytes, 70);
    assert_int_equal(d.used_bytes, 220);
    assert_int_equal(d.dirty_bytes, 0);
    disk_free(&d);
}

static void fsync_makes_durable_and_takes_latency_plus_transfer(void **state)
{
    disk d;
    make_disk(&d, 0);
    disk_file *file = disk_open(&d);
    assert_true(disk_append(&d, file, 1000, 0));
    int64_t done_us = disk_fsync_start(&d, file, 0);
    assert_int_equal(done_us, 2000 + 1000); /* 2 ms + 1000 B at 1 MB/s */
    disk_fsync_done(&d, file, 1000);
    assert_int_equal(file->durable_bytes, 1000);
    disk_power_loss(&d);
    assert_int_equal(file->size_bytes, 1000);
    disk_free(&d);
}

static void full_disk_refuses_appends(void **state)
{
    disk d;
    make_disk(&d, 150);
    disk_file *file = disk_open(&d);
    assert_true(disk_append(&d, file, 100, 0));
    assert_false(disk_append(&d, file, 100, 1));
    assert_int_equal(file->size_bytes, 100);
    d.full = true;
    assert_false(disk_append(&d, file, 10, 2));
    disk_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(power_loss_drops_what_was_not_written_back),
        cmocka_unit_test(fsync_makes_durable_and_takes_latency_plus_transfer),
        cmocka_unit_test(full_disk_refuses_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

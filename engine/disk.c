/* disk.c — page cache, fsync, writeback and capacity of one host (see disk.h). */
#include "disk.h"

#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"

#define DISK_DIRTY_BACKGROUND_PERCENT 10

void disk_init(disk *d, const disk_options *options)
{
    BL_ASSERT(options->write_bandwidth_bytes_per_s > 0);
    BL_ASSERT(options->fsync_latency_us >= 0);
    BL_ASSERT(options->page_cache_bytes > 0);
    BL_ASSERT(options->dirty_expire_us > 0);
    BL_ASSERT(options->writeback_interval_us > 0);
    memset(d, 0, sizeof *d);
    d->options = *options;
    d->slow_factor = 1;
}

void disk_free(disk *d)
{
    for (uint32_t i = 0; i < d->file_count; i++) {
        bl_ring_free(&d->files[i]->dirty);
        free(d->files[i]);
    }
    d->file_count = 0;
}

disk_file *disk_open(disk *d)
{
    BL_ASSERT(d->file_count < DISK_FILES_MAX);
    disk_file *file = calloc(1, sizeof *file);
    BL_ASSERT(file != NULL);
    BL_RING_INIT(&file->dirty, disk_chunk, DISK_DIRTY_CHUNKS_MAX, "disk dirty chunks of a file");
    d->files[d->file_count++] = file;
    return file;
}

static void dirty_push(disk_file *file, uint64_t end_bytes, int64_t now_us)
{
    if (bl_ring_count(&file->dirty) > 0) {
        disk_chunk *last = BL_RING_BACK(&file->dirty, disk_chunk);
        if (last->written_us == now_us) { /* same instant: one chunk */
            last->end_bytes = end_bytes;
            return;
        }
    }
    *BL_RING_PUSH_BACK(&file->dirty, disk_chunk) =
        (disk_chunk){.end_bytes = end_bytes, .written_us = now_us};
}

/* Marks the file durable up to upto_bytes and forgets the dirty chunks it covers. */
static void make_durable(disk *d, disk_file *file, uint64_t upto_bytes)
{
    if (upto_bytes > file->size_bytes) upto_bytes = file->size_bytes;
    if (upto_bytes <= file->durable_bytes) return;
    BL_ASSERT(d->dirty_bytes >= upto_bytes - file->durable_bytes);
    d->dirty_bytes -= upto_bytes - file->durable_bytes;
    file->durable_bytes = upto_bytes;
    while (bl_ring_count(&file->dirty) > 0 &&
           BL_RING_FRONT(&file->dirty, disk_chunk)->end_bytes <= upto_bytes) {
        bl_ring_pop_front(&file->dirty);
    }
}

bool disk_append(disk *d, disk_file *file, uint64_t size_bytes, int64_t now_us)
{
    if (d->full) {
        d->appends_refused_full++;
        return false;
    }
    if (d->options.capacity_bytes > 0 && d->used_bytes + size_bytes > d->options.capacity_bytes)
        return false;
    d->used_bytes += size_bytes;
    d->dirty_bytes += size_bytes;
    file->size_bytes += size_bytes;
    dirty_push(file, file->size_bytes, now_us);
    return true;
}

uint64_t disk_bandwidth_bytes_per_s(const disk *d)
{
    uint64_t bandwidth = d->options.write_bandwidth_bytes_per_s / d->slow_factor;
    return bandwidth > 0 ? bandwidth : 1;
}

int64_t disk_fsync_start(disk *d, disk_file *file, int64_t now_us)
{
    uint64_t dirty_bytes = file->size_bytes - file->durable_bytes;
    if (d->slow_factor > 1) d->fsyncs_slowed++;
    uint64_t bandwidth = disk_bandwidth_bytes_per_s(d);
    int64_t start_us = d->busy_until_us > now_us ? d->busy_until_us : now_us;
    int64_t duration_us = d->options.fsync_latency_us * d->slow_factor +
                          (int64_t)(dirty_bytes * 1000000ULL / bandwidth);
    d->busy_until_us = start_us + duration_us;
    return d->busy_until_us;
}

void disk_fsync_done(disk *d, disk_file *file, uint64_t upto_bytes)
{
#ifdef BROKERLAB_MUTANT_FAKE_FSYNC
    return; /* mutant (scripts/mutants.sh): the fsync is reported done, nothing was written */
#endif
    make_durable(d, file, upto_bytes);
}

/* The periodic flusher (fs/fs-writeback.c, wb_writeback for_kupdate): an inode whose
 * dirtied_when is older than dirty_expire is written back whole, all of its dirty pages,
 * however recent the last (requeue_io until it is clean). dirtied_when is set when the
 * inode goes from clean to dirty, so a file appended to without pause goes out whole
 * about every dirty_expire, and what a power loss can take swings between nothing and
 * dirty_expire + writeback_interval of appends. Here a file's dirtied_when is its oldest
 * dirty chunk: the first append since it was last clean (after a partial write-out, an
 * fsync or background writeback, the first append not written: when it was redirtied). */
void disk_writeback(disk *d, int64_t now_us)
{
    int64_t expired_before_us = now_us - d->options.dirty_expire_us;
    for (uint32_t i = 0; i < d->file_count; i++) {
        disk_file *file = d->files[i];
        if (bl_ring_count(&file->dirty) == 0) continue;
        int64_t dirtied_us = BL_RING_FRONT(&file->dirty, disk_chunk)->written_us;
#ifndef BROKERLAB_MUTANT_WRITEBACK_PER_CHUNK
        if (dirtied_us <= expired_before_us) make_durable(d, file, file->size_bytes);
#else
        /* mutant (scripts/mutants.sh): each append ages on its own */
        uint64_t upto = file->durable_bytes;
        for (uint32_t k = 0; k < bl_ring_count(&file->dirty); k++) {
            const disk_chunk *chunk = BL_RING_AT(&file->dirty, disk_chunk, k);
            if (chunk->written_us > expired_before_us) break;
            upto = chunk->end_bytes;
        }
        make_durable(d, file, upto);
        BL_MAYBE(dirtied_us);
#endif
    }
    /* Background writeback: too much dirty data goes out oldest file chunk first. */
    uint64_t limit = d->options.page_cache_bytes / 100 * DISK_DIRTY_BACKGROUND_PERCENT;
    for (uint32_t i = 0; i < d->file_count && d->dirty_bytes > limit; i++) {
        disk_file *file = d->files[i];
        while (bl_ring_count(&file->dirty) > 0 && d->dirty_bytes > limit)
            make_durable(d, file, BL_RING_FRONT(&file->dirty, disk_chunk)->end_bytes);
    }
}

void disk_power_loss(disk *d)
{
#ifdef BROKERLAB_MUTANT_POWER_LOSS_KEEPS_PAGE_CACHE
    return; /* mutant: a power loss keeps what was in the page cache */
#endif
    for (uint32_t i = 0; i < d->file_count; i++) {
        disk_file *file = d->files[i];
        uint64_t lost = file->size_bytes - file->durable_bytes;
        BL_ASSERT(d->used_bytes >= lost);
        d->used_bytes -= lost;
        file->size_bytes = file->durable_bytes;
        bl_ring_clear(&file->dirty);
    }
    d->dirty_bytes = 0;
    d->busy_until_us = 0;
}

void disk_release_front(disk *d, disk_file *file, uint64_t new_start_bytes)
{
    BL_ASSERT(new_start_bytes >= file->start_bytes && new_start_bytes <= file->durable_bytes);
    d->used_bytes -= new_start_bytes - file->start_bytes;
    file->start_bytes = new_start_bytes;
}

void disk_truncate(disk *d, disk_file *file, uint64_t new_size_bytes)
{
    BL_ASSERT(new_size_bytes <= file->size_bytes && new_size_bytes >= file->start_bytes);
    uint64_t dirty_kept_from =
        file->durable_bytes > new_size_bytes ? file->durable_bytes : new_size_bytes;
    BL_ASSERT(d->dirty_bytes >= file->size_bytes - dirty_kept_from);
    d->dirty_bytes -= file->size_bytes - dirty_kept_from; /* the dirty bytes cut off */
    /* Chunks wholly past the new end go; one that straddles it ends there now. */
    while (bl_ring_count(&file->dirty) > 0) {
        disk_chunk *last = BL_RING_BACK(&file->dirty, disk_chunk);
        if (last->end_bytes <= new_size_bytes) break;
        uint32_t count = bl_ring_count(&file->dirty);
        uint64_t last_start = count > 1 ? BL_RING_AT(&file->dirty, disk_chunk, count - 2)->end_bytes
                                        : file->durable_bytes;
        if (last_start < new_size_bytes) {
            last->end_bytes = new_size_bytes;
            break;
        }
        bl_ring_pop_back(&file->dirty);
    }
    d->used_bytes -= file->size_bytes - new_size_bytes;
    file->size_bytes = new_size_bytes;
    if (file->durable_bytes > new_size_bytes) file->durable_bytes = new_size_bytes;
    BL_ASSERT(file->durable_bytes <= file->size_bytes);
}

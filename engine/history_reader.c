/* history_reader.c — history.blh → records → JSONL (see history_reader.h).
 *
 * The decompressed stream is decoded from a window that always holds at least
 * HIST_BIN_RECORD_MAX bytes ahead (or the rest of the stream), so a record is decoded
 * from contiguous memory; the window is refilled by streaming zstd decompression, so
 * memory stays bounded whatever the history's size. */
#include "history_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "bl_assert.h"
#include "history_binary.h"

#define READER_WINDOW_BYTES (4u * HIST_BIN_RECORD_MAX)

typedef struct reader {
    const char *path;
    FILE *file;
    ZSTD_DCtx *zstd;
    uint8_t *in; /* compressed bytes read from the file */
    size_t in_capacity;
    ZSTD_inBuffer in_buffer;
    bool file_done;
    size_t frame_remaining; /* zstd's hint: 0 once a frame ended */
    uint8_t *window;        /* decompressed bytes: [start, end) not yet decoded */
    size_t start, end;
    bool drained;      /* the file is read and all it decompressed to is in the window */
    uint64_t consumed; /* decompressed bytes decoded before window[start] */
} reader;

/* When fewer than `wanted` bytes are ahead, moves them to the window's start and
 * decompresses until the window is full or the stream ends.
 * Returns 0 or -1 with error set. */
static int refill(reader *r, size_t wanted, char *error)
{
    /* Once the stream is all in the window there is nothing to move room for: without
     * this, each record of the stream's last window would move the rest of it. */
    if (r->end - r->start >= wanted || r->drained) return 0;
    memmove(r->window, r->window + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    /* Fill the whole window, not just `wanted`: the move above then happens once per
     * window's worth of records, not once per record. */
    while (r->end < READER_WINDOW_BYTES) {
        if (r->in_buffer.pos == r->in_buffer.size && !r->file_done) {
            size_t got = fread(r->in, 1, r->in_capacity, r->file);
            if (got == 0 && ferror(r->file)) {
                snprintf(error, HIST_READER_ERROR_LEN, "cannot read %s: %s", r->path,
                         strerror(errno));
                return -1;
            }
            r->file_done = got == 0;
            r->in_buffer = (ZSTD_inBuffer){r->in, got, 0};
        }
        /* With the input all read, zstd may still hold output it could not place in a
         * full window: an empty input flushes it; no output then means the end. */
        size_t before = r->end, input_before = r->in_buffer.pos;
        ZSTD_outBuffer out = {r->window, READER_WINDOW_BYTES, r->end};
        size_t hint = ZSTD_decompressStream(r->zstd, &out, &r->in_buffer);
        if (ZSTD_isError(hint)) {
            snprintf(error, HIST_READER_ERROR_LEN, "%s: not a readable zstd stream (%s)", r->path,
                     ZSTD_getErrorName(hint));
            return -1;
        }
        bool progress = out.pos != before || r->in_buffer.pos != input_before;
        if (progress)
            r->frame_remaining = hint; /* a call that did nothing hints at a
                                                    next frame, not at this one's end */
        r->end = out.pos;
        if (r->file_done && !progress) {
            r->drained = true;
            break;
        }
    }
    return 0;
}

static void reader_close(reader *r)
{
    if (r->file != NULL) fclose(r->file);
    ZSTD_freeDCtx(r->zstd);
    free(r->in);
    free(r->window);
}

static int reader_open(reader *r, const char *path, char *error)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->file = fopen(path, "rb");
    if (r->file == NULL) {
        snprintf(error, HIST_READER_ERROR_LEN, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    r->zstd = ZSTD_createDCtx();
    r->in_capacity = ZSTD_DStreamInSize();
    r->in = malloc(r->in_capacity);
    r->window = malloc(READER_WINDOW_BYTES);
    BL_ASSERTF(r->zstd != NULL && r->in != NULL && r->window != NULL,
               "out of memory (history reader)");
    if (refill(r, HIST_BIN_MAGIC_LEN, error) != 0) return -1;
    if (r->end < HIST_BIN_MAGIC_LEN || memcmp(r->window, HIST_BIN_MAGIC, HIST_BIN_MAGIC_LEN) != 0) {
        snprintf(error, HIST_READER_ERROR_LEN, "%s is not a brokerlab history (no BLHIST header)",
                 path);
        return -1;
    }
    r->start = HIST_BIN_MAGIC_LEN;
    r->consumed = HIST_BIN_MAGIC_LEN;
    return 0;
}

int hist_read(const char *path, hist_sink_fn visit, void *ctx, char error[HIST_READER_ERROR_LEN])
{
    reader r;
    hist_names *names = calloc(1, sizeof *names);
    uint64_t *ids = malloc((size_t)HIST_BATCH_MAX * sizeof *ids);
    hist_bin_state *state = calloc(1, sizeof *state);
    BL_ASSERTF(names != NULL && ids != NULL && state != NULL, "out of memory (history reader)");
    int rc = reader_open(&r, path, error);
    uint64_t records = 0, batches = 0;
    while (rc == 0) {
        rc = refill(&r, HIST_BIN_RECORD_MAX, error);
        if (rc != 0) break;
        hist_record rec;
        uint64_t trailer[2] = {0, 0};
        size_t used = 0;
        char why[160];
        hist_bin_status status = hist_bin_decode(state, r.window + r.start, r.end - r.start, &rec,
                                                 ids, names, trailer, &used, why);
        if (status == HIST_BIN_ERROR) {
            snprintf(error, HIST_READER_ERROR_LEN,
                     "%s: corrupt history at byte %llu of the stream: %s", path,
                     (unsigned long long)r.consumed, why);
            rc = -1;
            break;
        }
        r.start += used;
        r.consumed += used;
        if (status == HIST_BIN_END) {
            if (trailer[0] != records || trailer[1] != batches) {
                snprintf(
                    error, HIST_READER_ERROR_LEN,
                    "%s: corrupt history: the trailer counts %llu records in %llu batches, the stream %llu in %llu",
                    path, (unsigned long long)trailer[0], (unsigned long long)trailer[1],
                    (unsigned long long)records, (unsigned long long)batches);
                rc = -1;
            } else if (refill(&r, 1, error) == 0 && (r.end > r.start || r.frame_remaining != 0)) {
                snprintf(error, HIST_READER_ERROR_LEN,
                         "%s: corrupt history: bytes after the trailer", path);
                rc = -1;
            }
            break;
        }
        records += rec.count;
        batches++;
        visit(ctx, &rec, names);
    }
    reader_close(&r);
    free(state);
    free(ids);
    free(names);
    return rc;
}

typedef struct jsonl_ctx {
    FILE *out;
    char *line; /* grown to the longest line (a fault target listing many nodes) */
    size_t capacity;
} jsonl_ctx;

static void write_lines(void *ctx, const hist_record *rec, const hist_names *names)
{
    jsonl_ctx *jsonl = ctx;
    for (uint32_t i = 0; i < rec->count; i++) {
        hist_record one = hist_expand(rec, i);
        size_t bound = hist_line_bound(&one, names);
        if (bound > jsonl->capacity) {
            free(jsonl->line);
            jsonl->line = malloc(bound);
            BL_ASSERTF(jsonl->line != NULL, "out of memory (history line of %zu bytes)", bound);
            jsonl->capacity = bound;
        }
        size_t length = hist_format_line(&one, names, jsonl->line);
        fwrite(jsonl->line, 1, length, jsonl->out);
    }
}

int hist_read_jsonl(const char *path, FILE *out, char error[HIST_READER_ERROR_LEN])
{
    jsonl_ctx ctx = {.out = out};
    int rc = hist_read(path, write_lines, &ctx, error);
    free(ctx.line);
    return rc;
}

/* history.c — the recorder: per-node streams merged into one time-ordered history,
 * written as JSONL with a running SHA-256 and handed to the checker (see history.h). */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"
#include "history_output.h"

#define HIST_STREAMS_MAX 65536
#define HIST_PENDING_FLUSH 4096

typedef struct hist_entry {
    hist_record rec;
    uint64_t seq;        /* emission order: the tie-break between equal times */
} hist_entry;

typedef struct hist_stream {
    hist_entry *ring;
    uint32_t head, count, capacity;
    int64_t last_t_us;
} hist_stream;

static struct {
    FILE *out;
    hist_sink_fn sink;
    void *sink_ctx;
    hist_names *names;
    hist_stream *streams;
    uint32_t stream_count;
    uint64_t next_seq;
    uint64_t pending;
    int64_t flushed_before_us;
    uint64_t records;
    hist_output *output;     /* hashing and writing, on a thread of its own */
    char *buffer;            /* the output buffer being filled */
    size_t buffer_len;
} g_hist;

hist_record hist_record_init(hist_fn fn, hist_type type, uint16_t node, int64_t t_us)
{
    hist_record rec;
    memset(&rec, 0, sizeof rec);
    rec.t_us = t_us;
    rec.intended_t_us = HIST_NONE;
    rec.offset = HIST_NONE;
    rec.key = HIST_NONE;
    rec.partition = HIST_NONE;
    rec.node = node;
    rec.fn = (uint8_t)fn;
    rec.type = (uint8_t)type;
    return rec;
}

void hist_open(FILE *out, hist_sink_fn sink, void *sink_ctx)
{
    memset(&g_hist, 0, sizeof g_hist);
    g_hist.out = out;
    g_hist.sink = sink;
    g_hist.sink_ctx = sink_ctx;
    g_hist.names = calloc(1, sizeof *g_hist.names);
    g_hist.streams = calloc(HIST_STREAMS_MAX, sizeof *g_hist.streams);
    g_hist.output = hist_output_open(out);
    g_hist.buffer = hist_output_buffer(g_hist.output);
    BL_ASSERT(g_hist.names && g_hist.streams);
    g_hist.stream_count = 1; /* HIST_STREAM_NOW */
}

hist_names *hist_names_table(void)
{
    return g_hist.names;
}

uint32_t hist_stream_open(void)
{
    BL_ASSERT(g_hist.stream_count < HIST_STREAMS_MAX);
    return g_hist.stream_count++;
}

static hist_entry *stream_at(hist_stream *stream, uint32_t i)
{
    return &stream->ring[(stream->head + i) % stream->capacity];
}

static void stream_grow(hist_stream *stream)
{
    uint32_t capacity = stream->capacity ? stream->capacity * 2 : 64;
    hist_entry *ring = malloc((size_t)capacity * sizeof *ring);
    BL_ASSERT(ring != NULL);
    for (uint32_t i = 0; i < stream->count; i++) ring[i] = *stream_at(stream, i);
    free(stream->ring);
    stream->ring = ring;
    stream->capacity = capacity;
    stream->head = 0;
}

void hist_emit(uint32_t stream_id, const hist_record *rec)
{
    BL_ASSERT(stream_id < g_hist.stream_count);
    hist_stream *stream = &g_hist.streams[stream_id];
    BL_ASSERTF(rec->t_us >= stream->last_t_us && rec->t_us >= g_hist.flushed_before_us,
               "history record out of order: t=%lld after %lld (flushed before %lld)",
               (long long)rec->t_us, (long long)stream->last_t_us,
               (long long)g_hist.flushed_before_us);
    if (stream->count == stream->capacity) stream_grow(stream);
    stream->count++;
    *stream_at(stream, stream->count - 1) = (hist_entry){.rec = *rec, .seq = g_hist.next_seq++};
    stream->last_t_us = rec->t_us;
    g_hist.pending++;
}

void hist_cancel_after(uint32_t stream_id, int64_t t_us)
{
    BL_ASSERT(stream_id < g_hist.stream_count && t_us >= g_hist.flushed_before_us);
    hist_stream *stream = &g_hist.streams[stream_id];
    while (stream->count > 0 && stream_at(stream, stream->count - 1)->rec.t_us > t_us) {
        stream->count--;
        g_hist.pending--;
    }
    stream->last_t_us = stream->count > 0 ? stream_at(stream, stream->count - 1)->rec.t_us : t_us;
}

static void output_flush(void)
{
    if (g_hist.buffer_len == 0) return;
    g_hist.buffer = hist_output_submit(g_hist.output, g_hist.buffer_len);
    g_hist.buffer_len = 0;
}

static void pass_on(const hist_record *rec)
{
    if (g_hist.buffer_len + HIST_LINE_MAX > HIST_OUTPUT_BUFFER_BYTES) output_flush();
    g_hist.buffer_len += hist_format_line(rec, g_hist.names, g_hist.buffer + g_hist.buffer_len);
    if (g_hist.sink != NULL) g_hist.sink(g_hist.sink_ctx, rec, g_hist.names);
    g_hist.records++;
}

/* ---- merge: a binary heap of stream ids keyed by their head entry ---- */

static bool head_before(uint32_t a, uint32_t b)
{
    const hist_entry *ea = stream_at(&g_hist.streams[a], 0);
    const hist_entry *eb = stream_at(&g_hist.streams[b], 0);
    return ea->rec.t_us < eb->rec.t_us || (ea->rec.t_us == eb->rec.t_us && ea->seq < eb->seq);
}

static void sift_down(uint32_t *heap, uint32_t count, uint32_t i)
{
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= count) return;
        if (child + 1 < count && head_before(heap[child + 1], heap[child])) child++;
        if (!head_before(heap[child], heap[i])) return;
        uint32_t tmp = heap[i];
        heap[i] = heap[child];
        heap[child] = tmp;
        i = child;
    }
}

void hist_flush_before(int64_t t_us)
{
    if (t_us <= g_hist.flushed_before_us) return;
    g_hist.flushed_before_us = t_us;
    if (g_hist.pending == 0) return;
    static uint32_t heap[HIST_STREAMS_MAX];
    uint32_t count = 0;
    for (uint32_t s = 0; s < g_hist.stream_count; s++)
        if (g_hist.streams[s].count > 0) heap[count++] = s;
    for (uint32_t i = count; i-- > 0;) sift_down(heap, count, i);
    while (count > 0) {
        hist_stream *stream = &g_hist.streams[heap[0]];
        hist_entry *entry = stream_at(stream, 0);
        if (entry->rec.t_us >= t_us) break;
        pass_on(&entry->rec);
        stream->head = (stream->head + 1) % stream->capacity;
        stream->count--;
        g_hist.pending--;
        if (stream->count == 0) heap[0] = heap[--count];
        sift_down(heap, count, 0);
    }
}

/* Called after every node wake-up: flush once enough has accumulated. */
void hist_maybe_flush(int64_t now_us)
{
    if (g_hist.pending >= HIST_PENDING_FLUSH) hist_flush_before(now_us);
}

void hist_close(char sha256_hex[65], uint64_t *record_count)
{
    hist_flush_before(INT64_MAX);
    output_flush();
    unsigned char digest[32];
    hist_output_close(g_hist.output, digest);
    for (int i = 0; i < 32; i++) {
        static const char hex[] = "0123456789abcdef";
        sha256_hex[2 * i] = hex[digest[i] >> 4];
        sha256_hex[2 * i + 1] = hex[digest[i] & 15];
    }
    sha256_hex[64] = '\0';
    *record_count = g_hist.records;
    for (uint32_t s = 0; s < g_hist.stream_count; s++) free(g_hist.streams[s].ring);
    free(g_hist.streams);
    /* names stay alive: the caller's results refer to them until exit */
}

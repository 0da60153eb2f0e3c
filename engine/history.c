/* history.c — the recorder: per-node streams merged into one time-ordered history, encoded
 * as the binary stream (the digest; history.blh) and, on request, as JSONL, both hashed
 * and written on threads of their own, and handed to the checker (see history.h). */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"
#include "history_binary.h"
#include "history_output.h"
#include "ring.h"
#include "scenario.h"
#include "vec.h"

/* The most streams: stream 0, two per producer instance (sends, requests) and one per
 * consumer worker. The format bounds them (SCN_* in scenario.h), so no valid scenario
 * reaches the limit; the array grows as streams open. */
#define HIST_STREAMS_MAX        (1u << 19)
_Static_assert(1u + 2u * SCN_PRODUCERS_MAX * SCN_INSTANCES_MAX +
                       (uint64_t)SCN_GROUPS_MAX * SCN_INSTANCES_MAX * SCN_WORKERS_MAX <=
                   HIST_STREAMS_MAX,
               "every stream a valid scenario opens fits");
#define HIST_PENDING_FLUSH      4096
/* The most records one stream holds. A stream holds what its node wrote ahead of now (a
 * producer: the sends its buffer memory admitted; a consumer worker: the records handed
 * to it) plus what waits for the next merge, which hist_maybe_flush runs once
 * HIST_PENDING_FLUSH records wait, after the activation that emitted them. The longest
 * stream of the scenarios here is a worker handed one 100,000-record poll
 * (tests/scenarios/big-poll.yaml). The scenario format lets a run write that far ahead
 * (a 100,000-record poll processed by one worker, 30-day processing times), so no smaller
 * bound follows from a valid scenario: the bound is the ring's index limit (2^31), and
 * memory runs out first. */
#define HIST_STREAM_RECORDS_MAX (1u << 31)
/* The most batch ids waiting in g_hist.ids: those of stream 0's batch records not yet
 * passed on (ids_store drops the others before growing), at most HIST_BATCH_MAX per
 * record, until the merge after the next HIST_PENDING_FLUSH records. The scenarios here
 * stay below 2^17 (big-poll's one poll); the bound is the array's index limit (2^31), as
 * for the streams. */
#define HIST_IDS_MAX            (1u << 31)

typedef struct hist_entry {
    hist_record rec; /* a batch's msgs is NULL here: its ids are at ids_at */
    uint64_t seq;    /* emission order: the tie-break between equal times */
    uint32_t ids_at; /* batch records (stream 0 only): index into g_hist.ids */
} hist_entry;

typedef struct hist_stream {
    bl_ring entries; /* hist_entry, in time order, until passed on */
    int64_t last_t_us;
} hist_stream;

/* One output: a byte stream filled here and written on its own thread. */
typedef struct hist_sink_buffer {
    hist_output *output;
    char *buffer;
    size_t length;
} hist_sink_buffer;

static struct {
    hist_options options;
    hist_names *names;
    hist_stream *streams; /* grown as streams open (a whole HIST_STREAMS_MAX would be
                             29 MiB, which malloc may take from the heap and touch) */
    uint32_t stream_capacity;
    uint32_t stream_count;
    uint64_t next_seq;
    uint64_t pending;
    int64_t flushed_before_us;
    uint64_t records, batches;
    uint64_t *ids; /* ids of stream 0's batch records, in stream order */
    uint32_t ids_used, ids_capacity;
    hist_bin_state bin;
    hist_sink_buffer binary; /* always: the digest; the file in the binary format */
    hist_sink_buffer jsonl;  /* JSONL formats only */
    bool jsonl_on;
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
    rec.count = 1;
    return rec;
}

static void sink_open(hist_sink_buffer *sink, FILE *out, bool compress)
{
    sink->output = hist_output_open(out, compress);
    sink->buffer = hist_output_buffer(sink->output);
    sink->length = 0;
}

/* Makes room for `bytes` more in the sink's buffer. */
static char *sink_reserve(hist_sink_buffer *sink, size_t bytes)
{
    BL_ASSERT(bytes <= HIST_OUTPUT_BUFFER_BYTES);
    if (sink->length + bytes > HIST_OUTPUT_BUFFER_BYTES) {
        sink->buffer = hist_output_submit(sink->output, sink->length);
        sink->length = 0;
    }
    return sink->buffer + sink->length;
}

static int sink_close(hist_sink_buffer *sink, char hex_out[65], uint64_t *file_bytes)
{
    if (sink->length > 0) hist_output_submit(sink->output, sink->length);
    unsigned char digest[32];
    int write_errno = hist_output_close(sink->output, digest, file_bytes);
    for (int i = 0; i < 32; i++) {
        static const char hex[] = "0123456789abcdef";
        hex_out[2 * i] = hex[digest[i] >> 4];
        hex_out[2 * i + 1] = hex[digest[i] & 15];
    }
    hex_out[64] = '\0';
    return write_errno;
}

void hist_open(const hist_options *options)
{
    BL_ASSERT(options != NULL && (options->out == NULL) == (options->format == HIST_FORMAT_NONE));
    memset(&g_hist, 0, sizeof g_hist);
    g_hist.options = *options;
    g_hist.names = calloc(1, sizeof *g_hist.names);
    BL_GROW(g_hist.streams, g_hist.stream_capacity, 1, HIST_STREAMS_MAX, "history streams");
    BL_ASSERT(g_hist.names && g_hist.streams);
    bool binary_file = options->format == HIST_FORMAT_BINARY;
    sink_open(&g_hist.binary, binary_file ? options->out : NULL, binary_file);
    g_hist.jsonl_on =
        options->format == HIST_FORMAT_JSONL || options->format == HIST_FORMAT_JSONL_ZST;
    if (g_hist.jsonl_on)
        sink_open(&g_hist.jsonl, options->out, options->format == HIST_FORMAT_JSONL_ZST);
    g_hist.binary.length = hist_bin_header((uint8_t *)g_hist.binary.buffer);
    BL_RING_INIT(&g_hist.streams[HIST_STREAM_NOW].entries, hist_entry, HIST_STREAM_RECORDS_MAX,
                 "history stream");
    g_hist.stream_count = 1;
}

hist_names *hist_names_table(void)
{
    return g_hist.names;
}

uint32_t hist_stream_open(void)
{
    BL_GROW(g_hist.streams, g_hist.stream_capacity, (uint64_t)g_hist.stream_count + 1,
            HIST_STREAMS_MAX, "history streams");
    BL_RING_INIT(&g_hist.streams[g_hist.stream_count].entries, hist_entry, HIST_STREAM_RECORDS_MAX,
                 "history stream");
    return g_hist.stream_count++;
}

static hist_entry *stream_at(hist_stream *stream, uint32_t i)
{
    return BL_RING_AT(&stream->entries, hist_entry, i);
}

/* Stream 0's batch ids live in one array in stream order. Before growing it, the ids of
 * records already passed on are dropped: only those of the current instant remain. */
static uint32_t ids_store(const uint64_t *ids, uint32_t count)
{
    if ((uint64_t)g_hist.ids_used + count > g_hist.ids_capacity && g_hist.ids != NULL) {
        hist_stream *now = &g_hist.streams[HIST_STREAM_NOW];
        uint32_t first = g_hist.ids_used;
        for (uint32_t i = 0; i < bl_ring_count(&now->entries); i++) {
            const hist_entry *entry = stream_at(now, i);
            if (entry->rec.count > 1 && entry->ids_at < first) first = entry->ids_at;
        }
        memmove(g_hist.ids, g_hist.ids + first, (g_hist.ids_used - first) * sizeof *g_hist.ids);
        for (uint32_t i = 0; i < bl_ring_count(&now->entries); i++) {
            hist_entry *entry = stream_at(now, i);
            if (entry->rec.count > 1) entry->ids_at -= first;
        }
        g_hist.ids_used -= first;
    }
    BL_GROW(g_hist.ids, g_hist.ids_capacity, (uint64_t)g_hist.ids_used + count, HIST_IDS_MAX,
            "history batch ids");
    uint32_t at = g_hist.ids_used;
    memcpy(g_hist.ids + at, ids, count * sizeof *ids);
    g_hist.ids_used += count;
    return at;
}

void hist_emit(uint32_t stream_id, const hist_record *rec)
{
    BL_ASSERT(stream_id < g_hist.stream_count);
    BL_ASSERTF(rec->count >= 1 && rec->count <= HIST_BATCH_MAX, "history record of %u messages",
               rec->count);
    BL_ASSERTF(rec->count == 1 ||
                   (stream_id == HIST_STREAM_NOW && rec->msgs != NULL && rec->msgs[0] == rec->msg),
               "a batch record goes into stream 0 with its ids");
    hist_stream *stream = &g_hist.streams[stream_id];
    BL_ASSERTF(rec->t_us >= stream->last_t_us && rec->t_us >= g_hist.flushed_before_us,
               "history record out of order: t=%lld after %lld (flushed before %lld)",
               (long long)rec->t_us, (long long)stream->last_t_us,
               (long long)g_hist.flushed_before_us);
    hist_entry entry = {.rec = *rec, .seq = g_hist.next_seq++};
    if (rec->count > 1) {
        entry.ids_at = ids_store(rec->msgs, rec->count);
        entry.rec.msgs = NULL;
    }
    *BL_RING_PUSH_BACK(&stream->entries, hist_entry) = entry;
    stream->last_t_us = rec->t_us;
    g_hist.pending++;
}

uint32_t hist_count_after(uint32_t stream_id, int64_t t_us, hist_fn fn, hist_type type)
{
    BL_ASSERT(stream_id != HIST_STREAM_NOW && stream_id < g_hist.stream_count);
    const bl_ring *entries = &g_hist.streams[stream_id].entries;
    uint32_t count = 0;
    for (uint32_t i = bl_ring_count(entries); i-- > 0;) {
        const hist_record *rec = &BL_RING_AT(entries, hist_entry, i)->rec;
        if (rec->t_us <= t_us) break;
        count += rec->fn == fn && rec->type == type;
    }
    return count;
}

void hist_cancel_after(uint32_t stream_id, int64_t t_us)
{
    BL_ASSERT(stream_id != HIST_STREAM_NOW && stream_id < g_hist.stream_count);
    BL_ASSERT(t_us >= g_hist.flushed_before_us);
    hist_stream *stream = &g_hist.streams[stream_id];
    bl_ring *entries = &stream->entries;
    while (bl_ring_count(entries) > 0 && BL_RING_BACK(entries, hist_entry)->rec.t_us > t_us) {
        bl_ring_pop_back(entries);
        g_hist.pending--;
    }
    stream->last_t_us =
        bl_ring_count(entries) > 0 ? BL_RING_BACK(entries, hist_entry)->rec.t_us : t_us;
}

uint64_t hist_cancel_all_after(int64_t end_us)
{
    uint64_t pending = g_hist.pending;
    for (uint32_t s = HIST_STREAM_NOW + 1; s < g_hist.stream_count; s++) {
        const bl_ring *entries = &g_hist.streams[s].entries;
        if (bl_ring_count(entries) == 0 || BL_RING_BACK(entries, hist_entry)->rec.t_us <= end_us)
            continue;
        hist_cancel_after(s, end_us);
    }
    return pending - g_hist.pending;
}

/* One record goes whole into one output buffer: a batch of HIST_BATCH_MAX ids, or one
 * long name (a fault target) escaped as JSON. */
_Static_assert(HIST_BIN_SHORT_RECORD_MAX(HIST_BATCH_MAX) <= HIST_OUTPUT_BUFFER_BYTES,
               "a batch record fits an output buffer");
_Static_assert(16 * 10 + 3 * 3 * 10 + 2 * HIST_NAME_LEN + (size_t)HIST_LONG_NAME_LEN <=
                   HIST_OUTPUT_BUFFER_BYTES,
               "a fault record with a long target fits an output buffer");
_Static_assert(HIST_LINE_MAX + 2 * (size_t)HIST_LONG_NAME_LEN + 2 <= HIST_OUTPUT_BUFFER_BYTES,
               "a JSONL line with a long target fits an output buffer");

static void pass_on(const hist_record *rec)
{
    char *at = sink_reserve(&g_hist.binary, hist_bin_record_bound(rec, g_hist.names));
    g_hist.binary.length += hist_bin_encode(&g_hist.bin, rec, g_hist.names, (uint8_t *)at);
    if (g_hist.jsonl_on) {
        for (uint32_t i = 0; i < rec->count; i++) {
            hist_record one = hist_expand(rec, i);
            char *line = sink_reserve(&g_hist.jsonl, hist_line_bound(&one, g_hist.names));
            g_hist.jsonl.length += hist_format_line(&one, g_hist.names, line);
        }
    }
    if (g_hist.options.sink != NULL)
        g_hist.options.sink(g_hist.options.sink_ctx, rec, g_hist.names);
    g_hist.records += rec->count;
    g_hist.batches++;
}

/* ---- merge: a binary heap of stream ids keyed by their head entry ---- */

static bool head_before(uint32_t a, uint32_t b)
{
    const hist_entry *ea = BL_RING_FRONT(&g_hist.streams[a].entries, hist_entry);
    const hist_entry *eb = BL_RING_FRONT(&g_hist.streams[b].entries, hist_entry);
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
        if (bl_ring_count(&g_hist.streams[s].entries) > 0) heap[count++] = s;
    for (uint32_t i = count; i-- > 0;) sift_down(heap, count, i);
    while (count > 0) {
        hist_stream *stream = &g_hist.streams[heap[0]];
        hist_entry *entry = BL_RING_FRONT(&stream->entries, hist_entry);
        if (entry->rec.t_us >= t_us) break;
        hist_record rec = entry->rec;
        if (rec.count > 1) rec.msgs = g_hist.ids + entry->ids_at;
        pass_on(&rec);
        bl_ring_pop_front(&stream->entries);
        g_hist.pending--;
        if (bl_ring_count(&stream->entries) == 0) heap[0] = heap[--count];
        sift_down(heap, count, 0);
    }
    if (bl_ring_count(&g_hist.streams[HIST_STREAM_NOW].entries) == 0) g_hist.ids_used = 0;
}

/* Called after every activation: flush once enough has accumulated. */
void hist_maybe_flush(int64_t now_us)
{
    if (g_hist.pending >= HIST_PENDING_FLUSH) hist_flush_before(now_us);
}

void hist_close(hist_summary *summary)
{
    memset(summary, 0, sizeof *summary);
    hist_flush_before(INT64_MAX);
    char *at = sink_reserve(&g_hist.binary, 32);
    g_hist.binary.length += hist_bin_trailer(g_hist.records, g_hist.batches, (uint8_t *)at);
    uint64_t binary_bytes = 0, jsonl_bytes = 0;
    int binary_errno = sink_close(&g_hist.binary, summary->digest_hex, &binary_bytes);
    int jsonl_errno = 0;
    if (g_hist.jsonl_on)
        jsonl_errno = sink_close(&g_hist.jsonl, summary->jsonl_sha256_hex, &jsonl_bytes);
    summary->file_bytes = g_hist.jsonl_on ? jsonl_bytes : binary_bytes;
    summary->write_errno = binary_errno != 0 ? binary_errno : jsonl_errno;
    summary->records = g_hist.records;
    summary->batches = g_hist.batches;
    for (uint32_t s = 0; s < g_hist.stream_count; s++) bl_ring_free(&g_hist.streams[s].entries);
    free(g_hist.streams);
    free(g_hist.ids);
    /* names stay alive: the caller's results refer to them until exit */
}

/* history.h — the client history: every client operation with its simulated time.
 *
 * This is the only thing the checker reads (DESIGN.md rule 2). In memory it is a stream
 * of compact `hist_record`s in simulated-time order, a produce batch's outcome or one
 * poll's deliveries from a partition being one record; its documented form is
 * history.jsonl, one JSON object per message record (format below, a public contract:
 * extend by adding fields, never change a field's meaning), written directly or
 * expanded from the compact history.blh (history_binary.h). Names (nodes, topics, groups, fault targets) are
 * interned once in a `hist_names` table and records refer to them by index.
 *
 * JSONL fields, times in integer microseconds:
 *   common:  t, node, f, type
 *   send     invoke: msg, key, seq, topic, intended_t      (key null = no key)
 *   send     ok: msg, partition, offset (offset -1 for acks=0)   fail/info: msg
 *   deliver  ok: msg, group, partition, offset, redelivered (bool)
 *            [death_reason, death_group: a dead letter (RabbitMQ), from its x-death
 *            header: why ("expired", "maxlen", "rejected", "delivery_limit") and the group of the queue it
 *            died in; only on a dead letter's records]
 *   dedup    ok: msg, group   [death_reason, death_group: as for deliver]
 *   process  ok: msg, group   [death_reason, death_group: as for deliver]
 *   commit   invoke/ok/fail/info: group, partition, offset
 *   fault    info: kind, target, phase ("start"/"stop")   (target written whole, however
 *            many nodes a network fault's sides name: "broker/0 <-> broker/1,producer/a/0")
 *   request  invoke: req, intended_t     ok: req          (producer application, C01)
 *   subscribe ok: group, topic [from_now: true]   (a consumer joins its group's
 *            subscription; from_now: the group expects only messages sent after it, as
 *            a queue declared and bound mid-run gets only what is published afterwards)
 *   unsubscribe ok: group, topic        (the group leaves: it expects no message sent
 *            after this; what it had not processed by then is lost to it)
 *   stats    ok: group, partition, source, counter, value   (a metrics scrape saw the
 *            counter of the group's queue `partition` on broker `source` at `value`:
 *            counted since that broker's boot, so a value below the last one means it
 *            restarted; RabbitMQ's per-queue limits: "expired", "maxlen",
 *            "dead_lettered", "dropped")
 */
#ifndef BL_HISTORY_H
#define BL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HIST_NAMES_MAX      4096
#define HIST_NAME_LEN       96 /* a name in the table's rows, its NUL included */
/* A longer name, kept outside the rows (hist_names.long_names): the target of a network
 * fault lists both sides' nodes, each once per side, every node name below
 * HIST_NAME_LEN, so it stays below 2 * SIM_NODES_MAX * HIST_NAME_LEN (fault.c asserts
 * it); escaped as JSON it still fits one output buffer (history.c asserts that). */
#define HIST_LONG_NAME_LEN  (400u * 1024u)
/* Distinct long names one process keeps (a run has at most one per network fault). */
#define HIST_LONG_NAMES_MAX 65536u
#define HIST_NONE           (-1)

typedef enum hist_fn {
    HIST_SEND = 0,
    HIST_DELIVER,
    HIST_DEDUP,
    HIST_PROCESS,
    HIST_COMMIT,
    HIST_FAULT,
    HIST_REQUEST,
    HIST_SUBSCRIBE,
    HIST_STATS,
    HIST_UNSUBSCRIBE,
    HIST_FN_COUNT,
} hist_fn;

typedef enum hist_type {
    HIST_INVOKE = 0,
    HIST_OK,
    HIST_FAIL,
    HIST_INFO,
    HIST_TYPE_COUNT
} hist_type;

typedef enum hist_phase { HIST_PHASE_START = 0, HIST_PHASE_STOP } hist_phase;

/* Why a dead letter died (its x-death reason), 0 for a message that is none. */
typedef enum hist_death {
    HIST_DEATH_NONE = 0,
    HIST_DEATH_EXPIRED,
    HIST_DEATH_MAXLEN,
    HIST_DEATH_REJECTED,
    HIST_DEATH_DELIVERY_LIMIT,
    HIST_DEATH_COUNT
} hist_death;
const char *hist_death_name(hist_death reason); /* "expired", ...; "" for none */

typedef struct hist_record {
    int64_t t_us;
    int64_t intended_t_us; /* send/request invoke; else HIST_NONE */
    int64_t offset;        /* send ok, deliver, commit; else HIST_NONE */
    uint64_t msg;          /* send/deliver/dedup/process: message id (>= 1);
                               request: request id (>= 1); else 0 */
    int64_t key;           /* send invoke: key >= 0, or HIST_NONE for no key */
    uint32_t seq;          /* send invoke: per (producer node, key) sequence from 0 */
    int32_t partition;     /* send ok, deliver, commit; else HIST_NONE */
    uint16_t node;         /* name index of the client or "nemesis" */
    uint16_t topic;        /* send invoke, subscribe: name index */
    uint16_t group;        /* deliver, dedup, process, commit, subscribe: name index */
    uint16_t fault_kind;   /* fault: name index of the kind ("crash", ...) */
    uint16_t fault_target; /* fault: name index of the target ("broker/1", ...) */
    uint8_t fn;            /* hist_fn */
    uint8_t type;          /* hist_type */
    uint8_t redelivered;   /* deliver: 0/1 */
    uint8_t phase;         /* fault: hist_phase */
    uint8_t death_reason;  /* deliver/process of a dead letter: hist_death; else 0 */
    uint8_t from_now;      /* subscribe: 1 = it expects only messages sent after it */
    uint16_t death_group;  /* ... its source group's name index */
    uint16_t source;       /* stats: the broker's name index */
    uint16_t counter;      /* stats: the counter's name index */
    uint64_t value;        /* stats: the counter's value */
    uint32_t count;        /* messages the record covers: 1, or up to HIST_BATCH_MAX for a
                               batch (send ok/fail/info of one produce batch, deliver of
                               one poll's run from one partition); see hist_expand */
    const uint64_t *msgs;  /* count > 1: the ids, msgs[0] == msg; else NULL */
} hist_record;

/* A batch record stands for `count` per-message records with the same t, node, f, type
 * and fields, message i having id msgs[i] and offset `offset + i` (an offset of -1, as
 * for acks=0, stays -1). The JSONL file holds the expanded records, in that order. */
#define HIST_BATCH_MAX 65536u

/* Names by index. A table is a plain value its owner callocs and frees (the recorder's,
 * the reader's, a test's), so a long name's text cannot belong to it: it lives in the
 * process's long-name store (history_names.c), which holds each distinct long text
 * once, at most HIST_LONG_NAMES_MAX of them, until the process exits. Read a name with
 * hist_name, never names[i] directly: a long name's row is empty. */
typedef struct hist_names {
    char names[HIST_NAMES_MAX][HIST_NAME_LEN];
    const char *long_names[HIST_NAMES_MAX]; /* a name of HIST_NAME_LEN bytes or more: its
                                               text in the store; else NULL */
    uint32_t count;
    uint32_t long_count; /* names set long so far: 0 = every name fits its row (the
                            encoders' fast path) */
} hist_names;

/* Returns the index of `name` (shorter than HIST_LONG_NAME_LEN), adding it if new.
 * Asserts the table (and, for a long name, the store) is not full. */
uint16_t hist_names_intern(hist_names *names, const char *name);
/* Returns the index of `name` or -1. */
int32_t hist_names_find(const hist_names *names, const char *name);
/* The text of name `index` (< names->count: the caller checks). Inline: the JSONL and
 * binary writers call it for every name they write. */
static inline const char *hist_name(const hist_names *names, uint32_t index)
{
    return names->long_names[index] != NULL ? names->long_names[index] : names->names[index];
}
/* Sets name `index` (a reader defining the names of a stored history; the table grows
 * to index + 1 if needed). Returns false, changing nothing, when a long name does not
 * fit the long-name store. `name` holds no control character and is shorter than
 * HIST_LONG_NAME_LEN. */
bool hist_names_set(hist_names *names, uint32_t index, const char *name, size_t length);

/* The name indices a record refers to (its node, then topic, group, fault kind and
 * target as its f and type have them); returns how many. */
#define HIST_RECORD_NAMES_MAX 4
uint32_t hist_record_names(const hist_record *rec, uint16_t names[HIST_RECORD_NAMES_MAX]);

const char *hist_fn_name(hist_fn fn);       /* "send", "deliver", ... */
const char *hist_type_name(hist_type type); /* "invoke", "ok", "fail", "info" */
/* Whether the contract defines this (f, type) pair (send invoke, deliver ok, ...). */
bool hist_type_allowed(unsigned fn, unsigned type);

/* Writes one record as a JSON line (with '\n') into buf; returns its length. buf must
 * hold hist_line_bound(rec, names) bytes: HIST_LINE_MAX when the record's names are
 * all shorter than HIST_NAME_LEN. The same function serves the writer and the tests. */
#define HIST_LINE_MAX 1024
size_t hist_format_line(const hist_record *rec, const hist_names *names, char *buf);
size_t hist_line_bound(const hist_record *rec, const hist_names *names);

/* Parses one JSON line back into a record, interning names. Returns true on success;
 * on failure writes a reason into why. Used by the tests (and a future `check` command). */
bool hist_parse_line(const char *line, hist_record *rec, hist_names *names, char why[160]);

/* ---- the recorder (engine/history.c) ----
 * Nodes write records into streams. Stream 0 takes records stamped with the current
 * time; a node that knows now when a future operation will happen (a worker finishing a
 * message, a producer's next scheduled send) writes it ahead into a stream of its own,
 * in nondecreasing time, and may cancel its tail if the process dies first. Batch
 * records go into stream 0 only. The recorder merges the streams in (t, emission order)
 * and passes each record, once its time has passed, to the sink (the checker) and to
 * the outputs: always the binary stream (history_binary.h), whose SHA-256 is the run's
 * history digest, written to the file only in the binary format; the JSONL lines (with
 * their own SHA-256) only in the JSONL formats. */
typedef void (*hist_sink_fn)(void *ctx, const hist_record *rec, const hist_names *names);

#define HIST_STREAM_NOW 0u

typedef enum hist_format {
    HIST_FORMAT_BINARY = 0, /* history.blh: the compact records, zstd-compressed (default) */
    HIST_FORMAT_JSONL,      /* history.jsonl */
    HIST_FORMAT_JSONL_ZST,  /* history.jsonl.zst: the JSONL, zstd-compressed */
    HIST_FORMAT_NONE,       /* no file (digest and checker only) */
} hist_format;

typedef struct hist_options {
    hist_format format;
    FILE *out;         /* the history file; NULL iff format == HIST_FORMAT_NONE */
    hist_sink_fn sink; /* may be NULL */
    void *sink_ctx;
} hist_options;

/* What the recorder wrote, at hist_close. */
typedef struct hist_summary {
    char digest_hex[65];       /* SHA-256 of the binary record stream, in every format */
    char jsonl_sha256_hex[65]; /* SHA-256 of the JSONL bytes; "" unless a JSONL format */
    uint64_t records;          /* per-message records: the JSONL's line count */
    uint64_t batches;          /* records as stored (a batch counts once) */
    uint64_t file_bytes;       /* bytes of the history file */
    int write_errno;           /* 0, or why writing the file failed */
} hist_summary;

void hist_open(const hist_options *options);
hist_names *hist_names_table(void);
uint32_t hist_stream_open(void);
/* rec->t_us must be >= the stream's last record and >= what was already flushed. The
 * recorder copies the record (and a batch's ids). */
void hist_emit(uint32_t stream, const hist_record *rec);
/* Drops the stream's records with t > t_us (a process died before they happened). */
void hist_cancel_after(uint32_t stream, int64_t t_us);
/* At the run's end: every stream's records written ahead past `end_us` never happened
 * within the run (a worker still busy, a send not yet due) and are dropped, so nothing
 * is recorded after the run's end. Returns how many were dropped. */
uint64_t hist_cancel_all_after(int64_t end_us);
/* How many of the stream's records with t > t_us have this f and type: what
 * hist_cancel_after(stream, t_us) would drop of them (a process about to stop counts
 * what it wrote ahead). */
uint32_t hist_count_after(uint32_t stream, int64_t t_us, hist_fn fn, hist_type type);
/* Passes on every record with t < t_us. */
void hist_flush_before(int64_t t_us);
/* Flushes what is due once enough records wait (call after every activation). */
void hist_maybe_flush(int64_t now_us);
/* Flushes everything, closes the outputs (not the FILE) and fills *summary. */
void hist_close(hist_summary *summary);

/* A record with every optional field set to "none" and count 1. */
hist_record hist_record_init(hist_fn fn, hist_type type, uint16_t node, int64_t t_us);

/* The i-th (0-based, < rec->count) per-message record of a (batch) record. */
static inline hist_record hist_expand(const hist_record *rec, uint32_t i)
{
    hist_record one = *rec;
    one.count = 1;
    one.msgs = NULL;
    if (rec->count > 1) one.msg = rec->msgs[i];
    if (rec->offset >= 0) one.offset = rec->offset + (int64_t)i;
    return one;
}

#endif

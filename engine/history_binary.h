/* history_binary.h — the compact history format (history.blh): the same records as
 * history.jsonl, batch records kept whole, integers as LEB128 varints relative to the
 * previous record, names sent once. It is what `brokerlab run` writes by default
 * (zstd-compressed, see history_output.h) and what its digest is computed over;
 * `brokerlab history` expands it back into the documented JSONL, byte for byte the
 * lines `--history jsonl` writes.
 *
 * Stream (before compression), a public format like the JSONL:
 *   header   "BLHIST" 0x00 0x01                      (magic, version 1)
 *   items    a name:   0x01, index, length, bytes    (before the first record using it)
 *            a record: 0x40 | f << 2 | type, then varints:
 *              dt (t - previous record's t), node, then per f/type:
 *              send invoke     zz(msg - prev), key + 1 (0 = none), seq, topic, zz(t - intended_t)
 *              send ok         zz(partition), zz(offset), ids
 *              send fail/info  ids
 *              deliver         group, zz(partition), zz(offset), redelivered, ids
 *              dedup, process  zz(msg - prev), group
 *              commit          group, zz(partition), zz(offset)
 *              fault           kind, target, phase
 *              request         zz(req - prev), and on invoke zz(t - intended_t)
 *              subscribe       group, topic
 *            ids = count, zz(first - prev), then zz(id[i] - id[i-1]) for the rest; `prev`
 *            is the last id of the previous record with the same f and type (0 at first).
 *            A batch record stands for `count` per-message records (history.h).
 *   trailer  0x02, records (per-message, = JSONL lines), batches (records as stored)
 * zz is the zigzag mapping of a signed integer to an unsigned one. */
#ifndef BL_HISTORY_BINARY_H
#define BL_HISTORY_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

#define HIST_BIN_MAGIC     "BLHIST\0\1"
#define HIST_BIN_MAGIC_LEN 8
#define HIST_BIN_TAG_NAME  0x01
#define HIST_BIN_TAG_END   0x02
#define HIST_BIN_TAG_STATS 0x03 /* a stats record (its f does not fit a record tag) */
#define HIST_BIN_TAG_DEATH \
    0x04                              /* the next record, a deliver or process, is a dead
                                    letter's: reason, death_group */
#define HIST_BIN_TAG_UNSUBSCRIBE 0x05 /* an unsubscribe record: dt, node, group, topic */
#define HIST_BIN_TAG_FROM_NOW    0x06 /* the next record, a subscribe, has from_now */
#define HIST_BIN_TAG_RECORD      0x40
/* The most bytes one record can take, its names included (any of which may be long:
 * the decoder cannot tell which name a record will use when it reads it). */
#define HIST_BIN_RECORD_MAX \
    (16 * 10 + 5 * (3 * 10 + (size_t)HIST_LONG_NAME_LEN) + (size_t)HIST_BATCH_MAX * 10)

typedef struct hist_bin_state {
    int64_t prev_t_us;
    uint64_t prev_id[HIST_FN_COUNT][HIST_TYPE_COUNT];
    uint8_t name_known[HIST_NAMES_MAX]; /* the encoder sent / the decoder read it */
    uint8_t death_reason;               /* decoder: a death item read for the next record */
    uint8_t from_now;                   /* decoder: a from_now item read for the next one */
    uint16_t death_group;
} hist_bin_state;

/* Writes the header into buf (HIST_BIN_MAGIC_LEN bytes); returns its length. */
size_t hist_bin_header(uint8_t *buf);
/* The most bytes hist_bin_encode writes for rec: its ids and the names it refers to
 * (at most HIST_BIN_RECORD_MAX). Inline for a table without long names, the common case
 * (the recorder asks for every record); else each long name is measured. */
#define HIST_BIN_SHORT_RECORD_MAX(count) \
    (16 * 10 + (size_t)(count)*10 + HIST_RECORD_NAMES_MAX * (3 * 10 + HIST_NAME_LEN))
size_t hist_bin_long_record_bound(const hist_record *rec, const hist_names *names);
static inline size_t hist_bin_record_bound(const hist_record *rec, const hist_names *names)
{
    return names->long_count == 0 ? HIST_BIN_SHORT_RECORD_MAX(rec->count)
                                  : hist_bin_long_record_bound(rec, names);
}
/* Encodes one record (and the names it introduces) into buf, which must hold
 * hist_bin_record_bound(rec, names) bytes; returns the length. Cannot fail (asserts the
 * record). */
size_t hist_bin_encode(hist_bin_state *state, const hist_record *rec, const hist_names *names,
                       uint8_t *buf);
/* Writes the trailer; buf must hold 32 bytes. */
size_t hist_bin_trailer(uint64_t records, uint64_t batches, uint8_t *buf);

typedef enum hist_bin_status {
    HIST_BIN_RECORD = 0, /* *rec holds a record (its ids in the caller's ids buffer) */
    HIST_BIN_END,        /* the trailer: *records and *batches are set */
    HIST_BIN_ERROR,      /* why says what is wrong */
} hist_bin_status;

/* Decodes the next item at buf[0..length) (the header already consumed), skipping name
 * items after interning them into `names` at their index. `ids` must hold
 * HIST_BATCH_MAX ids; rec->msgs points into it. *used is the bytes consumed. An item cut
 * off by the end of the buffer is an error ("truncated"): give at least
 * HIST_BIN_RECORD_MAX bytes unless the stream ends sooner. */
hist_bin_status hist_bin_decode(hist_bin_state *state, const uint8_t *buf, size_t length,
                                hist_record *rec, uint64_t *ids, hist_names *names,
                                uint64_t trailer[2], size_t *used, char why[160]);

#endif

/* fuzz_history_line.c — libFuzzer harness of the history readers: history.jsonl lines
 * (hist_parse_line, engine/history_json.c) and, for an input starting with the binary
 * magic, the decoder of the uncompressed history.blh stream (hist_bin_decode,
 * engine/history_binary.c; hist_read only adds zstd and a file around it).
 *
 * It owns one input's trip through a reader, as a user's file would take it. JSONL: the
 * input is split at '\n' and every line parsed into one name table, so lines share
 * their names as in a history. Binary: items are decoded until the trailer or an error,
 * and every record expanded and written as JSONL lines, as `brokerlab history` does.
 * Beyond not crashing, every record read must survive the round trip the format
 * promises: written with hist_format_line and parsed back, it is the same record (names
 * compared by text). A broken promise is an abort() with a message.
 *
 * The name tables are static and cleared for every input, so the names' hash index is
 * stale at each start (the "table reset in place" case history_names.c handles).
 * Long names (a fault target of HIST_NAME_LEN bytes or more) go to the process's
 * long-name store, which keeps them until exit: after HIST_LONG_NAMES_MAX distinct ones
 * a new long name is refused, by design. Nothing is printed unless a check fails; every
 * crash found becomes a file in tests/corpus/history_line/, run by replay_main.c. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/history.h"
#include "../../engine/history_binary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WHY_LEN 160

static hist_names *g_names;   /* the input's names */
static hist_names *g_reparse; /* the names of lines parsed back from binary records */
static hist_bin_state *g_state;
static uint64_t *g_ids; /* HIST_BATCH_MAX ids of a binary batch record */
static char *g_line;    /* a record written back, grown to its bound */
static size_t g_line_capacity;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_history_line: %s: %s\n", what, detail);
    abort();
}

static bool same_name(const hist_names *a_names, uint16_t a, const hist_names *b_names, uint16_t b)
{
    return a < a_names->count && b < b_names->count &&
           strcmp(hist_name(a_names, a), hist_name(b_names, b)) == 0;
}

/* Every field a record carries, its names by text (either table may number them). */
static bool same_record(const hist_record *a, const hist_names *a_names, const hist_record *b,
                        const hist_names *b_names)
{
    if (a->t_us != b->t_us || a->intended_t_us != b->intended_t_us || a->offset != b->offset ||
        a->msg != b->msg || a->key != b->key || a->seq != b->seq || a->partition != b->partition ||
        a->fn != b->fn || a->type != b->type || a->redelivered != b->redelivered ||
        a->phase != b->phase || a->count != b->count)
        return false;
    uint16_t a_used[HIST_RECORD_NAMES_MAX], b_used[HIST_RECORD_NAMES_MAX];
    uint32_t n = hist_record_names(a, a_used);
    if (hist_record_names(b, b_used) != n) return false;
    for (uint32_t i = 0; i < n; i++)
        if (!same_name(a_names, a_used[i], b_names, b_used[i])) return false;
    return true;
}

/* Writes one per-message record as a line and parses it back into `into`. */
static void round_trip(const hist_record *rec, const hist_names *names, hist_names *into)
{
    size_t bound = hist_line_bound(rec, names);
    if (bound > g_line_capacity) {
        free(g_line);
        g_line = malloc(bound);
        BL_ASSERT(g_line != NULL);
        g_line_capacity = bound;
    }
    size_t length = hist_format_line(rec, names, g_line);
    if (length == 0 || g_line[length - 1] != '\n') fail("a written line without its newline", "");
    g_line[length - 1] = '\0';
    hist_record again;
    char why[WHY_LEN] = "";
    if (!hist_parse_line(g_line, &again, into, why)) fail("a written line is refused", why);
    if (!same_record(rec, names, &again, into)) fail("a line reads back differently", g_line);
}

static void fuzz_lines(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    BL_ASSERT(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    char *line = text;
    for (;;) {
        char *newline = memchr(line, '\n', size - (size_t)(line - text));
        if (newline != NULL) *newline = '\0';
        hist_record rec;
        char why[WHY_LEN] = "";
        if (hist_parse_line(line, &rec, g_names, why)) {
            round_trip(&rec, g_names, g_names);
        } else if (why[0] == '\0') {
            fail("a line refused without a reason", line);
        }
        if (newline == NULL) break;
        line = newline + 1;
    }
    free(text);
}

static void fuzz_binary(const uint8_t *data, size_t size)
{
    memset(g_state, 0, sizeof *g_state);
    memset(g_reparse, 0, sizeof *g_reparse);
    size_t at = HIST_BIN_MAGIC_LEN;
    for (;;) {
        hist_record rec;
        uint64_t trailer[2] = {0, 0};
        size_t used = 0;
        char why[WHY_LEN] = "";
        hist_bin_status status = hist_bin_decode(g_state, data + at, size - at, &rec, g_ids,
                                                 g_names, trailer, &used, why);
        if (status == HIST_BIN_ERROR && why[0] == '\0') fail("an error without a reason", "");
        if (status != HIST_BIN_ERROR && (used == 0 || used > size - at))
            fail("an item of a length outside the stream", "");
        if (status != HIST_BIN_RECORD) break;
        at += used;
        if (rec.count == 0 || rec.count > HIST_BATCH_MAX) fail("a record count out of range", "");
        for (uint32_t i = 0; i < rec.count; i++) {
            hist_record one = hist_expand(&rec, i);
            round_trip(&one, g_names, g_reparse);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_names == NULL) {
        g_names = malloc(sizeof *g_names);
        g_reparse = malloc(sizeof *g_reparse);
        g_state = malloc(sizeof *g_state);
        g_ids = malloc((size_t)HIST_BATCH_MAX * sizeof *g_ids);
        BL_ASSERT(g_names != NULL && g_reparse != NULL && g_state != NULL && g_ids != NULL);
    }
    memset(g_names, 0, sizeof *g_names);
    if (size >= HIST_BIN_MAGIC_LEN && memcmp(data, HIST_BIN_MAGIC, HIST_BIN_MAGIC_LEN) == 0)
        fuzz_binary(data, size);
    else
        fuzz_lines(data, size);
    return 0;
}

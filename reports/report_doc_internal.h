/* report_doc_internal.h — what the report writers share (report_doc_markup.c,
 * report_doc.c, report_doc_sweep.c): a document that is either HTML or Markdown, written
 * through one set of primitives (headings, paragraphs, tables of escaped cells, plots),
 * the formatting of counts and durations (null → "none" / "no data", never 0), and the
 * sections a run report and a sweep report both show. Not a public interface. */
#ifndef BL_REPORT_DOC_INTERNAL_H
#define BL_REPORT_DOC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "plot.h"
#include "report_doc.h"

#define DOC_CELLS_MAX 16u   /* columns of a table                            */
#define DOC_CELL_LEN  1024u /* bytes of a cell's text (longer text is cut)   */
#define DOC_TEXT_LEN  96u   /* bytes of a formatted number or duration       */
#define DOC_PATH_MAX  4096u /* bytes of a PNG's path                         */

typedef enum doc_cell_kind {
    DOC_CELL_TEXT,   /* plain text, escaped */
    DOC_CELL_NUM,    /* a number: right-aligned in HTML */
    DOC_CELL_CODE,   /* a command or an expression: <code> / `code` */
    DOC_CELL_STATUS, /* PASS / FAIL and the like: coloured by the row's class in HTML */
} doc_cell_kind;

typedef struct doc_cell {
    char text[DOC_CELL_LEN];
    doc_cell_kind kind;
} doc_cell;

typedef struct doc_row {
    doc_cell cells[DOC_CELLS_MAX];
    uint32_t count;
    const char *css_class; /* HTML: the row's class ("pass", "fail", "quiet"); NULL = none */
} doc_row;

typedef struct doc {
    FILE *out;
    report_doc_format format;
    const report_doc_target *target; /* NULL: a summary without plots */
    char *error;                     /* the caller's buffer for the first failure */
    size_t error_size;
    bool failed;
    uint32_t table_columns; /* columns of the open table; 0 = no table open */
    uint32_t plot_count;    /* plots written so far */
} doc;

/* The document's frame: HTML head with the inline style sheet, or nothing (Markdown). */
void doc_begin(doc *d, const char *title);
void doc_end(doc *d);
/* Records the first failure (later ones are dropped) and marks the document failed. */
void doc_fail(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void doc_heading(doc *d, int level, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void doc_paragraph(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A paragraph of a label and a command: "Replay: `brokerlab run ...`". */
void doc_code_line(doc *d, const char *label, const char *code);

void doc_table_begin(doc *d, const char *const *headers, uint32_t count);
void doc_table_row(doc *d, const doc_row *row);
void doc_table_end(doc *d);

void doc_row_start(doc_row *row, const char *css_class);
void doc_add_cell(doc_row *row, doc_cell_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Renders `spec` (SVG inline in HTML; a PNG "<stem>-<name>.png" beside Markdown) in a
 * figure with `caption`. `name` is [a-z0-9-], unique in the document. On failure the
 * document is marked failed and -1 returned. */
int doc_plot(doc *d, const char *name, plot_spec *spec, const char *caption);

/* Formatting. Each writes into buf (DOC_TEXT_LEN bytes) and returns it. */
const char *doc_seconds(double seconds, char *buf);
const char *doc_number(double value, char *buf);
/* A count: the integer, `none_text` for null, "n/a" when absent. */
const char *doc_json_count(const json_t *value, const char *none_text, char *buf);
/* Seconds as a duration, `none_text` for null, "n/a" when absent. */
const char *doc_json_seconds(const json_t *value, const char *none_text, char *buf);
/* Any value in one cell: strings verbatim, numbers, true/false, "none" for null,
 * compact JSON for arrays and objects (cut at DOC_CELL_LEN). */
void doc_json_value(const json_t *value, char *buf, size_t size);

const json_t *doc_get(const json_t *object, const char *key);
const char *doc_get_string(const json_t *object, const char *key, const char *fallback);
bool doc_get_number(const json_t *object, const char *key, double *value);
/* "brokerlab run PATH --seed N" (--default for the built-in scenario), PATH shell-quoted. */
void doc_replay_command(const char *scenario_path, uint64_t seed, char *buf, size_t size);

/* Sections of one run, shared by the run and the sweep report (report_doc.c), under a
 * heading of `level`; a suffix such as " (seed 3)" is appended to it ("" for none). */
void doc_durability_section(doc *d, const json_t *results, int level, const char *suffix);
void doc_faults_section(doc *d, const json_t *results, int level, const char *suffix);
/* The three time-series plots; names are "<prefix>rates", "<prefix>backlog",
 * "<prefix>latency". */
void doc_run_plots(doc *d, const json_t *results, const char *prefix);

#endif

/* report_doc.h — the report a person reads, built from results.json (one run) or
 * sweep.json (a seed range): summary first (scenario, seed, verdict), then the effective
 * durability settings, the fault timeline, the anomaly and latency tables, and plots
 * (rates, backlog, end-to-end latency over time, fault windows shaded; per-seed values
 * for a sweep). As one self-contained HTML page (inline <style> and <svg>, no script, no
 * external resource) or as Markdown with PNG plots written beside it.
 *
 * It reads only the public contracts (DESIGN.md), through jansson, and tolerates fields
 * it does not know; a value that is null is shown as "none" or "no data", never 0. Equal
 * inputs give equal bytes: wall-clock figures are left out. */
#ifndef BL_REPORT_DOC_H
#define BL_REPORT_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define REPORT_DOC_FORMAT_MAX 1u   /* the newest "brokerlab" / "brokerlab_sweep" understood */
#define REPORT_DOC_ROWS_MAX   500u /* rows of one table (seeds, metrics); the rest counted */
#define REPORT_DOC_GROUPS_MAX 8u   /* groups drawn in one time-series plot                */

typedef enum report_doc_format {
    REPORT_DOC_HTML,
    REPORT_DOC_MARKDOWN,
} report_doc_format;

typedef struct report_doc_target {
    report_doc_format format;
    const char *source_dir; /* the RUN_DIR or SWEEP_DIR as given, shown in the summary */
    const char *image_dir;  /* Markdown: the directory the PNGs are written to */
    const char *image_stem; /* Markdown: PNG names are "<stem>-<plot>.png", linked relative */
} report_doc_target;

/* 0 if `results` is a results.json this version can read (an object with "brokerlab": 1
 * and a "groups" object); else -1 with the reason in `error`. */
int report_doc_check_results(const json_t *results, char *error, size_t error_size);

/* The same for sweep.json ("brokerlab_sweep": 1 and a "runs" array). */
int report_doc_check_sweep(const json_t *sweep, char *error, size_t error_size);

/* Writes the report of one run to `out` (Markdown: and its PNGs, atomically, into
 * target->image_dir). Returns 0, or -1 with a one-line reason in `error` (a plot that
 * gnuplot cannot draw, a PNG that cannot be written, a write error on `out`). */
int report_doc_run(FILE *out, const json_t *results, const report_doc_target *target, char *error,
                   size_t error_size);

/* The seed whose time series a sweep report shows: the first seed that showed an
 * anomaly (the smallest "first_seed" in "anomalies"), else the first failing seed of an
 * expectation, else the first run's. False if the sweep has no run. */
bool report_doc_sweep_focus_seed(const json_t *sweep, uint64_t *seed);

/* Writes the report of a sweep to `out`. `focus_results` is that seed's results.json
 * (seeds/<seed>/results.json), or NULL with `focus_missing` saying why (shown instead of
 * its plots). Returns as report_doc_run. */
int report_doc_sweep(FILE *out, const json_t *sweep, const json_t *focus_results,
                     uint64_t focus_seed, const char *focus_missing,
                     const report_doc_target *target, char *error, size_t error_size);

/* Writes the report of a comparison (compare.json) to `out`: designs, durability
 * settings side by side, the metric table and overlay plots. `column_results[i]` is
 * design i's first seed's results.json (its time series), or NULL. Returns as
 * report_doc_run. */
int report_doc_compare(FILE *out, const json_t *compare, const json_t *const *column_results,
                       const report_doc_target *target, char *error, size_t error_size);

/* A results.json durability object flattened to {"producers.NAME.KEY": "text", ...},
 * in its order (values as a report cell shows them; null is "none"). The caller frees
 * it. */
json_t *report_doc_flatten_settings(const json_t *durability);

/* A run's summary as Markdown, without plots (`brokerlab run --format md`): the summary,
 * expectations, durability settings, faults, anomaly and latency tables. `results` must
 * pass report_doc_check_results (asserted). Returns 0, or -1 if writing to `out` failed. */
int report_doc_markdown_summary(FILE *out, const json_t *results);

#endif

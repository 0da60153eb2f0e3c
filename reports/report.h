/* report.h — writers of a run's results: results.json (a public contract, DESIGN.md)
 * and the human summary printed by `brokerlab run`. They read the checker's results and
 * the run's facts, never a model. */
#ifndef BL_REPORT_H
#define BL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../engine/fault.h"
#include "../engine/scenario.h"
#include "check.h"
#include "expect.h"

typedef struct report_expectation {
    scn_expect_kind kind;
    const char *expr;
    expect_outcome outcome; /* held, the two sides' values, why a side had no data */
} report_expectation;

typedef struct report_run {
    const scn_scenario *scenario;
    const char *scenario_path; /* as given on the command line */
    uint64_t seed;
    double sim_time_s;          /* duration + drain actually simulated */
    double wall_time_s;         /* the only wall-clock figure: excluded from determinism */
    char history_sha256[65];    /* lowercase hex of history.jsonl's bytes; "" if no JSONL
                                    was written (then null in results.json) */
    char history_digest[65];    /* SHA-256 of the binary record stream (every format) */
    const char *history_format; /* "binary", "jsonl", "jsonl.zst" or "none" */
    const char *history_file;   /* file name in the run directory, or NULL */
    uint64_t history_bytes;     /* size of that file */
    uint64_t events;            /* node activations (one per node and instant with work) */
    uint64_t packets;           /* network packets delivered */
    uint64_t inter_broker_bytes; /* sent between brokers (world_stats) */
    uint64_t other_bytes;        /* every other packet's */
    uint32_t nodes;             /* simulated processes */
    uint64_t history_records;   /* per-message records: JSONL lines */
    uint64_t history_batches;   /* records as stored, a batch counting once */
    const report_expectation *expectations;
    uint32_t expectation_count;
    fault_effects faults;    /* what each fault of the timeline hit (world_stats.faults) */
    scn_settings durability; /* the family's effective durability settings */
} report_run;

/* The groups of `results` in the order the scenario lists them (the checker sorts
 * them by name; a group the scenario does not list comes last): writes group_count
 * indices into order. */
void report_group_order(const scn_scenario *scenario, const check_results *results,
                        uint32_t *order);

/* Writes results.json. Returns 0, or -1 with errno set if the file cannot be written.
 * Key order is fixed, numbers are printed with a fixed format, so equal inputs give
 * equal bytes (but wall_time_s). */
int report_write_json(const char *path, const report_run *run, const check_results *results);

/* Prints the readable summary (per group: counts, anomalies, latency, availability,
 * backlog; the producers; a line per fault that did not bite; then expectations with
 * PASS/FAIL). */
void report_print_summary(FILE *out, const report_run *run, const check_results *results);

#endif

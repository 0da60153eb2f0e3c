/* sweep_summary.h — what a seed range measured: sweep.json, the contract of `sweep`,
 * `merge`, `check` and `compare` (docs/schemas/sweep.schema.json).
 *
 * A sweep is built from per-seed summaries only: each run's results.json is cut down
 * to one `runs[]` entry (its metrics flattened to dotted names, its expectations), and
 * everything else in sweep.json (per-metric mean, min, max and 95% confidence
 * interval; how many seeds showed each anomaly and the first that did; each
 * expectation's verdict over the seeds) is computed from those entries in seed order.
 * So a sweep run with any --jobs, and the merge of its shards, give the same bytes:
 * the entries are the same numbers, read back from JSON the same way. */
#ifndef BL_SWEEP_SUMMARY_H
#define BL_SWEEP_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SWEEP_FORMAT_VERSION 1
#define SWEEP_REPLAY_PROGRAM "brokerlab" /* replay commands name the program, not a path */

/* What every run of the sweep shares. */
typedef struct sweep_header {
    const char *scenario;      /* its name */
    const char *scenario_path; /* as given on the command line */
    char scenario_sha256[65];  /* of the scenario file's bytes */
    uint64_t first_seed, last_seed;
    uint32_t shard_index; /* 1..shard_count; 0 when not sharded */
    uint32_t shard_count;
    bool partial; /* interrupted: some seeds never ran */
} sweep_header;

/* One seed's runs[] entry from its results.json (parsed) and the run's exit code (0 or
 * 1). Returns NULL, with `error` (256 bytes) saying why, if the document is not a
 * brokerlab results.json. */
json_t *sweep_run_entry(const json_t *results, int exit_code, char *error);
/* The runs[] entry of a seed whose run failed (exit 2 or 3): no metrics, its reason. */
json_t *sweep_failed_entry(uint64_t seed, int exit_code, const char *reason);

/* The whole sweep.json from the header and the runs[] entries (steals them; any order,
 * one per seed). */
json_t *sweep_build(const sweep_header *header, json_t *runs);

/* Serialises a sweep document (fixed key order, 9 significant digits). The caller frees
 * the text. */
char *sweep_dumps(const json_t *sweep);

/* Reads a sweep.json back into its header fields and runs (borrowed from `sweep`).
 * Returns 0, or -1 with `error` (256 bytes) naming what is wrong. */
int sweep_parse(const json_t *sweep, sweep_header *header, const json_t **runs, char *error);

/* The section a flattened metric name belongs to ("totals", "groups.NAME",
 * "producers.NAME") as the length of that prefix of `name` (0 if it has none); the
 * metric's own name ("lost", "latency.e2e.p99") follows at name + length + 1. */
size_t sweep_metric_section(const char *name);
/* The heading of the section `name` starts with (length from sweep_metric_section):
 * "group NAME", the producer's instance name, or "totals". */
void sweep_section_label(const char *name, size_t length, char *out, size_t size);

/* The verdict of a sweep: every expectation's over the seeds held, and no run failed. */
bool sweep_held(const json_t *sweep);

#endif

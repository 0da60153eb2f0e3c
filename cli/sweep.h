/* sweep.h — one scenario over a seed range, the unit `sweep`, `check` and `compare`
 * are made of.
 *
 * A plan is a scenario (validated once), its seeds (one shard of them with --shard) and
 * its directory: DIR/seeds/SEED/ holds each seed's results.json and run.log,
 * DIR/sweep.json the aggregate (reports/sweep_summary.h). Several plans' jobs run in one
 * pool, so `check` over many scenarios keeps every core busy. */
#ifndef BL_CLI_SWEEP_H
#define BL_CLI_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "../reports/sweep_summary.h"
#include "job_pool.h"

#define SWEEP_SEEDS_MAX 1000000u /* seeds in one plan */

typedef enum {
    KEEP_HISTORY_NONE = 0, /* the default: a seed's replay command regenerates it */
    KEEP_HISTORY_ALL,
    KEEP_HISTORY_FAILING, /* the seeds where an expectation failed, run again with it */
} keep_history;

typedef enum { SWEEP_FORMAT_TEXT = 0, SWEEP_FORMAT_JSON, SWEEP_FORMAT_MD } sweep_format;

typedef struct sweep_options {
    uint64_t first_seed, last_seed; /* the whole range, also when sharded */
    bool scenario_seed;             /* instead: the scenario's own seed (check's default) */
    uint32_t shard_index;           /* 1..shard_count, 0 = not sharded */
    uint32_t shard_count;
    keep_history history;
    bool check_determinism;
    bool strict;
} sweep_options;

typedef struct sweep_plan {
    char scenario_path[JOB_PATH_LEN];
    char scenario_name[128];
    char out_dir[JOB_PATH_LEN];
    sweep_header header; /* its strings point into this plan */
    sweep_options options;
    uint64_t *seeds; /* this plan's seeds (its shard), ascending */
    uint32_t seed_count;
    pool_job *jobs; /* seed_count jobs, once sweep_add_jobs placed them */
    char (*seed_texts)[24];
    char (*job_dirs)[JOB_PATH_LEN];
    bool interrupted;
} sweep_plan;

/* Loads and validates the scenario and lists its seeds; `out_dir` NULL means the
 * default. Prints why and returns the exit code (2) if it cannot. */
int sweep_plan_init(sweep_plan *plan, const char *scenario_path, const char *out_dir,
                    const sweep_options *options);
/* Moves the plan to `out_dir` (shorter than JOB_PATH_LEN - 64 bytes; check gives each
 * scenario its own directory under one). */
void sweep_plan_place(sweep_plan *plan, const char *out_dir);
/* Creates the plan's directories, removes stale per-seed results, and writes its jobs
 * into jobs (seed_count of them). Returns 0 or 2 (said why). */
int sweep_plan_jobs(sweep_plan *plan, pool_job *jobs);
/* After the pool: the runs that need their history again (--keep-history failing) are
 * rerun; then reads every completed seed, writes DIR/sweep.json, and returns the
 * document (the caller frees it) or NULL with a message printed. */
json_t *sweep_plan_collect(sweep_plan *plan, bool interrupted, uint32_t workers, bool quiet);
void sweep_plan_free(sweep_plan *plan);

/* The exit code a finished sweep document stands for: 3 if a run failed internally, 2
 * if one failed on input, 1 if an expectation's verdict failed, 0 otherwise. */
int sweep_exit_code(const json_t *sweep);

/* Prints the sweep's aggregate: metric table, anomalies, expectation verdicts. */
void sweep_print(FILE *out, const json_t *sweep, sweep_format format, const char *sweep_path);

/* --seeds A..B and --jobs N, read alike by sweep, check and compare: when argv[*i] is
 * one of them, parses its value into *first_seed, *last_seed or *workers, steps *i past
 * it and returns 1 (or prints the usage error and returns 2); returns 0 for any other
 * argument. */
int sweep_seed_option(int argc, char **argv, int *i, uint64_t *first_seed, uint64_t *last_seed,
                      uint64_t *workers, const char *usage);

/* Parses --format's value; false if it is not text, json or md. */
bool sweep_parse_format(const char *text, sweep_format *format);

#endif

/* job_pool.h — runs many `brokerlab run` processes, at most N at a time, for sweep,
 * check and compare.
 *
 * Each job is one seed of one scenario in a process of its own (SimGrid keeps global
 * state: one simulation per process), this very binary re-executed with the job's
 * arguments, its output in a log file. The pool shows progress on stderr (a redrawn bar
 * on a terminal, a line per finished job otherwise) and stops cleanly on SIGINT or
 * SIGTERM: no new job starts, running jobs are interrupted and waited for, and the
 * caller learns which jobs completed, to write partial results marked partial. */
#ifndef BL_JOB_POOL_H
#define BL_JOB_POOL_H

#include <stdbool.h>
#include <stdint.h>

#define JOB_ARGS_MAX  24
#define JOB_PATH_LEN  4096
#define JOB_LABEL_LEN 256

typedef struct pool_job {
    const char *args[JOB_ARGS_MAX]; /* after the program name, NULL-terminated */
    char log_path[JOB_PATH_LEN];    /* stdout and stderr of the process */
    char label[JOB_LABEL_LEN];      /* for progress lines: "c16 seed 7" */
    /* Filled by the pool: */
    bool completed; /* exited (not interrupted, not killed by a signal) */
    int exit_code;  /* when completed */
    int signal;     /* when killed by a signal not ours (a crash), else 0 */
    double wall_s;  /* how long it ran (for the display only, never in a result) */
} pool_job;

typedef struct pool_options {
    uint32_t workers; /* processes at once, >= 1 */
    bool quiet;       /* no progress output */
    const char *unit; /* what a job is called in the progress bar: "seeds", "runs" */
} pool_options;

/* The number of online processors (the default --jobs), at least 1. */
uint32_t pool_default_workers(void);

/* Runs every job; returns false if interrupted (SIGINT/SIGTERM), true if all ran. */
bool pool_run(pool_job *jobs, uint32_t job_count, const pool_options *options);

/* Why a job failed, from its log: its last "brokerlab: ..." line, or else its last
 * non-empty line. */
void pool_log_tail(const pool_job *job, char *out, uint32_t size);

#endif

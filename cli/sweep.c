/* sweep.c — `brokerlab sweep` and `brokerlab merge`, and the seed-range plans that
 * `check` and `compare` are made of (see sweep.h).
 *
 * Every seed runs as `brokerlab run SCENARIO --seed S --out DIR/seeds/S --quiet
 * --history none` in a process of its own; the sweep then reads the seeds'
 * results.json files, never the runs' memory, so a sweep, its shards merged, and the
 * runs replayed one by one all read the same numbers. */
#include "sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../engine/atomic_file.h"
#include "../engine/bl_assert.h"
#include "cli_common.h"

static const char usage_sweep[] =
    "usage: brokerlab sweep SCENARIO --seeds A..B [--jobs N] [--shard K/N] [--out DIR]\n"
    "                       [--keep-history | --keep-failing-history] [--check-determinism]\n"
    "                       [--format text|json|md] [--quiet] [--strict]\n"
    "\n"
    "Runs the scenario once per seed from A to B, N processes at a time (default: one per\n"
    "core), and aggregates what the seeds measured into DIR/sweep.json (DIR defaults to\n"
    "out/<scenario name>-sweep): per metric the mean, min, max and 95% confidence\n"
    "interval of the mean (Student's t), how many seeds showed each anomaly and the\n"
    "first that did, with its replay command, and each expectation's verdict over the\n"
    "seeds (`always` must hold on every seed, `sometimes` on at least one). Each seed's\n"
    "results.json is kept in DIR/seeds/SEED/. sweep.json is byte-identical whatever N is.\n"
    "\n"
    "No history is written unless asked: --keep-history keeps every seed's, and\n"
    "--keep-failing-history reruns the seeds where an expectation failed with theirs\n"
    "(a run is reproducible from its seed, so the replay command regenerates it).\n"
    "--shard K/N runs only the seeds A+K-1, A+K-1+N, ... (K from 1 to N) into\n"
    "DIR/sweep.json marked as shard K of N; `brokerlab merge` combines the N shard\n"
    "directories into exactly the unsharded sweep. --check-determinism runs every seed\n"
    "twice more in separate processes and fails (exit 3) naming the first differing\n"
    "history record. Progress goes to stderr (a bar on a terminal); --quiet hides it and\n"
    "the summary. Ctrl-C stops cleanly: sweep.json then holds the seeds that finished and\n"
    "says \"partial\": true.\n"
    "Exit 0 every expectation held, 1 one failed, 2 bad input, 3 a run failed\n"
    "internally, 130 interrupted.\n";

static const char usage_merge[] =
    "usage: brokerlab merge SHARD_DIR... [--out DIR] [--format text|json|md] [--quiet]\n"
    "\n"
    "Combines the directories written by `brokerlab sweep --shard K/N` (all N of them,\n"
    "from the same scenario file, seed range and brokerlab build) into DIR/sweep.json,\n"
    "exactly what the unsharded sweep writes, and copies the seeds' results.json into\n"
    "DIR/seeds/. DIR defaults to out/<scenario name>-sweep.\n"
    "Exit as `sweep`: 0 every expectation held, 1 one failed, 2 bad input (a shard\n"
    "missing, repeated, partial or from another scenario), 3 a run had failed.\n";

int sweep_seed_option(int argc, char **argv, int *i, uint64_t *first_seed, uint64_t *last_seed,
                      uint64_t *workers, const char *usage)
{
    const char *value = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (strcmp(argv[*i], "--seeds") == 0) {
        if (!cli_parse_seed_range(value, first_seed, last_seed))
            return cli_usage_error("--seeds needs a range A..B of seeds (A <= B)", usage);
    } else if (strcmp(argv[*i], "--jobs") == 0) {
        if (!cli_parse_u64(value, workers) || *workers < 1 || *workers > 1024)
            return cli_usage_error("--jobs needs a number of processes from 1 to 1024", usage);
    } else {
        return 0;
    }
    ++*i;
    return 1;
}

bool sweep_parse_format(const char *text, sweep_format *format)
{
    if (text == NULL) return false;
    if (strcmp(text, "text") == 0)
        *format = SWEEP_FORMAT_TEXT;
    else if (strcmp(text, "json") == 0)
        *format = SWEEP_FORMAT_JSON;
    else if (strcmp(text, "md") == 0)
        *format = SWEEP_FORMAT_MD;
    else
        return false;
    return true;
}

/* SHA-256 of a file's bytes as lowercase hex; false if it cannot be read. */
static bool file_sha256(const char *path, char hex[65])
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) return false;
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    BL_ASSERT(sha != NULL && EVP_DigestInit_ex(sha, EVP_sha256(), NULL) == 1);
    unsigned char buffer[1 << 14];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, file)) > 0) {
        BL_ASSERT(EVP_DigestUpdate(sha, buffer, n) == 1);
    }
    bool ok = ferror(file) == 0;
    fclose(file);
    unsigned char digest[32];
    unsigned int length = 0;
    BL_ASSERT(EVP_DigestFinal_ex(sha, digest, &length) == 1 && length == 32);
    EVP_MD_CTX_free(sha);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return ok;
}

int sweep_plan_init(sweep_plan *plan, const char *scenario_path, const char *out_dir,
                    const sweep_options *options)
{
    memset(plan, 0, sizeof *plan);
    BL_ASSERT(options->scenario_seed || options->first_seed <= options->last_seed);
    plan->options = *options;
    if (snprintf(plan->scenario_path, sizeof plan->scenario_path, "%s", scenario_path) >=
        (int)sizeof plan->scenario_path) {
        fprintf(stderr, "brokerlab: the path %s is too long\n", scenario_path);
        return BL_EXIT_BAD_INPUT;
    }
    scn_scenario *scenario = malloc(sizeof *scenario);
    BL_ASSERT(scenario != NULL);
    int rc = cli_load_scenario(scenario_path, false, options->strict, scenario);
    if (rc == 0) snprintf(plan->scenario_name, sizeof plan->scenario_name, "%s", scenario->name);
    if (rc == 0 && options->scenario_seed) {
        plan->options.first_seed = plan->options.last_seed = scenario->seed;
        options = &plan->options;
    }
    free(scenario);
    if (rc != 0) return BL_EXIT_BAD_INPUT;
    if (!file_sha256(scenario_path, plan->header.scenario_sha256)) {
        fprintf(stderr, "brokerlab: cannot read %s: %s\n", scenario_path, strerror(errno));
        return BL_EXIT_BAD_INPUT;
    }
    int n;
    if (out_dir != NULL)
        n = snprintf(plan->out_dir, sizeof plan->out_dir, "%s", out_dir);
    else if (options->shard_count == 0)
        n = snprintf(plan->out_dir, sizeof plan->out_dir, "out/%s-sweep", plan->scenario_name);
    else
        n = snprintf(plan->out_dir, sizeof plan->out_dir, "out/%s-sweep-shard-%u-of-%u",
                     plan->scenario_name, options->shard_index, options->shard_count);
    if (n < 0 || (size_t)n >= sizeof plan->out_dir - 64) {
        fprintf(stderr, "brokerlab: the output directory name is too long\n");
        return BL_EXIT_BAD_INPUT;
    }
    uint64_t range = options->last_seed - options->first_seed;
    uint64_t stride = options->shard_count == 0 ? 1 : options->shard_count;
    uint64_t offset = options->shard_count == 0 ? 0 : options->shard_index - 1;
    uint64_t count = offset > range ? 0 : (range - offset) / stride + 1;
    if (count > SWEEP_SEEDS_MAX) {
        fprintf(stderr, "brokerlab: %" PRIu64 " seeds in one sweep; at most %u\n", count,
                SWEEP_SEEDS_MAX);
        return BL_EXIT_BAD_INPUT;
    }
    plan->seed_count = (uint32_t)count;
    plan->seeds = malloc((count + 1) * sizeof *plan->seeds);
    plan->seed_texts = malloc((count + 1) * sizeof *plan->seed_texts);
    plan->job_dirs = malloc((count + 1) * sizeof *plan->job_dirs);
    BL_ASSERT(plan->seeds != NULL && plan->seed_texts != NULL && plan->job_dirs != NULL);
    for (uint64_t i = 0; i < count; i++) {
        plan->seeds[i] = options->first_seed + offset + i * stride;
        snprintf(plan->seed_texts[i], sizeof plan->seed_texts[i], "%" PRIu64, plan->seeds[i]);
    }
    sweep_plan_place(plan, plan->out_dir);
    plan->header.scenario = plan->scenario_name;
    plan->header.scenario_path = plan->scenario_path;
    plan->header.first_seed = options->first_seed;
    plan->header.last_seed = options->last_seed;
    plan->header.shard_index = options->shard_index;
    plan->header.shard_count = options->shard_count;
    return 0;
}

void sweep_plan_place(sweep_plan *plan, const char *out_dir)
{
    if (out_dir != plan->out_dir) {
        int n = snprintf(plan->out_dir, sizeof plan->out_dir, "%s", out_dir);
        BL_ASSERTF(n > 0 && (size_t)n < sizeof plan->out_dir - 64, "path too long: %s", out_dir);
    }
    for (uint32_t i = 0; i < plan->seed_count; i++) {
        int n = snprintf(plan->job_dirs[i], sizeof plan->job_dirs[i], "%s/seeds/%" PRIu64,
                         plan->out_dir, plan->seeds[i]);
        BL_ASSERT(n > 0 && (size_t)n < sizeof plan->job_dirs[i]);
    }
}

/* The arguments of one seed's run; `history` chooses --history binary or none. */
static void fill_job(const sweep_plan *plan, uint32_t i, bool history, pool_job *job)
{
    memset(job, 0, sizeof *job);
    uint32_t n = 0;
    job->args[n++] = "run";
    job->args[n++] = plan->scenario_path;
    job->args[n++] = "--seed";
    job->args[n++] = plan->seed_texts[i];
    job->args[n++] = "--out";
    job->args[n++] = plan->job_dirs[i];
    job->args[n++] = "--history";
    job->args[n++] = history ? "binary" : "none";
    job->args[n++] = "--quiet";
    if (plan->options.check_determinism) job->args[n++] = "--check-determinism";
    job->args[n] = NULL;
    int n_log = snprintf(job->log_path, sizeof job->log_path, "%s/run.log", plan->job_dirs[i]);
    BL_ASSERTF(n_log > 0 && (size_t)n_log < sizeof job->log_path, "path too long");
    snprintf(job->label, sizeof job->label, "%s seed %s", plan->scenario_name, plan->seed_texts[i]);
}

int sweep_plan_jobs(sweep_plan *plan, pool_job *jobs)
{
    plan->jobs = jobs;
    for (uint32_t i = 0; i < plan->seed_count; i++) {
        if (cli_make_dir(plan->job_dirs[i]) != 0) {
            fprintf(stderr, "brokerlab: cannot create %s: %s\n", plan->job_dirs[i],
                    strerror(errno));
            return BL_EXIT_BAD_INPUT;
        }
        /* A results.json from an earlier sweep must not stand in for a run that did not
         * finish this time. */
        char stale[JOB_PATH_LEN + 32];
        snprintf(stale, sizeof stale, "%s/results.json", plan->job_dirs[i]);
        if (unlink(stale) != 0 && errno != ENOENT) {
            fprintf(stderr, "brokerlab: cannot remove %s: %s\n", stale, strerror(errno));
            return BL_EXIT_BAD_INPUT;
        }
        fill_job(plan, i, plan->options.history == KEEP_HISTORY_ALL, &jobs[i]);
    }
    return 0;
}

/* One seed's runs[] entry, or NULL if it did not finish (interrupted). */
static json_t *seed_entry(const sweep_plan *plan, uint32_t i)
{
    const pool_job *job = &plan->jobs[i];
    char reason[2 * JOB_PATH_LEN + 512];
    if (job->signal != 0) {
        snprintf(reason, sizeof reason, "the run was killed by signal %d (see %s)", job->signal,
                 job->log_path);
        return sweep_failed_entry(plan->seeds[i], 128 + job->signal, reason);
    }
    if (!job->completed) return NULL;
    if (job->exit_code != BL_EXIT_OK && job->exit_code != BL_EXIT_EXPECTATION) {
        char tail[400];
        pool_log_tail(job, tail, sizeof tail);
        snprintf(reason, sizeof reason, "%s", tail);
        return sweep_failed_entry(
            plan->seeds[i],
            job->exit_code == BL_EXIT_BAD_INPUT ? BL_EXIT_BAD_INPUT : BL_EXIT_INTERNAL, reason);
    }
    char path[JOB_PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/results.json", plan->job_dirs[i]);
    json_error_t json_error;
    json_t *results = json_load_file(path, 0, &json_error);
    char error[256] = "";
    json_t *entry = results != NULL ? sweep_run_entry(results, job->exit_code, error) : NULL;
    if (results == NULL) snprintf(error, sizeof error, "%s", json_error.text);
    json_decref(results);
    if (entry == NULL) {
        snprintf(reason, sizeof reason, "%s: %s", path, error);
        return sweep_failed_entry(plan->seeds[i], BL_EXIT_INTERNAL, reason);
    }
    if ((uint64_t)json_integer_value(json_object_get(entry, "seed")) != plan->seeds[i]) {
        json_decref(entry);
        snprintf(reason, sizeof reason, "%s is the run of another seed", path);
        return sweep_failed_entry(plan->seeds[i], BL_EXIT_INTERNAL, reason);
    }
    return entry;
}

/* --keep-failing-history: the seeds where an expectation failed, run again with their
 * history (the same seed gives the same run, so the same verdict). */
static bool rerun_failing(sweep_plan *plan, uint32_t workers, bool quiet)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < plan->seed_count; i++) {
        count += plan->jobs[i].completed && plan->jobs[i].exit_code == BL_EXIT_EXPECTATION;
    }
    if (count == 0) return true;
    pool_job *again = calloc(count, sizeof *again);
    uint32_t *index = calloc(count, sizeof *index);
    BL_ASSERT(again != NULL && index != NULL);
    uint32_t n = 0;
    for (uint32_t i = 0; i < plan->seed_count; i++) {
        if (!plan->jobs[i].completed || plan->jobs[i].exit_code != BL_EXIT_EXPECTATION) continue;
        index[n] = i;
        fill_job(plan, i, true, &again[n++]);
    }
    pool_options options = {.workers = workers, .quiet = quiet, .unit = "histories"};
    bool all = pool_run(again, count, &options);
    for (uint32_t k = 0; k < count; k++) plan->jobs[index[k]] = again[k];
    free(again);
    free(index);
    return all;
}

json_t *sweep_plan_collect(sweep_plan *plan, bool interrupted, uint32_t workers, bool quiet)
{
    if (!interrupted && plan->options.history == KEEP_HISTORY_FAILING)
        interrupted = !rerun_failing(plan, workers, quiet);
    json_t *runs = json_array();
    for (uint32_t i = 0; i < plan->seed_count; i++) {
        json_t *entry = seed_entry(plan, i);
        if (entry == NULL) {
            plan->header.partial = true;
            continue;
        }
        BL_ASSERT(json_array_append_new(runs, entry) == 0);
    }
    plan->interrupted = interrupted;
    json_t *sweep = sweep_build(&plan->header, runs);
    char *text = sweep_dumps(sweep);
    char path[JOB_PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/sweep.json", plan->out_dir);
    size_t length = strlen(text);
    text[length] = '\n';
    int rc = atomic_file_write(path, text, length + 1);
    int saved = errno;
    free(text);
    if (rc != 0) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", path, strerror(saved));
        json_decref(sweep);
        return NULL;
    }
    return sweep;
}

void sweep_plan_free(sweep_plan *plan)
{
    free(plan->seeds);
    free(plan->seed_texts);
    free(plan->job_dirs);
    plan->seeds = NULL;
    plan->seed_texts = NULL;
    plan->job_dirs = NULL;
}

int sweep_exit_code(const json_t *sweep)
{
    int code = BL_EXIT_OK;
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(sweep, "runs"), i, run)
    {
        json_int_t exit_code = json_integer_value(json_object_get(run, "exit"));
        if (exit_code == BL_EXIT_BAD_INPUT && code < BL_EXIT_BAD_INPUT) code = BL_EXIT_BAD_INPUT;
        if (exit_code > BL_EXIT_BAD_INPUT) code = BL_EXIT_INTERNAL;
    }
    if (code != BL_EXIT_OK) return code;
    return sweep_held(sweep) ? BL_EXIT_OK : BL_EXIT_EXPECTATION;
}

/* ---- printing ---- */

/* A metric value in its unit ("none" for no data); `scale` chooses s or ms. */
static void format_value(char *out, size_t size, const json_t *value, bool seconds,
                         const json_t *scale)
{
    if (value == NULL || json_is_null(value)) {
        snprintf(out, size, "none");
        return;
    }
    if (!seconds && json_is_integer(value)) {
        snprintf(out, size, "%lld", (long long)json_integer_value(value));
        return;
    }
    cli_format_measure(out, size, json_number_value(value), seconds,
                       json_is_number(scale) ? json_number_value(scale) : json_number_value(value));
}

void sweep_print(FILE *out, const json_t *sweep, sweep_format format, const char *sweep_path)
{
    if (format == SWEEP_FORMAT_JSON) {
        char *text = sweep_dumps(sweep);
        fprintf(out, "%s\n", text);
        free(text);
        return;
    }
    bool md = format == SWEEP_FORMAT_MD;
    const json_t *seeds = json_object_get(sweep, "seeds");
    json_int_t completed = json_integer_value(json_object_get(sweep, "completed"));
    fprintf(out, "%ssweep %s: seeds %lld..%lld, %lld run%s%s%s\n", md ? "## " : "",
            json_string_value(json_object_get(sweep, "scenario")),
            (long long)json_integer_value(json_object_get(seeds, "first")),
            (long long)json_integer_value(json_object_get(seeds, "last")), (long long)completed,
            completed == 1 ? "" : "s",
            json_is_true(json_object_get(sweep, "partial")) ? " (partial: interrupted)" : "",
            json_is_object(json_object_get(sweep, "shard")) ? " (one shard)" : "");
    if (md)
        fputs("\n| metric | n | mean | 95% CI of the mean | min | max |\n"
              "|---|---:|---:|---|---:|---:|\n",
              out);
    const char *name;
    json_t *metric;
    char section[256] = "";
    json_object_foreach(json_object_get(sweep, "metrics"), name, metric)
    {
        /* Text groups the metrics by their section (totals, a group, a producer). */
        size_t prefix = sweep_metric_section(name);
        if (!md && (strlen(section) != prefix || strncmp(section, name, prefix) != 0)) {
            snprintf(section, sizeof section, "%.*s", (int)prefix, name);
            char label[300];
            sweep_section_label(name, prefix, label, sizeof label);
            fprintf(out, "  %-32s %5s %11s %25s %10s %10s\n", label, "n", "mean",
                    "95% CI of the mean", "min", "max");
        }
        bool seconds = strcmp(json_string_value(json_object_get(metric, "unit")), "s") == 0;
        char mean[32], low[32], high[32], min[32], max[32], ci[72];
        const json_t *scale = json_object_get(metric, "mean");
        format_value(mean, sizeof mean, scale, seconds, scale);
        format_value(low, sizeof low, json_object_get(metric, "ci95_low"), seconds, scale);
        format_value(high, sizeof high, json_object_get(metric, "ci95_high"), seconds, scale);
        format_value(min, sizeof min, json_object_get(metric, "min"), seconds, NULL);
        format_value(max, sizeof max, json_object_get(metric, "max"), seconds, NULL);
        long long n = (long long)json_integer_value(json_object_get(metric, "n"));
        if (n == 0)
            snprintf(ci, sizeof ci, "no data");
        else if (json_is_null(json_object_get(metric, "ci95_low")))
            snprintf(ci, sizeof ci, "none (n < 2)");
        else
            snprintf(ci, sizeof ci, "[%s, %s]", low, high);
        if (md)
            fprintf(out, "| %s | %lld | %s | %s | %s | %s |\n", name, n, mean, ci, min, max);
        else
            fprintf(out, "    %-30s %5lld %11s %25s %10s %10s\n",
                    prefix > 0 ? name + prefix + 1 : name, n, mean, ci, min, max);
    }
    const json_t *faults = json_object_get(sweep, "faults");
    if (json_is_object(faults))
        fprintf(out, "%sfaults: %lld per run; every one bit on %lld of %lld seeds, none on %lld\n",
                md ? "\n" : "", (long long)json_integer_value(json_object_get(faults, "per_run")),
                (long long)json_integer_value(json_object_get(faults, "seeds_every_fault_bit")),
                (long long)completed,
                (long long)json_integer_value(json_object_get(faults, "seeds_no_fault_bit")));
    fprintf(out, md ? "\n**Anomalies** (seeds that showed each)\n\n"
                    : "anomalies (seeds that showed each):\n");
    json_t *anomaly;
    json_object_foreach(json_object_get(sweep, "anomalies"), name, anomaly)
    {
        json_int_t count = json_integer_value(json_object_get(anomaly, "seeds"));
        if (count == 0) {
            fprintf(out, "%s%s: none of %lld\n", md ? "- " : "  ", name, (long long)completed);
            continue;
        }
        fprintf(out, "%s%s: %lld of %lld seeds, first seed %lld\n%s%s\n", md ? "- " : "  ", name,
                (long long)count, (long long)completed,
                (long long)json_integer_value(json_object_get(anomaly, "first_seed")),
                md ? "  `" : "    ", json_string_value(json_object_get(anomaly, "replay")));
        if (md) fputs("`\n", out);
    }
    fprintf(out, md ? "\n**Expectations**\n\n" : "expectations:\n");
    size_t i;
    json_t *expectation;
    int width = 0;
    json_array_foreach(json_object_get(sweep, "expectations"), i, expectation)
    {
        int length = (int)strlen(json_string_value(json_object_get(expectation, "expr")));
        if (length > width) width = length;
    }
    json_array_foreach(json_object_get(sweep, "expectations"), i, expectation)
    {
        bool held = strcmp(json_string_value(json_object_get(expectation, "verdict")), "held") == 0;
        fprintf(out, "%s%s  %-9s  %-*s  held on %lld of %lld seeds", md ? "- " : "  ",
                held ? "PASS" : "FAIL", json_string_value(json_object_get(expectation, "kind")),
                md ? 0 : width, json_string_value(json_object_get(expectation, "expr")),
                (long long)json_integer_value(json_object_get(expectation, "held_seeds")),
                (long long)completed);
        json_int_t no_data = json_integer_value(json_object_get(expectation, "no_data_seeds"));
        if (no_data > 0)
            fprintf(out, ", no data on %lld (%s)", (long long)no_data,
                    json_string_value(json_object_get(expectation, "no_data")));
        fputc('\n', out);
        const json_t *replay = json_object_get(expectation, "replay");
        if (!held && json_is_string(replay))
            fprintf(out, "%sfirst failing seed: %s\n", md ? "  " : "        ",
                    json_string_value(replay));
    }
    json_t *run;
    json_array_foreach(json_object_get(sweep, "runs"), i, run)
    {
        const json_t *error = json_object_get(run, "error");
        if (error == NULL) continue;
        fprintf(out, "%sseed %lld failed (exit %lld): %s\n", md ? "- " : "  ",
                (long long)json_integer_value(json_object_get(run, "seed")),
                (long long)json_integer_value(json_object_get(run, "exit")),
                json_string_value(error));
    }
    if (sweep_path != NULL) fprintf(out, "%swrote %s\n", md ? "\n" : "", sweep_path);
}

/* ---- sweep ---- */

int cmd_sweep(int argc, char **argv)
{
    static const char *const once[] = {"--seeds",
                                       "--jobs",
                                       "--shard",
                                       "--out",
                                       "--keep-history",
                                       "--keep-failing-history",
                                       "--check-determinism",
                                       "--format",
                                       "--quiet",
                                       "--strict"};
    int start = cli_command_start(argc, argv, once, sizeof once / sizeof once[0], usage_sweep);
    if (start >= 0) return start;
    const char *scenario = NULL, *out_dir = NULL, *seeds = NULL;
    sweep_options options = {0};
    uint64_t workers = pool_default_workers();
    bool quiet = false;
    sweep_format format = SWEEP_FORMAT_TEXT;
    for (int i = 0; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--seeds") == 0) seeds = value;
        int seed_option = sweep_seed_option(argc, argv, &i, &options.first_seed, &options.last_seed,
                                            &workers, usage_sweep);
        if (seed_option > 1) return seed_option;
        if (seed_option == 1) {
            continue;
        } else if (strcmp(argv[i], "--shard") == 0) {
            uint64_t k = 0, n = 0;
            const char *slash = value != NULL ? strchr(value, '/') : NULL;
            char head[24] = "";
            if (slash != NULL && (size_t)(slash - value) < sizeof head)
                memcpy(head, value, (size_t)(slash - value));
            if (slash == NULL || !cli_parse_u64(head, &k) || !cli_parse_u64(slash + 1, &n) ||
                n < 1 || n > 100000 || k < 1 || k > n)
                return cli_usage_error("--shard needs K/N with 1 <= K <= N <= 100000", usage_sweep);
            options.shard_index = (uint32_t)k;
            options.shard_count = (uint32_t)n;
            i++;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (value == NULL) return cli_usage_error("--out needs a directory", usage_sweep);
            out_dir = value;
            i++;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (!sweep_parse_format(value, &format))
                return cli_usage_error("--format needs text, json or md", usage_sweep);
            i++;
        } else if (strcmp(argv[i], "--keep-history") == 0) {
            options.history = KEEP_HISTORY_ALL;
        } else if (strcmp(argv[i], "--keep-failing-history") == 0) {
            options.history = KEEP_HISTORY_FAILING;
        } else if (strcmp(argv[i], "--check-determinism") == 0) {
            options.check_determinism = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(argv[i], "--strict") == 0) {
            options.strict = true;
        } else if (argv[i][0] == '-') {
            return cli_usage_errorf(usage_sweep, "unknown option '%s'", argv[i]);
        } else if (scenario != NULL) {
            return cli_usage_error("sweep takes one scenario file", usage_sweep);
        } else {
            scenario = argv[i];
        }
    }
    if (scenario == NULL) return cli_usage_error("sweep needs a scenario file", usage_sweep);
    if (seeds == NULL) return cli_usage_error("sweep needs --seeds A..B", usage_sweep);
    int n_history = 0;
    for (int i = 0; i < argc; i++)
        n_history += strcmp(argv[i], "--keep-history") == 0 ||
                     strcmp(argv[i], "--keep-failing-history") == 0;
    if (n_history > 1)
        return cli_usage_error("--keep-history and --keep-failing-history exclude each other",
                               usage_sweep);
    sweep_plan plan;
    int rc = sweep_plan_init(&plan, scenario, out_dir, &options);
    pool_job *jobs = rc == 0 ? calloc(plan.seed_count + 1, sizeof *jobs) : NULL;
    if (rc == 0) {
        BL_ASSERT(jobs != NULL);
        rc = sweep_plan_jobs(&plan, jobs);
    }
    if (rc != 0) {
        free(jobs);
        sweep_plan_free(&plan);
        return rc;
    }
    pool_options pool = {.workers = (uint32_t)workers, .quiet = quiet, .unit = "seeds"};
    bool all = pool_run(jobs, plan.seed_count, &pool);
    json_t *sweep = sweep_plan_collect(&plan, !all, (uint32_t)workers, quiet);
    if (sweep == NULL) {
        free(jobs);
        sweep_plan_free(&plan);
        return BL_EXIT_BAD_INPUT;
    }
    char path[JOB_PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/sweep.json", plan.out_dir);
    if (!quiet) sweep_print(stdout, sweep, format, format == SWEEP_FORMAT_JSON ? NULL : path);
    rc = plan.interrupted ? BL_EXIT_INTERRUPTED : sweep_exit_code(sweep);
    json_decref(sweep);
    free(jobs);
    sweep_plan_free(&plan);
    return rc;
}

/* ---- merge ---- */

/* Copies a shard seed's results.json into the merged directory. */
static int copy_seed_results(const char *shard_dir, const char *out_dir, uint64_t seed)
{
    char from[JOB_PATH_LEN + 64], dir[JOB_PATH_LEN + 64], to[JOB_PATH_LEN + 96];
    snprintf(from, sizeof from, "%s/seeds/%" PRIu64 "/results.json", shard_dir, seed);
    snprintf(dir, sizeof dir, "%s/seeds/%" PRIu64, out_dir, seed);
    snprintf(to, sizeof to, "%s/results.json", dir);
    FILE *file = fopen(from, "rb");
    if (file == NULL) return errno == ENOENT ? 0 : -1; /* a failed run wrote none */
    char *data = NULL;
    size_t length = 0, capacity = 0;
    char buffer[1 << 16];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, file)) > 0) {
        if (length + n > capacity) {
            capacity = (length + n) * 2;
            data = realloc(data, capacity);
            BL_ASSERT(data != NULL);
        }
        memcpy(data + length, buffer, n);
        length += n;
    }
    fclose(file);
    int rc = cli_make_dir(dir) == 0 ? atomic_file_write(to, data, length) : -1;
    free(data);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    static const char *const once[] = {"--out", "--format", "--quiet"};
    int start = cli_command_start(argc, argv, once, sizeof once / sizeof once[0], usage_merge);
    if (start >= 0) return start;
    const char *out_dir = NULL;
    bool quiet = false;
    sweep_format format = SWEEP_FORMAT_TEXT;
    const char **shards = calloc((size_t)argc + 1, sizeof *shards);
    BL_ASSERT(shards != NULL);
    uint32_t shard_count = 0;
    int rc = BL_EXIT_OK;
    for (int i = 0; i < argc && rc == BL_EXIT_OK; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--out") == 0) {
            if (value == NULL) rc = cli_usage_error("--out needs a directory", usage_merge);
            out_dir = value;
            i++;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (!sweep_parse_format(value, &format))
                rc = cli_usage_error("--format needs text, json or md", usage_merge);
            i++;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (argv[i][0] == '-') {
            rc = cli_usage_errorf(usage_merge, "unknown option '%s'", argv[i]);
        } else {
            shards[shard_count++] = argv[i];
        }
    }
    if (rc == BL_EXIT_OK && shard_count == 0)
        rc = cli_usage_error("merge needs the shard directories", usage_merge);
    json_t **documents = calloc(shard_count + 1, sizeof *documents);
    sweep_header *headers = calloc(shard_count + 1, sizeof *headers);
    BL_ASSERT(documents != NULL && headers != NULL);
    json_t *runs = json_array();
    for (uint32_t s = 0; s < shard_count && rc == BL_EXIT_OK; s++) {
        char path[JOB_PATH_LEN + 32], error[256];
        snprintf(path, sizeof path, "%s/sweep.json", shards[s]);
        json_error_t json_error;
        documents[s] = json_load_file(path, 0, &json_error);
        const json_t *shard_runs = NULL;
        if (documents[s] == NULL) {
            fprintf(stderr, "brokerlab: cannot read %s: %s\n", path, json_error.text);
            rc = BL_EXIT_BAD_INPUT;
        } else if (sweep_parse(documents[s], &headers[s], &shard_runs, error) != 0) {
            fprintf(stderr, "brokerlab: %s: %s\n", path, error);
            rc = BL_EXIT_BAD_INPUT;
        } else if (headers[s].shard_count == 0) {
            fprintf(stderr, "brokerlab: %s is not a shard (it was not made with --shard)\n", path);
            rc = BL_EXIT_BAD_INPUT;
        } else if (headers[s].partial) {
            fprintf(stderr, "brokerlab: %s is partial (interrupted): run that shard again\n", path);
            rc = BL_EXIT_BAD_INPUT;
        } else if (s > 0 && (strcmp(headers[s].scenario_sha256, headers[0].scenario_sha256) != 0 ||
                             headers[s].first_seed != headers[0].first_seed ||
                             headers[s].last_seed != headers[0].last_seed ||
                             headers[s].shard_count != headers[0].shard_count)) {
            fprintf(stderr,
                    "brokerlab: %s and %s/sweep.json are not shards of one sweep (scenario file,"
                    " seed range or shard count differ)\n",
                    path, shards[0]);
            rc = BL_EXIT_BAD_INPUT;
        } else if (s > 0 && !json_equal(json_object_get(documents[s], "git_commit"),
                                        json_object_get(documents[0], "git_commit"))) {
            fprintf(stderr, "brokerlab: %s comes from another brokerlab build (git_commit)\n",
                    path);
            rc = BL_EXIT_BAD_INPUT;
        }
        for (uint32_t t = 0; t < s && rc == BL_EXIT_OK; t++) {
            if (headers[t].shard_index != headers[s].shard_index) continue;
            fprintf(stderr, "brokerlab: shard %u/%u is given twice (%s and %s)\n",
                    headers[s].shard_index, headers[s].shard_count, shards[t], shards[s]);
            rc = BL_EXIT_BAD_INPUT;
        }
        size_t i;
        json_t *entry;
        json_array_foreach(shard_runs, i, entry)
        {
            if (rc != BL_EXIT_OK) break;
            uint64_t seed = (uint64_t)json_integer_value(json_object_get(entry, "seed"));
            if ((seed - headers[s].first_seed) % headers[s].shard_count !=
                headers[s].shard_index - 1) {
                fprintf(stderr, "brokerlab: %s holds seed %" PRIu64 ", not one of shard %u/%u\n",
                        path, seed, headers[s].shard_index, headers[s].shard_count);
                rc = BL_EXIT_BAD_INPUT;
                break;
            }
            BL_ASSERT(json_array_append(runs, entry) == 0);
        }
    }
    if (rc == BL_EXIT_OK && shard_count != headers[0].shard_count) {
        fprintf(stderr, "brokerlab: %u of %u shards given; merge needs all of them\n", shard_count,
                headers[0].shard_count);
        rc = BL_EXIT_BAD_INPUT;
    }
    uint64_t expected = rc == BL_EXIT_OK ? headers[0].last_seed - headers[0].first_seed + 1 : 0;
    if (rc == BL_EXIT_OK && json_array_size(runs) != expected) {
        fprintf(stderr, "brokerlab: the shards hold %zu runs for %" PRIu64 " seeds\n",
                json_array_size(runs), expected);
        rc = BL_EXIT_BAD_INPUT;
    }
    char merged_dir[JOB_PATH_LEN];
    if (rc == BL_EXIT_OK) {
        if (out_dir != NULL)
            snprintf(merged_dir, sizeof merged_dir, "%s", out_dir);
        else
            snprintf(merged_dir, sizeof merged_dir, "out/%s-sweep", headers[0].scenario);
        if (cli_make_dir(merged_dir) != 0) {
            fprintf(stderr, "brokerlab: cannot create %s: %s\n", merged_dir, strerror(errno));
            rc = BL_EXIT_BAD_INPUT;
        }
    }
    for (uint32_t s = 0; s < shard_count && rc == BL_EXIT_OK; s++) {
        size_t i;
        json_t *entry;
        json_array_foreach(json_object_get(documents[s], "runs"), i, entry)
        {
            uint64_t seed = (uint64_t)json_integer_value(json_object_get(entry, "seed"));
            if (rc == BL_EXIT_OK && copy_seed_results(shards[s], merged_dir, seed) != 0) {
                fprintf(stderr, "brokerlab: cannot copy seed %" PRIu64 " of %s: %s\n", seed,
                        shards[s], strerror(errno));
                rc = BL_EXIT_BAD_INPUT;
            }
        }
    }
    if (rc == BL_EXIT_OK) {
        sweep_header header = headers[0];
        header.shard_index = 0;
        header.shard_count = 0;
        json_t *sweep = sweep_build(&header, json_incref(runs));
        char *text = sweep_dumps(sweep);
        char path[JOB_PATH_LEN + 32];
        snprintf(path, sizeof path, "%s/sweep.json", merged_dir);
        size_t length = strlen(text);
        text[length] = '\n';
        if (atomic_file_write(path, text, length + 1) != 0) {
            fprintf(stderr, "brokerlab: cannot write %s: %s\n", path, strerror(errno));
            rc = BL_EXIT_BAD_INPUT;
        } else {
            if (!quiet)
                sweep_print(stdout, sweep, format, format == SWEEP_FORMAT_JSON ? NULL : path);
            rc = sweep_exit_code(sweep);
        }
        free(text);
        json_decref(sweep);
    }
    json_decref(runs);
    for (uint32_t s = 0; s < shard_count; s++) json_decref(documents[s]);
    free(documents);
    free(headers);
    free(shards);
    return rc;
}

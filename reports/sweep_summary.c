/* sweep_summary.c — per-seed entries and their aggregate, sweep.json (see
 * sweep_summary.h).
 *
 * The 95% confidence interval of a metric's mean over n seeds is Student's t interval,
 * mean ± t(0.975, n−1)·s/√n with s the sample standard deviation (GSL's
 * gsl_cdf_tdist_Pinv); it needs n ≥ 2 and is null otherwise. A metric a seed could
 * not measure (null in its results.json: no data) is counted apart and never averaged
 * as 0. Sums run in seed order, so the result does not depend on which worker finished
 * first. */
#include "sweep_summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "../engine/bl_assert.h"
#include "../engine/platform.h"

#define ERROR_LEN 256

static void set(json_t *object, const char *key, json_t *value)
{
    BL_ASSERTF(value != NULL, "cannot build sweep.json value %s", key);
    BL_ASSERT(json_object_set_new(object, key, value) == 0);
}

static void append(json_t *array, json_t *value)
{
    BL_ASSERT(value != NULL && json_array_append_new(array, value) == 0);
}

static json_t *u64_json(uint64_t value)
{
    BL_ASSERT(value <= (uint64_t)INT64_MAX);
    return json_integer((json_int_t)value);
}

/* ---- one seed ---- */

/* Copies the numbers (and nulls: no data) of `object` into metrics as PREFIX.KEY, one
 * level of nesting for latency families (PREFIX.latency.e2e.p99). */
static void flatten_numbers(json_t *metrics, const char *prefix, const json_t *object)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)object, key, value)
    {
        char name[512];
        snprintf(name, sizeof name, "%s.%s", prefix, key);
        if (json_is_number(value) || json_is_null(value)) {
            set(metrics, name, json_deep_copy(value));
        } else if (strcmp(key, "latency") == 0 && json_is_object(value)) {
            const char *family;
            json_t *stats;
            json_object_foreach(value, family, stats)
            {
                char family_name[600];
                snprintf(family_name, sizeof family_name, "%s.%s", name, family);
                if (json_is_object(stats)) flatten_numbers(metrics, family_name, stats);
            }
        }
    }
}

/* Flattens a section of named objects (groups, producers): SECTION.NAME.METRIC. */
static void flatten_section(json_t *metrics, const json_t *results, const char *section)
{
    const json_t *entries = json_object_get(results, section);
    const char *name;
    json_t *entry;
    json_object_foreach((json_t *)entries, name, entry)
    {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "%s.%s", section, name);
        if (json_is_object(entry)) flatten_numbers(metrics, prefix, entry);
    }
}

json_t *sweep_run_entry(const json_t *results, int exit_code, char *error)
{
    BL_ASSERT(exit_code == BL_EXIT_OK || exit_code == BL_EXIT_EXPECTATION);
    const json_t *seed = json_object_get(results, "seed");
    const json_t *expectations = json_object_get(results, "expectations");
    if (!json_is_object(results) ||
        json_integer_value(json_object_get(results, "brokerlab")) != 1 || !json_is_integer(seed) ||
        json_integer_value(seed) < 0 || !json_is_array(expectations) ||
        !json_is_object(json_object_get(results, "totals"))) {
        snprintf(error, ERROR_LEN, "not a brokerlab results.json (version 1)");
        return NULL;
    }
    json_t *entry = json_object();
    set(entry, "seed", json_deep_copy(seed));
    set(entry, "exit", json_integer(exit_code));
    set(entry, "held", json_boolean(exit_code == BL_EXIT_OK));
    const json_t *digest = json_object_get(results, "history_digest");
    set(entry, "history_digest", json_is_string(digest) ? json_deep_copy(digest) : json_null());
    json_t *metrics = json_object();
    flatten_numbers(metrics, "totals", json_object_get(results, "totals"));
    flatten_section(metrics, results, "groups");
    flatten_section(metrics, results, "producers");
    set(entry, "metrics", metrics);
    /* How many of the run's faults bit (results.json faults[i].effect.bit), so a
     * `sometimes` verdict can be read against the seeds where the faults hit. */
    const json_t *faults = json_object_get(results, "faults");
    if (json_is_array(faults)) {
        uint64_t bit = 0;
        size_t i;
        json_t *fault;
        json_array_foreach(faults, i, fault)
        {
            bit += json_is_true(json_object_get(json_object_get(fault, "effect"), "bit"));
        }
        json_t *counts = json_object();
        set(counts, "count", u64_json(json_array_size(faults)));
        set(counts, "bit", u64_json(bit));
        set(entry, "faults", counts);
    }
    json_t *copied = json_array();
    size_t i;
    json_t *expectation;
    json_array_foreach(expectations, i, expectation)
    {
        json_t *one = json_object();
        static const char *const keys[] = {"expr",     "kind",    "held",
                                           "observed", "against", "no_data"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const json_t *value = json_object_get(expectation, keys[k]);
            set(one, keys[k], value != NULL ? json_deep_copy(value) : json_null());
        }
        append(copied, one);
    }
    set(entry, "expectations", copied);
    return entry;
}

json_t *sweep_failed_entry(uint64_t seed, int exit_code, const char *reason)
{
    BL_ASSERT(exit_code != BL_EXIT_OK && exit_code != BL_EXIT_EXPECTATION);
    json_t *entry = json_object();
    set(entry, "seed", u64_json(seed));
    set(entry, "exit", json_integer(exit_code));
    set(entry, "held", json_false());
    set(entry, "error", json_string(reason));
    return entry;
}

/* ---- the aggregate ---- */

static uint64_t entry_seed(const json_t *entry)
{
    return (uint64_t)json_integer_value(json_object_get(entry, "seed"));
}

static int compare_seeds(const void *a, const void *b)
{
    uint64_t x = entry_seed(*(json_t *const *)a), y = entry_seed(*(json_t *const *)b);
    return x < y ? -1 : x > y;
}

static bool is_rate_metric(const char *name)
{
    size_t length = strlen(name);
    return length > 6 && strcmp(name + length - 6, "_per_s") == 0;
}

static bool is_time_metric(const char *name)
{
    size_t length = strlen(name);
    if (is_rate_metric(name)) return false;
    if (length > 2 && strcmp(name + length - 2, "_s") == 0) return true;
    return strstr(name, ".latency.") != NULL && strcmp(name + length - 6, ".count") != 0;
}

static void replay_command(char *out, size_t size, const sweep_header *header, uint64_t seed)
{
    snprintf(out, size, "%s run %s --seed %llu", SWEEP_REPLAY_PROGRAM, header->scenario_path,
             (unsigned long long)seed);
}

/* Per metric: n, no_data, mean, min, max and the 95% CI of the mean. */
static json_t *metrics_aggregate(json_t *const *runs, size_t run_count)
{
    json_t *names = json_object(); /* every metric name, in first-seen order */
    for (size_t r = 0; r < run_count; r++) {
        const char *name;
        json_t *value;
        json_object_foreach(json_object_get(runs[r], "metrics"), name, value)
        {
            if (json_object_get(names, name) == NULL) set(names, name, json_true());
        }
    }
    json_t *metrics = json_object();
    const char *name;
    json_t *unused;
    json_object_foreach(names, name, unused)
    {
        uint64_t n = 0, no_data = 0;
        double sum = 0;
        const json_t *min = NULL, *max = NULL;
        for (size_t r = 0; r < run_count; r++) {
            const json_t *all = json_object_get(runs[r], "metrics");
            if (all == NULL) continue; /* a failed run measured nothing */
            const json_t *value = json_object_get(all, name);
            if (value == NULL || json_is_null(value)) {
                no_data++;
                continue;
            }
            double x = json_number_value(value);
            n++;
            sum += x;
            if (min == NULL || x < json_number_value(min)) min = value;
            if (max == NULL || x > json_number_value(max)) max = value;
        }
        json_t *metric = json_object();
        set(metric, "unit",
            json_string(is_time_metric(name)   ? "s"
                        : is_rate_metric(name) ? "per_s"
                                               : "count"));
        set(metric, "n", u64_json(n));
        set(metric, "no_data", u64_json(no_data));
        double mean = n > 0 ? sum / (double)n : NAN;
        set(metric, "mean", n > 0 ? json_real(mean) : json_null());
        set(metric, "min", min != NULL ? json_deep_copy(min) : json_null());
        set(metric, "max", max != NULL ? json_deep_copy(max) : json_null());
        if (n >= 2) {
            double squares = 0;
            for (size_t r = 0; r < run_count; r++) {
                const json_t *value = json_object_get(json_object_get(runs[r], "metrics"), name);
                if (value == NULL || json_is_null(value)) continue;
                double d = json_number_value(value) - mean;
                squares += d * d;
            }
            double sd = sqrt(squares / (double)(n - 1));
            double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
            set(metric, "ci95_low", json_real(mean - half));
            set(metric, "ci95_high", json_real(mean + half));
        } else {
            set(metric, "ci95_low", json_null());
            set(metric, "ci95_high", json_null());
        }
        set(metrics, name, metric);
    }
    json_decref(names);
    return metrics;
}

/* The anomalies a seed can show, as the last part of a group metric's name. */
static bool is_anomaly_metric(const char *name)
{
    static const char *const anomalies[] = {".lost",      ".unacked_lost",        ".duplicated",
                                            ".reordered", ".reordered_partition", ".unavailable_s"};
    if (strncmp(name, "groups.", 7) != 0) return false;
    size_t length = strlen(name);
    for (size_t i = 0; i < sizeof anomalies / sizeof anomalies[0]; i++) {
        size_t a = strlen(anomalies[i]);
        if (length > a && strcmp(name + length - a, anomalies[i]) == 0) return true;
    }
    return false;
}

static json_t *anomalies_aggregate(const sweep_header *header, json_t *const *runs,
                                   size_t run_count, const json_t *metrics)
{
    json_t *anomalies = json_object();
    const char *name;
    json_t *unused;
    json_object_foreach((json_t *)metrics, name, unused)
    {
        if (!is_anomaly_metric(name)) continue;
        uint64_t seeds = 0, first = 0;
        for (size_t r = 0; r < run_count; r++) {
            const json_t *value = json_object_get(json_object_get(runs[r], "metrics"), name);
            if (!json_is_number(value) || json_number_value(value) <= 0) continue;
            if (seeds++ == 0) first = entry_seed(runs[r]);
        }
        json_t *anomaly = json_object();
        set(anomaly, "seeds", u64_json(seeds));
        set(anomaly, "first_seed", seeds > 0 ? u64_json(first) : json_null());
        char replay[4200];
        replay_command(replay, sizeof replay, header, first);
        set(anomaly, "replay", seeds > 0 ? json_string(replay) : json_null());
        set(anomalies, name, anomaly);
    }
    return anomalies;
}

/* Each expectation over the seeds: `always` must hold on every seed that ran,
 * `sometimes` on at least one; no seed that ran, no verdict but failed. */
static json_t *expectations_aggregate(const sweep_header *header, json_t *const *runs,
                                      size_t run_count)
{
    const json_t *model = NULL; /* the expectation list: the first run that has one */
    for (size_t r = 0; r < run_count && model == NULL; r++) {
        model = json_object_get(runs[r], "expectations");
    }
    json_t *out = json_array();
    size_t count = json_array_size(model);
    for (size_t i = 0; i < count; i++) {
        const json_t *first_entry = json_array_get(model, i);
        bool always =
            strcmp(json_string_value(json_object_get(first_entry, "kind")), "always") == 0;
        uint64_t held = 0, failed = 0, no_data = 0, first_failing = 0, first_held = 0;
        const json_t *no_data_reason = NULL; /* why the first seed without data had none */
        for (size_t r = 0; r < run_count; r++) {
            const json_t *list = json_object_get(runs[r], "expectations");
            if (list == NULL) continue;
            const json_t *one = json_array_get(list, i);
            BL_ASSERTF(one != NULL, "seed %llu has fewer expectations than another seed",
                       (unsigned long long)entry_seed(runs[r]));
            if (json_is_true(json_object_get(one, "held"))) {
                if (held++ == 0) first_held = entry_seed(runs[r]);
                continue;
            }
            if (failed++ == 0) first_failing = entry_seed(runs[r]);
            const json_t *reason = json_object_get(one, "no_data");
            if (json_is_string(reason) && no_data++ == 0) no_data_reason = reason;
        }
        bool verdict = always ? held > 0 && failed == 0 : held > 0;
        json_t *expectation = json_object();
        set(expectation, "expr", json_deep_copy(json_object_get(first_entry, "expr")));
        set(expectation, "kind", json_deep_copy(json_object_get(first_entry, "kind")));
        set(expectation, "held_seeds", u64_json(held));
        set(expectation, "failed_seeds", u64_json(failed));
        set(expectation, "no_data_seeds", u64_json(no_data));
        set(expectation, "no_data",
            no_data_reason != NULL ? json_deep_copy(no_data_reason) : json_null());
        set(expectation, "first_failing_seed", failed > 0 ? u64_json(first_failing) : json_null());
        set(expectation, "first_held_seed", held > 0 ? u64_json(first_held) : json_null());
        char replay[4200];
        replay_command(replay, sizeof replay, header, first_failing);
        set(expectation, "replay", failed > 0 ? json_string(replay) : json_null());
        set(expectation, "verdict", json_string(verdict ? "held" : "failed"));
        append(out, expectation);
    }
    return out;
}

/* Whether the faults bit, over the seeds: a `sometimes` that never held means little on
 * seeds where the fault it is about hit nothing. Null when the runs report no faults. */
static json_t *faults_aggregate(json_t *const *runs, size_t run_count)
{
    uint64_t with_faults = 0, every_bit = 0, none_bit = 0, per_run = 0;
    for (size_t r = 0; r < run_count; r++) {
        const json_t *faults = json_object_get(runs[r], "faults");
        if (faults == NULL) continue;
        uint64_t count = (uint64_t)json_integer_value(json_object_get(faults, "count"));
        uint64_t bit = (uint64_t)json_integer_value(json_object_get(faults, "bit"));
        if (count == 0) continue;
        per_run = count;
        with_faults++;
        every_bit += bit == count;
        none_bit += bit == 0;
    }
    if (with_faults == 0) return json_null();
    json_t *faults = json_object();
    set(faults, "per_run", u64_json(per_run));
    set(faults, "seeds_every_fault_bit", u64_json(every_bit));
    set(faults, "seeds_no_fault_bit", u64_json(none_bit));
    return faults;
}

json_t *sweep_build(const sweep_header *header, json_t *runs)
{
    BL_ASSERT(header != NULL && json_is_array(runs));
    BL_ASSERT(header->first_seed <= header->last_seed);
    BL_ASSERT(header->shard_count == 0 ||
              (header->shard_index >= 1 && header->shard_index <= header->shard_count));
    size_t run_count = json_array_size(runs);
    json_t **sorted = malloc((run_count + 1) * sizeof *sorted);
    BL_ASSERT(sorted != NULL);
    for (size_t r = 0; r < run_count; r++) sorted[r] = json_array_get(runs, r);
    qsort(sorted, run_count, sizeof *sorted, compare_seeds);
    json_t *ordered = json_array();
    for (size_t r = 0; r < run_count; r++) {
        BL_ASSERTF(r == 0 || entry_seed(sorted[r - 1]) != entry_seed(sorted[r]),
                   "seed %llu appears twice in a sweep", (unsigned long long)entry_seed(sorted[r]));
        BL_ASSERT(json_array_append(ordered, sorted[r]) == 0);
    }
    uint64_t failed_runs = 0;
    for (size_t r = 0; r < run_count; r++) {
        failed_runs += json_object_get(sorted[r], "error") != NULL;
    }

    json_t *root = json_object();
    set(root, "brokerlab_sweep", json_integer(SWEEP_FORMAT_VERSION));
    set(root, "version", json_string(BL_VERSION));
    set(root, "git_commit", json_string(BL_GIT_COMMIT));
    set(root, "simgrid_version", json_string(platform_simgrid_version()));
    set(root, "scenario", json_string(header->scenario));
    set(root, "scenario_path", json_string(header->scenario_path));
    set(root, "scenario_sha256", json_string(header->scenario_sha256));
    json_t *seeds = json_object();
    set(seeds, "first", u64_json(header->first_seed));
    set(seeds, "last", u64_json(header->last_seed));
    set(seeds, "count", u64_json(header->last_seed - header->first_seed + 1));
    set(root, "seeds", seeds);
    if (header->shard_count == 0) {
        set(root, "shard", json_null());
    } else {
        json_t *shard = json_object();
        set(shard, "index", json_integer(header->shard_index));
        set(shard, "count", json_integer(header->shard_count));
        set(root, "shard", shard);
    }
    set(root, "partial", json_boolean(header->partial));
    set(root, "completed", u64_json(run_count));
    set(root, "failed_runs", u64_json(failed_runs));
    set(root, "faults", faults_aggregate(sorted, run_count));
    json_t *metrics = metrics_aggregate(sorted, run_count);
    set(root, "anomalies", anomalies_aggregate(header, sorted, run_count, metrics));
    set(root, "expectations", expectations_aggregate(header, sorted, run_count));
    set(root, "metrics", metrics);
    set(root, "runs", ordered);
    free(sorted);
    json_decref(runs);
    return root;
}

char *sweep_dumps(const json_t *sweep)
{
    char *text = json_dumps(sweep, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    BL_ASSERTF(text != NULL, "cannot serialise sweep.json");
    return text;
}

size_t sweep_metric_section(const char *name)
{
    const char *dot = strchr(name, '.');
    if (dot == NULL) return 0;
    if (strncmp(name, "totals.", 7) == 0) return (size_t)(dot - name);
    const char *second = strchr(dot + 1, '.');
    return second != NULL ? (size_t)(second - name) : 0;
}

void sweep_section_label(const char *name, size_t length, char *out, size_t size)
{
    if (length > 7 && strncmp(name, "groups.", 7) == 0)
        snprintf(out, size, "group %.*s", (int)(length - 7), name + 7);
    else if (length > 10 && strncmp(name, "producers.", 10) == 0)
        snprintf(out, size, "%.*s", (int)(length - 10), name + 10);
    else
        snprintf(out, size, "%.*s", (int)length, name);
}

bool sweep_held(const json_t *sweep)
{
    if (json_integer_value(json_object_get(sweep, "failed_runs")) != 0) return false;
    if (json_integer_value(json_object_get(sweep, "completed")) == 0) return false;
    size_t i;
    json_t *expectation;
    json_array_foreach(json_object_get(sweep, "expectations"), i, expectation)
    {
        if (strcmp(json_string_value(json_object_get(expectation, "verdict")), "held") != 0)
            return false;
    }
    return true;
}

int sweep_parse(const json_t *sweep, sweep_header *header, const json_t **runs, char *error)
{
    memset(header, 0, sizeof *header);
    const json_t *seeds = json_object_get(sweep, "seeds");
    const json_t *shard = json_object_get(sweep, "shard");
    const json_t *sha = json_object_get(sweep, "scenario_sha256");
    *runs = json_object_get(sweep, "runs");
    if (json_integer_value(json_object_get(sweep, "brokerlab_sweep")) != SWEEP_FORMAT_VERSION ||
        !json_is_string(json_object_get(sweep, "scenario")) ||
        !json_is_string(json_object_get(sweep, "scenario_path")) || !json_is_string(sha) ||
        strlen(json_string_value(sha)) != 64 || !json_is_object(seeds) ||
        !json_is_integer(json_object_get(seeds, "first")) ||
        !json_is_integer(json_object_get(seeds, "last")) || !json_is_array(*runs) ||
        (!json_is_null(shard) && !json_is_object(shard))) {
        snprintf(error, ERROR_LEN, "not a brokerlab sweep.json (version %d)", SWEEP_FORMAT_VERSION);
        return -1;
    }
    header->scenario = json_string_value(json_object_get(sweep, "scenario"));
    header->scenario_path = json_string_value(json_object_get(sweep, "scenario_path"));
    memcpy(header->scenario_sha256, json_string_value(sha), 65);
    json_int_t first = json_integer_value(json_object_get(seeds, "first"));
    json_int_t last = json_integer_value(json_object_get(seeds, "last"));
    if (first < 0 || last < first) {
        snprintf(error, ERROR_LEN, "sweep.json has a bad seed range");
        return -1;
    }
    header->first_seed = (uint64_t)first;
    header->last_seed = (uint64_t)last;
    if (json_is_object(shard)) {
        json_int_t index = json_integer_value(json_object_get(shard, "index"));
        json_int_t count = json_integer_value(json_object_get(shard, "count"));
        if (count < 1 || count > UINT32_MAX || index < 1 || index > count) {
            snprintf(error, ERROR_LEN, "sweep.json has a bad shard");
            return -1;
        }
        header->shard_index = (uint32_t)index;
        header->shard_count = (uint32_t)count;
    }
    header->partial = json_is_true(json_object_get(sweep, "partial"));
    size_t i;
    json_t *entry;
    json_array_foreach(*runs, i, entry)
    {
        json_t *seed = json_object_get(entry, "seed");
        if (!json_is_integer(seed) || json_integer_value(seed) < first ||
            json_integer_value(seed) > last || !json_is_integer(json_object_get(entry, "exit"))) {
            snprintf(error, ERROR_LEN, "sweep.json runs[%zu] is not a run of seeds %lld..%lld", i,
                     (long long)first, (long long)last);
            return -1;
        }
    }
    return 0;
}

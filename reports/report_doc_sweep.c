/* report_doc_sweep.c — the report of a sweep, from its sweep.json (see report_doc.h):
 * the summary (scenario, seed range, partial or not, verdict), the expectations over the
 * seeds (always / sometimes, held on k of n, first failing seed and its replay), the
 * anomalies (seeds that showed each, first seed, replay), the per-metric aggregates
 * (mean, 95% CI, min, max, n), per-seed plots of the anomaly counts and the e2e p99, the
 * runs, then one seed looked into: its durability settings, faults and time series. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "report_doc_internal.h"

/* A family of per-seed metrics drawn in one plot: the metric keys under "groups." that
 * end with one of the suffixes. */
typedef struct doc_seed_family {
    const char *name; /* the plot's name in the document */
    const char *title;
    const char *y_label;
    const char *suffixes[3]; /* NULL-terminated */
    bool is_time;
} doc_seed_family;

static const doc_seed_family doc_seed_families[] = {
    {"seeds-anomalies",
     "Lost and duplicated messages per seed",
     "messages",
     {".lost", ".duplicated", NULL},
     false},
    {"seeds-e2e-p99",
     "End-to-end latency p99 per seed",
     "e2e latency p99 (s)",
     {".latency.e2e.p99", NULL, NULL},
     true},
};

static bool doc_ends_with(const char *text, const char *suffix)
{
    size_t length = strlen(text), suffix_length = strlen(suffix);
    return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

static uint64_t doc_seed_of(const json_t *object, const char *key, bool *found)
{
    const json_t *seed = doc_get(object, key);
    *found = json_is_integer(seed) && json_integer_value(seed) >= 0;
    return *found ? (uint64_t)json_integer_value(seed) : 0;
}

/* The anomaly metric whose first seed is the smallest; NULL if none. */
static const char *doc_first_anomaly(const json_t *sweep, uint64_t *seed)
{
    const char *first = NULL;
    const char *metric;
    const json_t *anomaly;
    json_object_foreach((json_t *)doc_get(sweep, "anomalies"), metric, anomaly)
    {
        bool found = false;
        uint64_t candidate = doc_seed_of(anomaly, "first_seed", &found);
        if (found && (first == NULL || candidate < *seed)) {
            first = metric;
            *seed = candidate;
        }
    }
    return first;
}

/* The expectation whose first failing seed is the smallest; NULL if none. */
static const char *doc_first_failure(const json_t *sweep, uint64_t *seed)
{
    const char *first = NULL;
    size_t i;
    const json_t *expectation;
    json_array_foreach(doc_get(sweep, "expectations"), i, expectation)
    {
        bool found = false;
        uint64_t candidate = doc_seed_of(expectation, "first_failing_seed", &found);
        if (found && (first == NULL || candidate < *seed)) {
            first = doc_get_string(expectation, "expr", "?");
            *seed = candidate;
        }
    }
    return first;
}

bool report_doc_sweep_focus_seed(const json_t *sweep, uint64_t *seed)
{
    BL_ASSERT(seed != NULL);
    if (doc_first_anomaly(sweep, seed) != NULL) return true;
    if (doc_first_failure(sweep, seed) != NULL) return true;
    bool found = false;
    *seed = doc_seed_of(json_array_get(doc_get(sweep, "runs"), 0), "seed", &found);
    return found;
}

static void doc_sweep_kv(doc *d, const char *key, doc_cell_kind kind, const char *value,
                         const char *css_class)
{
    doc_row row;
    doc_row_start(&row, css_class);
    doc_add_cell(&row, DOC_CELL_TEXT, "%s", key);
    doc_add_cell(&row, kind, "%s", value);
    doc_table_row(d, &row);
}

/* PASS when every expectation's verdict is "held"; counts them. */
static bool doc_sweep_verdict(const json_t *sweep, char *buf, size_t size)
{
    const json_t *expectations = doc_get(sweep, "expectations");
    size_t total = json_array_size(expectations), held = 0;
    for (size_t i = 0; i < total; i++) {
        const char *verdict = doc_get_string(json_array_get(expectations, i), "verdict", "");
        held += strcmp(verdict, "held") == 0;
    }
    if (total == 0) {
        snprintf(buf, size, "no expectations");
    } else if (held == total) {
        snprintf(buf, size, "PASS (%zu of %zu expectations held over the seeds)", held, total);
    } else {
        snprintf(buf, size, "FAIL (%zu of %zu expectations failed)", total - held, total);
    }
    return held == total;
}

static void doc_sweep_summary(doc *d, const json_t *sweep)
{
    static const char *const headers[] = {"field", "value"};
    char buf[DOC_CELL_LEN], a[DOC_TEXT_LEN], b[DOC_TEXT_LEN], c[DOC_TEXT_LEN];
    const json_t *seeds = doc_get(sweep, "seeds");
    doc_heading(d, 2, "summary", "Summary");
    doc_table_begin(d, headers, 2);
    doc_sweep_kv(d, "scenario", DOC_CELL_TEXT, doc_get_string(sweep, "scenario", "n/a"), NULL);
    doc_sweep_kv(d, "scenario file", DOC_CELL_CODE, doc_get_string(sweep, "scenario_path", "n/a"),
                 NULL);
    doc_sweep_kv(d, "scenario sha256", DOC_CELL_CODE,
                 doc_get_string(sweep, "scenario_sha256", "n/a"), NULL);
    if (d->target->source_dir != NULL) {
        doc_sweep_kv(d, "sweep directory", DOC_CELL_CODE, d->target->source_dir, NULL);
    }
    snprintf(buf, sizeof buf, "%s..%s (%s seeds)",
             doc_json_count(doc_get(seeds, "first"), "none", a),
             doc_json_count(doc_get(seeds, "last"), "none", b),
             doc_json_count(doc_get(seeds, "count"), "none", c));
    doc_sweep_kv(d, "seeds", DOC_CELL_TEXT, buf, NULL);
    const json_t *shard = doc_get(sweep, "shard");
    if (json_is_object(shard)) {
        snprintf(buf, sizeof buf, "shard %s of %s",
                 doc_json_count(doc_get(shard, "index"), "none", a),
                 doc_json_count(doc_get(shard, "count"), "none", b));
        doc_sweep_kv(d, "shard", DOC_CELL_TEXT, buf, NULL);
    }
    snprintf(buf, sizeof buf, "%s of %s", doc_json_count(doc_get(sweep, "completed"), "none", a),
             doc_json_count(doc_get(seeds, "count"), "none", b));
    doc_sweep_kv(d, "runs completed", DOC_CELL_NUM, buf, NULL);
    bool partial = json_is_true(doc_get(sweep, "partial"));
    doc_sweep_kv(d, "partial", DOC_CELL_STATUS,
                 partial ? "yes: the sweep was interrupted, figures cover the completed runs"
                         : "no",
                 partial ? "fail" : NULL);
    bool passed = doc_sweep_verdict(sweep, buf, sizeof buf);
    doc_sweep_kv(d, "verdict", DOC_CELL_STATUS, buf, passed ? "pass" : "fail");
    snprintf(buf, sizeof buf, "brokerlab %s (commit %s), SimGrid %s",
             doc_get_string(sweep, "version", "n/a"), doc_get_string(sweep, "git_commit", "n/a"),
             doc_get_string(sweep, "simgrid_version", "n/a"));
    doc_sweep_kv(d, "built by", DOC_CELL_TEXT, buf, NULL);
    doc_table_end(d);
}

static void doc_sweep_expectations(doc *d, const json_t *sweep)
{
    static const char *const headers[] = {
        "verdict", "kind", "expectation", "held on", "no data on", "first failing seed", "replay"};
    const json_t *expectations = doc_get(sweep, "expectations");
    doc_heading(d, 2, "expectations", "Expectations over the seeds");
    if (json_array_size(expectations) == 0) {
        doc_paragraph(d, "The scenario states no expectations.");
        return;
    }
    doc_paragraph(d, "always: must hold on every seed; sometimes: on at least one.");
    doc_table_begin(d, headers, 7);
    size_t i;
    const json_t *expectation;
    json_array_foreach(expectations, i, expectation)
    {
        const char *verdict = doc_get_string(expectation, "verdict", "n/a");
        bool held = strcmp(verdict, "held") == 0;
        double held_seeds = 0, failed_seeds = 0, no_data_seeds = 0;
        doc_get_number(expectation, "held_seeds", &held_seeds);
        doc_get_number(expectation, "failed_seeds", &failed_seeds);
        doc_get_number(expectation, "no_data_seeds", &no_data_seeds);
        char a[DOC_TEXT_LEN], b[DOC_TEXT_LEN], c[DOC_TEXT_LEN];
        doc_row row;
        doc_row_start(&row, held ? "pass" : "fail");
        doc_add_cell(&row, DOC_CELL_STATUS, "%s", verdict);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", doc_get_string(expectation, "kind", "n/a"));
        doc_add_cell(&row, DOC_CELL_CODE, "%s", doc_get_string(expectation, "expr", "n/a"));
        doc_add_cell(&row, DOC_CELL_NUM, "%s of %s seeds", doc_number(held_seeds, a),
                     doc_number(held_seeds + failed_seeds + no_data_seeds, b));
        doc_add_cell(&row, DOC_CELL_NUM, "%s", doc_number(no_data_seeds, c));
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_json_count(doc_get(expectation, "first_failing_seed"), "none", a));
        const char *replay = doc_get_string(expectation, "replay", NULL);
        doc_add_cell(&row, replay != NULL ? DOC_CELL_CODE : DOC_CELL_TEXT, "%s",
                     replay != NULL ? replay : "none");
        doc_table_row(d, &row);
    }
    doc_table_end(d);
}

/* Whether a sweep's anomaly entry counts any seed ("seeds" > 0, or not a number). */
static bool doc_anomaly_seen(const json_t *anomaly)
{
    const json_t *seeds = doc_get(anomaly, "seeds");
    return !json_is_integer(seeds) || json_integer_value(seeds) > 0;
}

static void doc_sweep_anomalies(doc *d, const json_t *sweep)
{
    static const char *const headers[] = {"metric", "seeds", "first seed", "replay"};
    const json_t *anomalies = doc_get(sweep, "anomalies");
    char completed[DOC_TEXT_LEN];
    doc_json_count(doc_get(sweep, "completed"), "none", completed);
    doc_heading(d, 2, "anomalies", "Anomalies over the seeds");
    size_t seen = 0;
    const char *metric;
    const json_t *anomaly;
    json_object_foreach((json_t *)anomalies, metric, anomaly) seen += doc_anomaly_seen(anomaly);
    if (seen == 0) {
        doc_paragraph(d, "No seed showed an anomaly.");
    } else {
        doc_table_begin(d, headers, 4);
        json_object_foreach((json_t *)anomalies, metric, anomaly)
        {
            if (!doc_anomaly_seen(anomaly)) continue;
            char a[DOC_TEXT_LEN], b[DOC_TEXT_LEN];
            doc_row row;
            doc_row_start(&row, NULL);
            doc_add_cell(&row, DOC_CELL_CODE, "%s", metric);
            doc_add_cell(&row, DOC_CELL_NUM, "%s of %s",
                         doc_json_count(doc_get(anomaly, "seeds"), "none", a), completed);
            doc_add_cell(&row, DOC_CELL_NUM, "%s",
                         doc_json_count(doc_get(anomaly, "first_seed"), "none", b));
            const char *replay = doc_get_string(anomaly, "replay", NULL);
            doc_add_cell(&row, replay != NULL ? DOC_CELL_CODE : DOC_CELL_TEXT, "%s",
                         replay != NULL ? replay : "none");
            doc_table_row(d, &row);
        }
        doc_table_end(d);
    }
    if (seen == json_object_size(anomalies)) return;
    char names[DOC_CELL_LEN];
    size_t n = 0;
    names[0] = '\0';
    json_object_foreach((json_t *)anomalies, metric, anomaly)
    {
        if (doc_anomaly_seen(anomaly) || n + 2 >= sizeof names) continue;
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n > 0 ? ", " : "", metric);
    }
    doc_paragraph(d, "Shown by no seed: %s.", names);
}

static const char *doc_metric_value(const json_t *value, bool is_time, const char *none, char *buf)
{
    return is_time ? doc_json_seconds(value, none, buf) : doc_json_count(value, none, buf);
}

static void doc_sweep_metrics(doc *d, const json_t *sweep)
{
    static const char *const headers[] = {"metric", "unit",   "n",   "no data",
                                          "mean",   "95% CI", "min", "max"};
    const json_t *metrics = doc_get(sweep, "metrics");
    doc_heading(d, 2, "metrics", "Metrics over the seeds");
    if (json_object_size(metrics) == 0) {
        doc_paragraph(d, "No metrics in sweep.json.");
        return;
    }
    doc_paragraph(d, "95%% CI: the confidence interval of the mean over the seeds (none when "
                     "fewer than 2 seeds had data).");
    doc_table_begin(d, headers, 8);
    uint32_t rows = 0;
    const char *metric;
    const json_t *aggregate;
    json_object_foreach((json_t *)metrics, metric, aggregate)
    {
        if (rows++ == REPORT_DOC_ROWS_MAX) break;
        const char *unit = doc_get_string(aggregate, "unit", "");
        bool is_time = strcmp(unit, "s") == 0;
        char n[DOC_TEXT_LEN], no_data[DOC_TEXT_LEN], mean[DOC_TEXT_LEN], low[DOC_TEXT_LEN],
            high[DOC_TEXT_LEN], min[DOC_TEXT_LEN], max[DOC_TEXT_LEN];
        doc_row row;
        doc_row_start(&row, NULL);
        doc_add_cell(&row, DOC_CELL_CODE, "%s", metric);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", unit[0] != '\0' ? unit : "n/a");
        doc_add_cell(&row, DOC_CELL_NUM, "%s", doc_json_count(doc_get(aggregate, "n"), "none", n));
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_json_count(doc_get(aggregate, "no_data"), "none", no_data));
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_metric_value(doc_get(aggregate, "mean"), is_time, "no data", mean));
        const json_t *ci_low = doc_get(aggregate, "ci95_low");
        const json_t *ci_high = doc_get(aggregate, "ci95_high");
        if (json_is_number(ci_low) && json_is_number(ci_high)) {
            doc_add_cell(&row, DOC_CELL_NUM, "%s .. %s",
                         doc_metric_value(ci_low, is_time, "none", low),
                         doc_metric_value(ci_high, is_time, "none", high));
        } else {
            doc_add_cell(&row, DOC_CELL_NUM, "none");
        }
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_metric_value(doc_get(aggregate, "min"), is_time, "no data", min));
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_metric_value(doc_get(aggregate, "max"), is_time, "no data", max));
        doc_table_row(d, &row);
    }
    doc_table_end(d);
    if (rows > REPORT_DOC_ROWS_MAX) {
        doc_paragraph(d, "(%zu metrics, the first %u shown)", json_object_size(metrics),
                      REPORT_DOC_ROWS_MAX);
    }
}

static void doc_sweep_runs(doc *d, const json_t *sweep)
{
    static const char *const headers[] = {"seed", "exit", "expectations held", "history digest"};
    const json_t *runs = doc_get(sweep, "runs");
    doc_heading(d, 2, "runs", "Runs");
    if (json_array_size(runs) == 0) {
        doc_paragraph(d, "No run completed.");
        return;
    }
    doc_table_begin(d, headers, 4);
    size_t i;
    const json_t *run;
    json_array_foreach(runs, i, run)
    {
        if (i == REPORT_DOC_ROWS_MAX) break;
        const json_t *held = doc_get(run, "held");
        char seed[DOC_TEXT_LEN], exit_code[DOC_TEXT_LEN];
        doc_row row;
        doc_row_start(&row, json_is_false(held) ? "fail" : NULL);
        doc_add_cell(&row, DOC_CELL_NUM, "%s", doc_json_count(doc_get(run, "seed"), "none", seed));
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_json_count(doc_get(run, "exit"), "none", exit_code));
        doc_add_cell(&row, DOC_CELL_STATUS, "%s",
                     json_is_true(held) ? "yes" : (json_is_false(held) ? "no" : "n/a"));
        doc_add_cell(&row, DOC_CELL_CODE, "%s", doc_get_string(run, "history_digest", "n/a"));
        doc_table_row(d, &row);
    }
    doc_table_end(d);
    if (json_array_size(runs) > REPORT_DOC_ROWS_MAX) {
        doc_paragraph(d, "(%zu runs, the first %u shown)", json_array_size(runs),
                      REPORT_DOC_ROWS_MAX);
    }
}

/* Whether a metric key belongs to the family: "groups.<name><suffix>". */
static bool doc_in_family(const char *metric, const doc_seed_family *family)
{
    if (strncmp(metric, "groups.", 7) != 0) return false;
    for (const char *const *suffix = family->suffixes; *suffix != NULL; suffix++) {
        if (doc_ends_with(metric, *suffix) && strlen(metric) > 7 + strlen(*suffix)) return true;
    }
    return false;
}

/* The metric keys of the family, in the order of the aggregate table (else the first
 * run's metrics), at most PLOT_SERIES_MAX. */
static uint32_t doc_family_metrics(const json_t *sweep, const doc_seed_family *family,
                                   const char **metrics)
{
    const json_t *source = doc_get(sweep, "metrics");
    if (json_object_size(source) == 0) {
        source = doc_get(json_array_get(doc_get(sweep, "runs"), 0), "metrics");
    }
    uint32_t count = 0;
    const char *metric;
    const json_t *value;
    json_object_foreach((json_t *)source, metric, value)
    {
        if (count < PLOT_SERIES_MAX && doc_in_family(metric, family)) metrics[count++] = metric;
    }
    return count;
}

static void doc_seed_plot(doc *d, const json_t *sweep, const doc_seed_family *family)
{
    const json_t *runs = doc_get(sweep, "runs");
    const char *metrics[PLOT_SERIES_MAX];
    uint32_t series_count = doc_family_metrics(sweep, family, metrics);
    uint32_t run_count = (uint32_t)(json_array_size(runs) < PLOT_POINTS_MAX ? json_array_size(runs)
                                                                            : PLOT_POINTS_MAX);
    if (series_count == 0 || run_count == 0) return;
    double *x = malloc(sizeof(double) * run_count);
    double *y = malloc(sizeof(double) * run_count * series_count);
    char(*names)[PLOT_TEXT_MAX] = malloc(sizeof(*names) * series_count);
    plot_series series[PLOT_SERIES_MAX];
    BL_ASSERT(x != NULL && y != NULL && names != NULL);
    for (uint32_t r = 0; r < run_count; r++) {
        const json_t *run = json_array_get(runs, r);
        double seed = NAN;
        x[r] = doc_get_number(run, "seed", &seed) ? seed : NAN;
        for (uint32_t s = 0; s < series_count; s++) {
            double value = NAN;
            y[s * run_count + r] =
                doc_get_number(doc_get(run, "metrics"), metrics[s], &value) ? value : NAN;
        }
    }
    for (uint32_t s = 0; s < series_count; s++) {
        const char *name = metrics[s] + strlen("groups.");
        snprintf(names[s], PLOT_TEXT_MAX, "%s", name);
        char *dot = strchr(names[s], '.');
        if (dot != NULL) *dot = ' '; /* "billing lost", "billing latency.e2e.p99" */
        series[s] = (plot_series){.name = names[s],
                                  .x = x,
                                  .y = y + (size_t)s * run_count,
                                  .point_count = run_count,
                                  .style = PLOT_POINTS};
    }
    double first = NAN, last = NAN;
    const json_t *seeds = doc_get(sweep, "seeds");
    bool ranged = doc_get_number(seeds, "first", &first) && doc_get_number(seeds, "last", &last);
    plot_spec spec = {.title = family->title,
                      .x_label = "seed",
                      .y_label = family->y_label,
                      .series = series,
                      .series_count = series_count,
                      .x_min = ranged ? first - 0.5 : NAN,
                      .x_max = ranged ? last + 0.5 : NAN,
                      .x_integer = true,
                      .y_from_zero = true};
    double y_min = 0, y_max = 0;
    spec.y_log =
        family->is_time && plot_y_extent(&spec, true, &y_min, &y_max) && y_max / y_min >= 100;
    doc_plot(d, family->name, &spec,
             family->is_time ? "One point per seed and group; no point: no data on that seed."
                             : "One point per seed and metric; 0 is drawn, no point: no data.");
    free(names);
    free(y);
    free(x);
}

static void doc_sweep_focus(doc *d, const json_t *sweep, const json_t *focus_results,
                            uint64_t focus_seed, const char *focus_missing)
{
    uint64_t seed = 0;
    const char *anomaly = doc_first_anomaly(sweep, &seed);
    const char *failure = anomaly == NULL ? doc_first_failure(sweep, &seed) : NULL;
    doc_heading(d, 2, "seed", "Seed %llu", (unsigned long long)focus_seed);
    if (anomaly != NULL && seed == focus_seed) {
        doc_paragraph(d, "The first seed that showed an anomaly (%s).", anomaly);
    } else if (failure != NULL && seed == focus_seed) {
        doc_paragraph(d, "The first seed on which an expectation failed (%s).", failure);
    } else {
        doc_paragraph(d, "No seed showed an anomaly: the first seed of the sweep.");
    }
    char replay[DOC_CELL_LEN];
    doc_replay_command(doc_get_string(sweep, "scenario_path", NULL), focus_seed, replay,
                       sizeof replay);
    doc_code_line(d, "Replay:", replay);
    if (focus_results == NULL) {
        doc_paragraph(d, "%s", focus_missing != NULL ? focus_missing : "Its results are missing.");
        return;
    }
    char suffix[64];
    snprintf(suffix, sizeof suffix, " (seed %llu)", (unsigned long long)focus_seed);
    doc_durability_section(d, focus_results, 3, suffix);
    doc_faults_section(d, focus_results, 3, suffix);
    doc_heading(d, 3, NULL, "Time series of seed %llu", (unsigned long long)focus_seed);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "seed%llu-", (unsigned long long)focus_seed);
    doc_run_plots(d, focus_results, prefix);
}

int report_doc_sweep(FILE *out, const json_t *sweep, const json_t *focus_results,
                     uint64_t focus_seed, const char *focus_missing,
                     const report_doc_target *target, char *error, size_t error_size)
{
    BL_ASSERT(out != NULL && target != NULL);
    char check[256];
    BL_ASSERTF(report_doc_check_sweep(sweep, check, sizeof check) == 0, "%s", check);
    BL_ASSERT(focus_results == NULL ||
              report_doc_check_results(focus_results, check, sizeof check) == 0);
    doc d = {.out = out,
             .format = target->format,
             .target = target,
             .error = error,
             .error_size = error_size};
    char title[DOC_CELL_LEN];
    snprintf(title, sizeof title, "brokerlab sweep report: %s",
             doc_get_string(sweep, "scenario", "sweep"));
    doc_begin(&d, title);
    doc_heading(&d, 1, NULL, "%s", title);
    doc_sweep_summary(&d, sweep);
    doc_sweep_expectations(&d, sweep);
    doc_sweep_anomalies(&d, sweep);
    doc_sweep_metrics(&d, sweep);
    doc_heading(&d, 2, "plots", "Per-seed plots");
    for (size_t f = 0; f < sizeof doc_seed_families / sizeof doc_seed_families[0]; f++) {
        doc_seed_plot(&d, sweep, &doc_seed_families[f]);
    }
    doc_sweep_runs(&d, sweep);
    if (json_array_size(doc_get(sweep, "runs")) > 0) {
        doc_sweep_focus(&d, sweep, focus_results, focus_seed, focus_missing);
    }
    doc_end(&d);
    return d.failed ? -1 : 0;
}

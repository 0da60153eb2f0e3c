/* report_doc.c — the report of one run, from its results.json (see report_doc.h): the
 * summary and verdict, the expectations, the effective durability settings, the fault
 * timeline, the anomaly, latency and producer tables, then three time-series plots with
 * the fault windows shaded. The sections of one run are also used by the sweep report
 * (report_doc_sweep.c) for the seed it looks into. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "report_doc_internal.h"

#define DOC_DURABILITY_COLUMNS_MAX (DOC_CELLS_MAX - 1u) /* settings shown per entry */

static int doc_check_format(const json_t *json, const char *key, const char *what, char *error,
                            size_t error_size)
{
    const json_t *format = doc_get(json, key);
    if (!json_is_object(json) || !json_is_integer(format)) {
        snprintf(error, error_size, "not a brokerlab %s (no \"%s\" format number)", what, key);
        return -1;
    }
    json_int_t version = json_integer_value(format);
    if (version < 1 || version > (json_int_t)REPORT_DOC_FORMAT_MAX) {
        snprintf(error, error_size,
                 "%s format %lld is not one this brokerlab reads (%u): written by another "
                 "version?",
                 what, (long long)version, REPORT_DOC_FORMAT_MAX);
        return -1;
    }
    return 0;
}

int report_doc_check_results(const json_t *results, char *error, size_t error_size)
{
    if (doc_check_format(results, "brokerlab", "results.json", error, error_size) != 0) return -1;
    if (!json_is_object(doc_get(results, "groups"))) {
        snprintf(error, error_size, "a brokerlab results.json without its \"groups\" object");
        return -1;
    }
    return 0;
}

int report_doc_check_sweep(const json_t *sweep, char *error, size_t error_size)
{
    if (doc_check_format(sweep, "brokerlab_sweep", "sweep.json", error, error_size) != 0) {
        return -1;
    }
    if (!json_is_array(doc_get(sweep, "runs"))) {
        snprintf(error, error_size, "a brokerlab sweep.json without its \"runs\" array");
        return -1;
    }
    return 0;
}

/* Whether an expectation's values are durations: its "unit" says so, or the metric it
 * names is a latency or a time (…_s). */
static bool doc_expectation_is_time(const json_t *expectation)
{
    const char *unit = doc_get_string(expectation, "unit", NULL);
    if (unit != NULL) return strcmp(unit, "s") == 0;
    const char *expr = doc_get_string(expectation, "expr", "");
    char metric[DOC_TEXT_LEN];
    snprintf(metric, sizeof metric, "%.*s", (int)strcspn(expr, " <>=!"), expr);
    size_t length = strlen(metric);
    if (strstr(metric, "latency") != NULL) return true;
    return length >= 2 && metric[length - 2] == '_' && metric[length - 1] == 's';
}

/* "40.000 s" as a scenario writes it, "40 s"; "2.10 ms" as "2.1 ms". */
static void doc_trim_zeros(char *text)
{
    char *point = strchr(text, '.');
    if (point == NULL) return;
    char *digits_end = point + 1 + strspn(point + 1, "0123456789");
    char *last = digits_end;
    while (last > point + 1 && last[-1] == '0') last--;
    if (last == point + 1) last = point; /* no decimals left: drop the point too */
    memmove(last, digits_end, strlen(digits_end) + 1);
}

static const char *doc_expectation_value(const json_t *expectation, const char *key, bool is_time,
                                         char *buf)
{
    const json_t *value = doc_get(expectation, key);
    if (is_time) {
        doc_json_seconds(value, "no data", buf);
        doc_trim_zeros(buf);
        return buf;
    }
    return doc_json_count(value, "no data", buf);
}

/* "PASS (3 of 3 held)", counting the run's expectations. */
static void doc_run_verdict(const json_t *results, char *buf, size_t size, bool *passed)
{
    const json_t *expectations = doc_get(results, "expectations");
    size_t total = json_is_array(expectations) ? json_array_size(expectations) : 0;
    size_t held = 0;
    for (size_t i = 0; i < total; i++) {
        held += json_is_true(doc_get(json_array_get(expectations, i), "held"));
    }
    *passed = held == total;
    if (total == 0) {
        snprintf(buf, size, "no expectations");
    } else if (held == total) {
        snprintf(buf, size, "PASS (%zu of %zu expectations held)", held, total);
    } else {
        snprintf(buf, size, "FAIL (%zu of %zu expectations failed)", total - held, total);
    }
}

static void doc_kv(doc *d, const char *key, doc_cell_kind kind, const char *value,
                   const char *css_class)
{
    doc_row row;
    doc_row_start(&row, css_class);
    doc_add_cell(&row, DOC_CELL_TEXT, "%s", key);
    doc_add_cell(&row, kind, "%s", value);
    doc_table_row(d, &row);
}

static void doc_run_summary(doc *d, const json_t *results)
{
    static const char *const headers[] = {"field", "value"};
    char buf[DOC_CELL_LEN], number[DOC_TEXT_LEN];
    const char *scenario_path = doc_get_string(results, "scenario_path", NULL);
    const json_t *seed = doc_get(results, "seed");
    doc_heading(d, 2, "summary", "Summary");
    doc_table_begin(d, headers, 2);
    doc_kv(d, "scenario", DOC_CELL_TEXT, doc_get_string(results, "scenario", "n/a"), NULL);
    doc_kv(d, "scenario file", DOC_CELL_CODE, scenario_path != NULL ? scenario_path : "n/a", NULL);
    if (d->target != NULL && d->target->source_dir != NULL) {
        doc_kv(d, "run directory", DOC_CELL_CODE, d->target->source_dir, NULL);
    }
    doc_kv(d, "seed", DOC_CELL_NUM, doc_json_count(seed, "none", number), NULL);
    doc_kv(d, "simulated time", DOC_CELL_NUM,
           doc_json_seconds(doc_get(results, "sim_time_s"), "none", number), NULL);
    bool passed = true;
    doc_run_verdict(results, buf, sizeof buf, &passed);
    doc_kv(d, "verdict", DOC_CELL_STATUS, buf, passed ? "pass" : "fail");
    if (json_is_integer(seed) && json_integer_value(seed) >= 0) {
        doc_replay_command(scenario_path, (uint64_t)json_integer_value(seed), buf, sizeof buf);
        doc_kv(d, "replay", DOC_CELL_CODE, buf, NULL);
    }
    const json_t *totals = doc_get(results, "totals");
    if (json_is_object(totals)) {
        char acked[DOC_TEXT_LEN], failed[DOC_TEXT_LEN], unknown[DOC_TEXT_LEN];
        snprintf(buf, sizeof buf, "produced %s, acked %s, failed %s, unknown outcome %s",
                 doc_json_count(doc_get(totals, "produced"), "none", number),
                 doc_json_count(doc_get(totals, "acked"), "none", acked),
                 doc_json_count(doc_get(totals, "failed"), "none", failed),
                 doc_json_count(doc_get(totals, "unknown"), "none", unknown));
        doc_kv(d, "messages", DOC_CELL_TEXT, buf, NULL);
    }
    snprintf(buf, sizeof buf, "%s (%s, %s records), digest %s",
             doc_get_string(results, "history_file", "not written"),
             doc_get_string(results, "history_format", "n/a"),
             doc_json_count(doc_get(results, "history_records"), "none", number),
             doc_get_string(results, "history_digest", "n/a"));
    doc_kv(d, "history", DOC_CELL_TEXT, buf, NULL);
    snprintf(buf, sizeof buf, "brokerlab %s (commit %s), SimGrid %s",
             doc_get_string(results, "version", "n/a"),
             doc_get_string(results, "git_commit", "n/a"),
             doc_get_string(results, "simgrid_version", "n/a"));
    doc_kv(d, "built by", DOC_CELL_TEXT, buf, NULL);
    doc_table_end(d);
}

static void doc_expectations_section(doc *d, const json_t *results)
{
    static const char *const headers[] = {"result",   "kind",    "expectation",
                                          "observed", "against", "note"};
    const json_t *expectations = doc_get(results, "expectations");
    doc_heading(d, 2, "expectations", "Expectations");
    if (!json_is_array(expectations) || json_array_size(expectations) == 0) {
        doc_paragraph(d, "The scenario states no expectations.");
        return;
    }
    doc_table_begin(d, headers, 6);
    size_t i;
    const json_t *expectation;
    json_array_foreach(expectations, i, expectation)
    {
        bool held = json_is_true(doc_get(expectation, "held"));
        bool is_time = doc_expectation_is_time(expectation);
        char observed[DOC_TEXT_LEN], against[DOC_TEXT_LEN];
        doc_row row;
        doc_row_start(&row, held ? "pass" : "fail");
        doc_add_cell(&row, DOC_CELL_STATUS, "%s", held ? "PASS" : "FAIL");
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", doc_get_string(expectation, "kind", "n/a"));
        doc_add_cell(&row, DOC_CELL_CODE, "%s", doc_get_string(expectation, "expr", "n/a"));
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_expectation_value(expectation, "observed", is_time, observed));
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_expectation_value(expectation, "against", is_time, against));
        const char *no_data = doc_get_string(expectation, "no_data", NULL);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s%s", no_data != NULL ? "no data: " : "",
                     no_data != NULL ? no_data : "");
        doc_table_row(d, &row);
    }
    doc_table_end(d);
}

/* The columns of one durability category: every setting any entry has, in the order
 * they first appear. Returns how many; *more counts the settings that did not fit. */
static uint32_t doc_durability_columns(const json_t *category, const char **columns, uint32_t *more)
{
    uint32_t count = 0;
    *more = 0;
    const char *entry_name;
    const json_t *entry;
    json_object_foreach((json_t *)category, entry_name, entry)
    {
        const char *key;
        const json_t *value;
        json_object_foreach((json_t *)entry, key, value)
        {
            bool seen = false;
            for (uint32_t c = 0; c < count && !seen; c++) seen = strcmp(columns[c], key) == 0;
            if (seen) continue;
            if (count < DOC_DURABILITY_COLUMNS_MAX) {
                columns[count++] = key;
            } else {
                (*more)++;
            }
        }
    }
    return count;
}

static void doc_durability_category(doc *d, int level, const char *name, const json_t *category)
{
    char buf[DOC_CELL_LEN];
    doc_heading(d, level, NULL, "%s", name);
    if (!json_is_object(category)) {
        doc_json_value(category, buf, sizeof buf);
        doc_paragraph(d, "%s", buf);
        return;
    }
    if (json_object_size(category) == 0) {
        doc_paragraph(d, "none");
        return;
    }
    const char *columns[DOC_CELLS_MAX];
    uint32_t more = 0;
    uint32_t count = doc_durability_columns(category, columns + 1, &more);
    columns[0] = "name";
    if (count == 0) { /* a flat category: setting → value */
        columns[0] = "setting";
        columns[++count] = "value";
    }
    doc_table_begin(d, columns, count + 1);
    const char *entry_name;
    const json_t *entry;
    json_object_foreach((json_t *)category, entry_name, entry)
    {
        doc_row row;
        doc_row_start(&row, NULL);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", entry_name);
        for (uint32_t c = 1; c <= count; c++) {
            const json_t *value = json_is_object(entry) ? doc_get(entry, columns[c]) : entry;
            if (json_is_object(entry) && value == NULL) {
                snprintf(buf, sizeof buf, "-");
            } else {
                doc_json_value(value, buf, sizeof buf);
            }
            doc_add_cell(&row, DOC_CELL_TEXT, "%s", buf);
        }
        doc_table_row(d, &row);
    }
    doc_table_end(d);
    if (more > 0) doc_paragraph(d, "(%u more settings not shown)", more);
}

void doc_durability_section(doc *d, const json_t *results, int level, const char *suffix)
{
    const json_t *durability = doc_get(results, "durability");
    if (durability == NULL) return; /* results written before durability was reported */
    doc_heading(d, level, "durability", "Durability settings%s", suffix);
    if (!json_is_object(durability) || json_object_size(durability) == 0) {
        doc_paragraph(d, "No durability settings reported.");
        return;
    }
    const char *category_name;
    const json_t *category;
    json_object_foreach((json_t *)durability, category_name, category)
    {
        doc_durability_category(d, level + 1, category_name, category);
    }
}

/* A fault's effect: its summary, then its other counters as "key value". */
static void doc_fault_effect(const json_t *effect, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "%s", doc_get_string(effect, "summary", ""));
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)effect, key, value)
    {
        if (strcmp(key, "bit") == 0 || strcmp(key, "summary") == 0 || n + 2 >= size) continue;
        char text[DOC_TEXT_LEN];
        doc_json_value(value, text, sizeof text);
        n += (size_t)snprintf(buf + n, size - n, "%s%s %s", n > 0 ? "; " : "", key, text);
    }
    if (n >= size) n = size - 1;
    if (n == 0) snprintf(buf, size, "n/a");
}

static void doc_fault_row(doc *d, const json_t *fault, size_t position)
{
    char number[DOC_TEXT_LEN], buf[DOC_CELL_LEN];
    const json_t *effect = doc_get(fault, "effect");
    const json_t *bit = doc_get(effect, "bit");
    doc_row row;
    doc_row_start(&row, json_is_false(bit) ? "quiet" : NULL);
    const json_t *index = doc_get(fault, "index");
    doc_add_cell(&row, DOC_CELL_NUM, "%s",
                 index != NULL ? doc_json_count(index, "none", number)
                               : doc_number((double)position, number));
    doc_add_cell(&row, DOC_CELL_TEXT, "%s", doc_get_string(fault, "kind", "n/a"));
    doc_add_cell(&row, DOC_CELL_CODE, "%s", doc_get_string(fault, "target", "n/a"));
    doc_add_cell(&row, DOC_CELL_NUM, "%s",
                 doc_json_seconds(doc_get(fault, "at_s"), "none", number));
    doc_add_cell(&row, DOC_CELL_NUM, "%s",
                 doc_json_seconds(doc_get(fault, "until_s"), "end of run", number));
    const json_t *nodes = doc_get(fault, "nodes");
    if (json_is_array(nodes)) {
        size_t n = 0, i;
        const json_t *node;
        buf[0] = '\0';
        json_array_foreach(nodes, i, node)
        {
            if (n + 2 >= sizeof buf) break;
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i > 0 ? ", " : "",
                                  json_is_string(node) ? json_string_value(node) : "?");
        }
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", json_array_size(nodes) == 0 ? "none" : buf);
    } else {
        doc_json_value(nodes, buf, sizeof buf);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", buf);
    }
    doc_add_cell(&row, DOC_CELL_STATUS, "%s",
                 json_is_true(bit) ? "bit" : (json_is_false(bit) ? "did not bite" : "n/a"));
    doc_fault_effect(effect, buf, sizeof buf);
    doc_add_cell(&row, DOC_CELL_TEXT, "%s", buf);
    doc_table_row(d, &row);
}

void doc_faults_section(doc *d, const json_t *results, int level, const char *suffix)
{
    static const char *const headers[] = {"#",     "kind",  "target", "from",
                                          "until", "nodes", "bit",    "effect"};
    const json_t *faults = doc_get(results, "faults");
    if (faults == NULL) return; /* results written before faults were reported */
    doc_heading(d, level, "faults", "Fault timeline%s", suffix);
    if (!json_is_array(faults) || json_array_size(faults) == 0) {
        doc_paragraph(d, "No faults: the scenario schedules none.");
        return;
    }
    doc_table_begin(d, headers, 8);
    size_t i;
    const json_t *fault;
    json_array_foreach(faults, i, fault) doc_fault_row(d, fault, i);
    doc_table_end(d);
}

static void doc_drain_text(const json_t *group, char *buf)
{
    const json_t *drain = doc_get(group, "drain_s");
    const json_t *drained = doc_get(group, "drained");
    if (json_is_number(drain)) {
        char duration[DOC_TEXT_LEN];
        snprintf(buf, DOC_TEXT_LEN, "drained in %s",
                 doc_seconds(json_number_value(drain), duration));
    } else if (json_is_false(drained)) {
        snprintf(buf, DOC_TEXT_LEN, "never drained");
    } else {
        doc_json_count(drain, "none", buf);
    }
}

static void doc_availability_section(doc *d, const json_t *groups)
{
    static const char *const headers[] = {"group", "unavailable", "peak backlog", "drain"};
    doc_heading(d, 2, "availability", "Availability and backlog");
    doc_paragraph(d, "unavailable: whole seconds in which a send failed, ended unknown or was "
                     "too slow; backlog: acknowledged minus processed messages.");
    doc_table_begin(d, headers, 4);
    const char *name;
    const json_t *group;
    json_object_foreach((json_t *)groups, name, group)
    {
        char number[DOC_TEXT_LEN], at[DOC_TEXT_LEN];
        doc_row row;
        doc_row_start(&row, NULL);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", name);
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_json_seconds(doc_get(group, "unavailable_s"), "none", number));
        const json_t *peak = doc_get(group, "peak_backlog");
        const json_t *peak_at = doc_get(group, "peak_backlog_at_s");
        doc_json_count(peak, "none", number);
        if (json_is_number(peak) && json_is_number(peak_at)) {
            doc_add_cell(&row, DOC_CELL_NUM, "%s at %s", number,
                         doc_seconds(json_number_value(peak_at), at));
        } else {
            doc_add_cell(&row, DOC_CELL_NUM, "%s", number);
        }
        doc_drain_text(group, number);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", number);
        doc_table_row(d, &row);
    }
    doc_table_end(d);
}

static void doc_anomalies_section(doc *d, const json_t *results)
{
    static const char *const headers[] = {"group",
                                          "topic",
                                          "produced",
                                          "acked",
                                          "consumed",
                                          "lost",
                                          "unacked lost",
                                          "duplicated",
                                          "deduplicated",
                                          "reordered (key)",
                                          "reordered (partition)",
                                          "redelivered"};
    static const char *const counts[] = {"produced",     "acked",        "consumed",
                                         "lost",         "unacked_lost", "duplicated",
                                         "deduplicated", "reordered",    "reordered_partition",
                                         "redelivered"};
    const json_t *groups = doc_get(results, "groups");
    doc_heading(d, 2, "anomalies", "Anomalies per consumer group");
    if (json_object_size(groups) == 0) {
        doc_paragraph(d, "No consumer groups.");
        return;
    }
    doc_table_begin(d, headers, sizeof headers / sizeof headers[0]);
    const char *name;
    const json_t *group;
    json_object_foreach((json_t *)groups, name, group)
    {
        char number[DOC_TEXT_LEN];
        doc_row row;
        doc_row_start(&row, NULL);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", name);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", doc_get_string(group, "topic", "n/a"));
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            doc_add_cell(&row, DOC_CELL_NUM, "%s",
                         doc_json_count(doc_get(group, counts[c]), "none", number));
        }
        doc_table_row(d, &row);
    }
    doc_table_end(d);
    doc_availability_section(d, groups);
}

/* One latency row: n and the percentiles, "no data" where there is none. */
static void doc_latency_row(doc *d, const char *owner, const char *kind, const json_t *latency)
{
    static const char *const keys[] = {"p50", "p99", "p999", "max", "mean"};
    char number[DOC_TEXT_LEN];
    doc_row row;
    doc_row_start(&row, NULL);
    doc_add_cell(&row, DOC_CELL_TEXT, "%s", owner);
    doc_add_cell(&row, DOC_CELL_TEXT, "%s", kind);
    doc_add_cell(&row, DOC_CELL_NUM, "%s",
                 doc_json_count(doc_get(latency, "count"), "none", number));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        doc_add_cell(&row, DOC_CELL_NUM, "%s",
                     doc_json_seconds(doc_get(latency, keys[k]), "no data", number));
    }
    doc_table_row(d, &row);
}

static void doc_latency_rows(doc *d, const json_t *owners, const char *prefix)
{
    const char *name;
    const json_t *owner;
    json_object_foreach((json_t *)owners, name, owner)
    {
        const json_t *latencies = doc_get(owner, "latency");
        const char *kind;
        const json_t *latency;
        char label[DOC_CELL_LEN];
        snprintf(label, sizeof label, "%s%s", prefix, name);
        json_object_foreach((json_t *)latencies, kind, latency)
        {
            doc_latency_row(d, label, kind, latency);
        }
    }
}

static void doc_latency_section(doc *d, const json_t *results)
{
    static const char *const headers[] = {
        "group / producer", "latency", "n", "p50", "p99", "p999", "max", "mean"};
    doc_heading(d, 2, "latency", "Latency");
    doc_paragraph(d, "ack: intended send time to acknowledgement; e2e: intended send time to "
                     "first processing.");
    doc_table_begin(d, headers, 8);
    doc_latency_rows(d, doc_get(results, "groups"), "group ");
    doc_latency_rows(d, doc_get(results, "producers"), "");
    doc_table_end(d);
}

static void doc_producers_section(doc *d, const json_t *results)
{
    static const char *const headers[] = {"producer", "sent", "acked", "failed", "unknown"};
    static const char *const counts[] = {"sent", "acked", "failed", "unknown"};
    const json_t *producers = doc_get(results, "producers");
    if (json_object_size(producers) == 0) return;
    doc_heading(d, 2, "producers", "Producers");
    doc_table_begin(d, headers, 5);
    const char *name;
    const json_t *producer;
    json_object_foreach((json_t *)producers, name, producer)
    {
        char number[DOC_TEXT_LEN];
        doc_row row;
        doc_row_start(&row, NULL);
        doc_add_cell(&row, DOC_CELL_TEXT, "%s", name);
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            doc_add_cell(&row, DOC_CELL_NUM, "%s",
                         doc_json_count(doc_get(producer, counts[c]), "none", number));
        }
        doc_table_row(d, &row);
    }
    doc_table_end(d);
}

/* The tables of one run, summary first. */
static void doc_run_tables(doc *d, const json_t *results)
{
    doc_run_summary(d, results);
    doc_expectations_section(d, results);
    doc_durability_section(d, results, 2, "");
    doc_faults_section(d, results, 2, "");
    doc_anomalies_section(d, results);
    doc_latency_section(d, results);
    doc_producers_section(d, results);
}

/* ---- time-series plots ---- */

/* The values a plot borrows, owned here so they are freed together. */
typedef struct doc_plot_data {
    plot_series series[PLOT_SERIES_MAX];
    char names[PLOT_SERIES_MAX][PLOT_TEXT_MAX];
    double *values[PLOT_SERIES_MAX]; /* y arrays */
    uint32_t series_count;
    double *x;
    uint32_t x_count;
    plot_window windows[PLOT_WINDOWS_MAX];
    char labels[PLOT_WINDOWS_MAX][PLOT_TEXT_MAX];
    uint32_t window_count;
    uint32_t window_total; /* faults in results, drawn or not */
} doc_plot_data;

/* A JSON array of numbers as doubles (null → NAN), `count` long (missing → NAN). */
static double *doc_values(const json_t *array, uint32_t count)
{
    double *values = malloc(sizeof(double) * (count > 0 ? count : 1));
    BL_ASSERT(values != NULL);
    for (uint32_t i = 0; i < count; i++) {
        const json_t *value = json_is_array(array) ? json_array_get(array, i) : NULL;
        values[i] = json_is_number(value) ? json_number_value(value) : NAN;
    }
    return values;
}

static void doc_add_series(doc_plot_data *data, const char *name, const json_t *values)
{
    if (data->series_count == PLOT_SERIES_MAX) return;
    uint32_t s = data->series_count++;
    snprintf(data->names[s], PLOT_TEXT_MAX, "%s", name);
    data->values[s] = doc_values(values, data->x_count);
    data->series[s] = (plot_series){.name = data->names[s],
                                    .x = data->x,
                                    .y = data->values[s],
                                    .point_count = data->x_count,
                                    .style = PLOT_LINES};
}

static void doc_clear_series(doc_plot_data *data)
{
    for (uint32_t s = 0; s < data->series_count; s++) free(data->values[s]);
    data->series_count = 0;
}

/* The fault windows: at_s to until_s, or to the end of the run when until_s is null. */
static void doc_fault_windows(doc_plot_data *data, const json_t *results, double end_s)
{
    const json_t *faults = doc_get(results, "faults");
    size_t i;
    const json_t *fault;
    json_array_foreach(faults, i, fault)
    {
        double at_s, until_s;
        if (!doc_get_number(fault, "at_s", &at_s) || !isfinite(at_s)) continue;
        data->window_total++;
        if (data->window_count == PLOT_WINDOWS_MAX) continue;
        if (!doc_get_number(fault, "until_s", &until_s) || until_s < at_s) until_s = end_s;
        if (until_s < at_s) until_s = at_s;
        uint32_t w = data->window_count++;
        const json_t *index = doc_get(fault, "index");
        bool missed = json_is_false(doc_get(doc_get(fault, "effect"), "bit"));
        snprintf(data->labels[w], PLOT_TEXT_MAX, "#%lld %s %s%s",
                 json_is_integer(index) ? (long long)json_integer_value(index) : (long long)i,
                 doc_get_string(fault, "kind", "fault"), doc_get_string(fault, "target", ""),
                 missed ? " (did not bite)" : "");
        data->windows[w] =
            (plot_window){.x_start = at_s, .x_end = until_s, .label = data->labels[w]};
    }
}

static plot_spec doc_time_spec(const doc_plot_data *data, const char *title, const char *y_label,
                               double end_s)
{
    return (plot_spec){.title = title,
                       .x_label = "simulated time (s)",
                       .y_label = y_label,
                       .series = data->series,
                       .series_count = data->series_count,
                       .windows = data->windows,
                       .window_count = data->window_count,
                       .x_min = 0,
                       .x_max = end_s > 0 ? end_s : NAN,
                       .y_from_zero = true};
}

/* Whether an earlier group (in file order) already reads `topic`. */
static bool doc_topic_seen(const json_t *groups, const char *group_name, const char *topic)
{
    const char *name;
    const json_t *group;
    json_object_foreach((json_t *)groups, name, group)
    {
        if (strcmp(name, group_name) == 0) return false;
        if (strcmp(doc_get_string(group, "topic", ""), topic) == 0) return true;
    }
    return false;
}

static void doc_plot_caption(char *caption, size_t size, const char *what,
                             const doc_plot_data *data, uint32_t groups_left_out)
{
    size_t n = (size_t)snprintf(caption, size, "%s", what);
    if (data->window_count > 0 && n < size) {
        n += (size_t)snprintf(caption + n, size - n, " Shaded: fault windows (%u).",
                              data->window_count);
    }
    if (data->window_total > data->window_count && n < size) {
        n += (size_t)snprintf(caption + n, size - n, " %u more faults not shaded.",
                              data->window_total - data->window_count);
    }
    if (groups_left_out > 0 && n < size) {
        snprintf(caption + n, size - n, " %u more groups not drawn.", groups_left_out);
    }
}

static void doc_rates_plot(doc *d, doc_plot_data *data, const json_t *groups, const char *name,
                           double end_s)
{
    uint32_t drawn = 0, left_out = 0;
    const char *group_name;
    const json_t *group;
    json_object_foreach((json_t *)groups, group_name, group)
    {
        if (drawn == REPORT_DOC_GROUPS_MAX) {
            left_out++;
            continue;
        }
        drawn++;
        const json_t *series = doc_get(group, "timeseries");
        const char *topic = doc_get_string(group, "topic", "?");
        char label[PLOT_TEXT_MAX];
        if (!doc_topic_seen(groups, group_name, topic)) {
            snprintf(label, sizeof label, "sent to %s", topic);
            doc_add_series(data, label, doc_get(series, "sent"));
            snprintf(label, sizeof label, "acked by %s", topic);
            doc_add_series(data, label, doc_get(series, "acked"));
        }
        snprintf(label, sizeof label, "consumed by %s", group_name);
        doc_add_series(data, label, doc_get(series, "consumed"));
    }
    plot_spec spec = doc_time_spec(data, "Produced, acknowledged and consumed per second",
                                   "messages per second (msg/s)", end_s);
    char caption[DOC_CELL_LEN];
    doc_plot_caption(caption, sizeof caption,
                     "Messages sent and acknowledged per topic and processed per consumer "
                     "group, per simulated second.",
                     data, left_out);
    doc_plot(d, name, &spec, caption);
    doc_clear_series(data);
}

static void doc_backlog_plot(doc *d, doc_plot_data *data, const json_t *groups, const char *name,
                             double end_s)
{
    uint32_t left_out = 0;
    const char *group_name;
    const json_t *group;
    json_object_foreach((json_t *)groups, group_name, group)
    {
        if (data->series_count == REPORT_DOC_GROUPS_MAX) {
            left_out++;
            continue;
        }
        doc_add_series(data, group_name, doc_get(doc_get(group, "timeseries"), "backlog"));
    }
    plot_spec spec = doc_time_spec(data, "Backlog per consumer group",
                                   "acknowledged, not yet processed (messages)", end_s);
    char caption[DOC_CELL_LEN];
    doc_plot_caption(caption, sizeof caption,
                     "Backlog: messages acknowledged to producers and not yet processed by the "
                     "group, at the end of each simulated second. Lost messages never leave it.",
                     data, left_out);
    doc_plot(d, name, &spec, caption);
    doc_clear_series(data);
}

static void doc_latency_plot(doc *d, doc_plot_data *data, const json_t *groups, const char *name,
                             double end_s)
{
    static const char *const keys[] = {"e2e_p50_s", "e2e_p99_s", "e2e_max_s"};
    static const char *const labels[] = {"p50", "p99", "max"};
    uint32_t drawn = 0, left_out = 0;
    const char *group_name;
    const json_t *group;
    json_object_foreach((json_t *)groups, group_name, group)
    {
        if (drawn == REPORT_DOC_GROUPS_MAX) {
            left_out++;
            continue;
        }
        drawn++;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            char label[PLOT_TEXT_MAX];
            snprintf(label, sizeof label, "%s %s", group_name, labels[k]);
            doc_add_series(data, label, doc_get(doc_get(group, "timeseries"), keys[k]));
        }
    }
    plot_spec spec = doc_time_spec(data, "End-to-end latency per second",
                                   "intended send to first processing (s)", end_s);
    double y_min = 0, y_max = 0;
    spec.y_log = plot_y_extent(&spec, true, &y_min, &y_max) && y_max / y_min >= 100;
    char caption[DOC_CELL_LEN];
    doc_plot_caption(caption, sizeof caption,
                     spec.y_log ? "Percentiles of the end-to-end latency of the messages first "
                                  "processed in each simulated second (logarithmic axis); gaps: "
                                  "nothing processed."
                                : "Percentiles of the end-to-end latency of the messages first "
                                  "processed in each simulated second; gaps: nothing processed.",
                     data, left_out);
    doc_plot(d, name, &spec, caption);
    doc_clear_series(data);
}

void doc_run_plots(doc *d, const json_t *results, const char *prefix)
{
    const json_t *groups = doc_get(results, "groups");
    doc_plot_data *data = calloc(1, sizeof *data);
    BL_ASSERT(data != NULL);
    /* The shared x axis: the first group's t_s (every group covers the same seconds). */
    const json_t *t_s = NULL;
    const char *group_name;
    const json_t *group;
    json_object_foreach((json_t *)groups, group_name, group)
    {
        t_s = doc_get(doc_get(group, "timeseries"), "t_s");
        break;
    }
    if (!json_is_array(t_s) || json_array_size(t_s) == 0) {
        doc_paragraph(d, "No time series in results.json: nothing to plot.");
        free(data);
        return;
    }
    size_t count = json_array_size(t_s);
    data->x_count = count > PLOT_POINTS_MAX ? PLOT_POINTS_MAX : (uint32_t)count;
    data->x = doc_values(t_s, data->x_count);
    double end_s = 0;
    if (!doc_get_number(results, "sim_time_s", &end_s) || !(end_s > 0)) {
        end_s = data->x[data->x_count - 1] + 1;
    }
    doc_fault_windows(data, results, end_s);
    char name[PLOT_ID_MAX];
    snprintf(name, sizeof name, "%srates", prefix);
    doc_rates_plot(d, data, groups, name, end_s);
    snprintf(name, sizeof name, "%sbacklog", prefix);
    doc_backlog_plot(d, data, groups, name, end_s);
    snprintf(name, sizeof name, "%slatency", prefix);
    doc_latency_plot(d, data, groups, name, end_s);
    free(data->x);
    free(data);
}

int report_doc_run(FILE *out, const json_t *results, const report_doc_target *target, char *error,
                   size_t error_size)
{
    BL_ASSERT(out != NULL && target != NULL);
    char check[256];
    BL_ASSERTF(report_doc_check_results(results, check, sizeof check) == 0, "%s", check);
    doc d = {.out = out,
             .format = target->format,
             .target = target,
             .error = error,
             .error_size = error_size};
    char title[DOC_CELL_LEN];
    snprintf(title, sizeof title, "brokerlab report: %s",
             doc_get_string(results, "scenario", "run"));
    doc_begin(&d, title);
    doc_heading(&d, 1, NULL, "%s", title);
    doc_run_tables(&d, results);
    doc_heading(&d, 2, "plots", "Plots");
    doc_run_plots(&d, results, "");
    doc_end(&d);
    return d.failed ? -1 : 0;
}

int report_doc_markdown_summary(FILE *out, const json_t *results)
{
    BL_ASSERT(out != NULL);
    char check[256];
    BL_ASSERTF(report_doc_check_results(results, check, sizeof check) == 0, "%s", check);
    doc d = {.out = out, .format = REPORT_DOC_MARKDOWN, .target = NULL};
    char title[DOC_CELL_LEN];
    snprintf(title, sizeof title, "brokerlab run: %s", doc_get_string(results, "scenario", "run"));
    doc_begin(&d, title);
    doc_heading(&d, 1, NULL, "%s", title);
    doc_run_tables(&d, results);
    doc_end(&d);
    return d.failed ? -1 : 0;
}

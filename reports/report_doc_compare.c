/* report_doc_compare.c — the report of `brokerlab compare` (compare.json): the designs
 * and their durability settings side by side, every metric's mean ± its 95% confidence
 * half-width and ratio to the first design, each design's expectation verdicts, and
 * overlay plots (one line per design) of consumption, backlog and end-to-end p99 over
 * time from each design's first seed. Built on the same primitives as the run and
 * sweep reports (report_doc_internal.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "report_doc_internal.h"

/* One design's first-group time series, for the overlays. */
typedef struct compare_series {
    double *x;
    double *y;
    uint32_t count;
    char name[PLOT_TEXT_MAX];
} compare_series;

static double *json_numbers(const json_t *array, uint32_t count)
{
    double *values = malloc(sizeof(double) * (count > 0 ? count : 1));
    BL_ASSERT(values != NULL);
    for (uint32_t i = 0; i < count; i++) {
        const json_t *value = json_array_get(array, i);
        values[i] = json_is_number(value) ? json_number_value(value) : NAN;
    }
    return values;
}

/* An overlay of `key` from every design's first group, one series per design. */
static void overlay_plot(doc *d, const json_t *compare, const json_t *const *results,
                         const char *key, const char *name, const char *title, const char *y_label,
                         const char *caption)
{
    const json_t *columns = doc_get(compare, "columns");
    size_t count = json_array_size(columns);
    if (count > PLOT_SERIES_MAX) count = PLOT_SERIES_MAX;
    compare_series *data = calloc(count + 1, sizeof *data);
    plot_series *series = calloc(count + 1, sizeof *series);
    BL_ASSERT(data != NULL && series != NULL);
    uint32_t drawn = 0;
    for (size_t c = 0; c < count; c++) {
        const char *group_name;
        const json_t *group, *timeseries = NULL;
        json_object_foreach((json_t *)doc_get(results[c], "groups"), group_name, group)
        {
            timeseries = doc_get(group, "timeseries");
            break;
        }
        const json_t *t_s = doc_get(timeseries, "t_s");
        if (!json_is_array(t_s)) continue;
        size_t points = json_array_size(t_s);
        if (points > PLOT_POINTS_MAX) points = PLOT_POINTS_MAX;
        compare_series *one = &data[drawn];
        one->count = (uint32_t)points;
        one->x = json_numbers(t_s, one->count);
        one->y = json_numbers(doc_get(timeseries, key), one->count);
        snprintf(one->name, sizeof one->name, "[%zu] %s", c + 1,
                 doc_get_string(json_array_get(columns, c), "label", "?"));
        series[drawn] = (plot_series){.name = one->name,
                                      .x = one->x,
                                      .y = one->y,
                                      .point_count = one->count,
                                      .style = PLOT_LINES};
        drawn++;
    }
    plot_spec spec = {.title = title,
                      .x_label = "simulated time (s)",
                      .y_label = y_label,
                      .series = series,
                      .series_count = drawn,
                      .x_min = 0,
                      .x_max = NAN,
                      .y_from_zero = true};
    doc_plot(d, name, &spec, caption);
    for (uint32_t s = 0; s < drawn; s++) {
        free(data[s].x);
        free(data[s].y);
    }
    free(data);
    free(series);
}

static void flatten_into(json_t *out, const char *prefix, const json_t *object)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)object, key, value)
    {
        char name[512];
        snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", key);
        if (json_is_object(value)) {
            flatten_into(out, name, value);
            continue;
        }
        char text[DOC_CELL_LEN];
        doc_json_value(value, text, sizeof text);
        json_object_set_new(out, name, json_string(text));
    }
}

json_t *report_doc_flatten_settings(const json_t *durability)
{
    json_t *out = json_object();
    if (json_is_object(durability)) flatten_into(out, "", durability);
    return out;
}

static void settings_table(doc *d, const json_t *columns, size_t count)
{
    json_t **settings = calloc(count + 1, sizeof *settings);
    json_t *keys = json_object();
    BL_ASSERT(settings != NULL);
    for (size_t c = 0; c < count; c++) {
        settings[c] =
            report_doc_flatten_settings(doc_get(json_array_get(columns, c), "durability"));
        const char *key;
        json_t *unused;
        json_object_foreach(settings[c], key, unused) json_object_set_new(keys, key, json_true());
    }
    doc_heading(d, 2, "durability", "Durability settings");
    if (json_object_size(keys) == 0) {
        doc_paragraph(d, "The runs did not report their durability settings.");
    } else {
        const char *headers[DOC_CELLS_MAX] = {"setting"};
        char labels[DOC_CELLS_MAX][24];
        for (size_t c = 0; c < count; c++) {
            snprintf(labels[c], sizeof labels[c], "[%zu]", c + 1);
            headers[c + 1] = labels[c];
        }
        doc_table_begin(d, headers, (uint32_t)count + 1);
        const char *key;
        json_t *unused;
        json_object_foreach(keys, key, unused)
        {
            doc_row row;
            doc_row_start(&row, NULL);
            doc_add_cell(&row, DOC_CELL_CODE, "%s", key);
            bool differs = false;
            const char *first = json_string_value(json_object_get(settings[0], key));
            for (size_t c = 0; c < count; c++) {
                const char *text = json_string_value(json_object_get(settings[c], key));
                differs |= text == NULL || first == NULL || strcmp(text, first) != 0;
                doc_add_cell(&row, DOC_CELL_TEXT, "%s", text != NULL ? text : "-");
            }
            row.css_class = differs ? "fail" : NULL; /* the settings that tell designs apart */
            doc_table_row(d, &row);
        }
        doc_table_end(d);
    }
    for (size_t c = 0; c < count; c++) json_decref(settings[c]);
    free(settings);
    json_decref(keys);
}

static void metric_cell(doc_row *row, const json_t *cell, bool seconds, bool first)
{
    double mean, low, high, ratio;
    if (!doc_get_number(cell, "mean", &mean)) {
        doc_add_cell(row, DOC_CELL_NUM, "none");
        return;
    }
    char value[DOC_TEXT_LEN], half[DOC_TEXT_LEN] = "", text[3 * DOC_TEXT_LEN];
    if (seconds)
        doc_seconds(mean, value);
    else
        doc_number(mean, value);
    if (doc_get_number(cell, "ci95_low", &low) && doc_get_number(cell, "ci95_high", &high)) {
        char h[DOC_TEXT_LEN];
        double width = (high - low) / 2;
        snprintf(half, sizeof half, " ± %s",
                 seconds ? doc_seconds(width, h) : doc_number(width, h));
    }
    snprintf(text, sizeof text, "%s%s", value, half);
    if (!first && doc_get_number(cell, "ratio", &ratio))
        doc_add_cell(row, DOC_CELL_NUM, "%s (×%.2f)", text, ratio);
    else
        doc_add_cell(row, DOC_CELL_NUM, "%s", text);
}

int report_doc_compare(FILE *out, const json_t *compare, const json_t *const *column_results,
                       const report_doc_target *target, char *error, size_t error_size)
{
    BL_ASSERT(out != NULL && compare != NULL && column_results != NULL && target != NULL);
    const json_t *columns = doc_get(compare, "columns");
    size_t count = json_array_size(columns);
    BL_ASSERTF(count >= 1 && count < DOC_CELLS_MAX, "a comparison of %zu designs", count);
    doc d = {.out = out,
             .format = target->format,
             .target = target,
             .error = error,
             .error_size = error_size};
    const json_t *seeds = doc_get(compare, "seeds");
    doc_begin(&d, "brokerlab compare");
    doc_heading(&d, 1, "summary", "Comparison of %zu designs", count);
    doc_paragraph(&d,
                  "Seeds %lld..%lld for each design. Each cell: the mean over the seeds ± "
                  "the half-width of its 95%% confidence interval (Student's t), and its "
                  "ratio to design [1].",
                  (long long)json_integer_value(doc_get(seeds, "first")),
                  (long long)json_integer_value(doc_get(seeds, "last")));
    static const char *const design_headers[] = {"design", "label", "scenario", "runs",
                                                 "expectations"};
    doc_table_begin(&d, design_headers, 5);
    for (size_t c = 0; c < count; c++) {
        const json_t *column = json_array_get(columns, c);
        uint32_t held = 0, total = 0;
        size_t i;
        const json_t *expectation;
        json_array_foreach(doc_get(column, "expectations"), i, expectation)
        {
            total++;
            held += strcmp(doc_get_string(expectation, "verdict", ""), "held") == 0;
        }
        doc_row row;
        doc_row_start(&row, held == total ? "pass" : "fail");
        doc_add_cell(&row, DOC_CELL_TEXT, "[%zu]", c + 1);
        doc_add_cell(&row, DOC_CELL_CODE, "%s", doc_get_string(column, "label", "?"));
        doc_add_cell(&row, DOC_CELL_CODE, "%s", doc_get_string(column, "scenario_path", "?"));
        doc_add_cell(&row, DOC_CELL_NUM, "%lld",
                     (long long)json_integer_value(doc_get(column, "completed")));
        doc_add_cell(&row, DOC_CELL_STATUS, "%u of %u held", held, total);
        doc_table_row(&d, &row);
    }
    doc_table_end(&d);
    settings_table(&d, columns, count);

    doc_heading(&d, 2, "metrics", "Metrics");
    const char *headers[DOC_CELLS_MAX] = {"metric"};
    char labels[DOC_CELLS_MAX][24];
    for (size_t c = 0; c < count; c++) {
        snprintf(labels[c], sizeof labels[c], "[%zu]", c + 1);
        headers[c + 1] = labels[c];
    }
    doc_table_begin(&d, headers, (uint32_t)count + 1);
    size_t r, rows_shown = 0;
    const json_t *row_json;
    json_array_foreach(doc_get(compare, "rows"), r, row_json)
    {
        if (rows_shown++ == REPORT_DOC_ROWS_MAX) break;
        bool seconds = strcmp(doc_get_string(row_json, "unit", "count"), "s") == 0;
        doc_row row;
        doc_row_start(&row, NULL);
        doc_add_cell(&row, DOC_CELL_CODE, "%s", doc_get_string(row_json, "metric", "?"));
        size_t v;
        const json_t *cell;
        json_array_foreach(doc_get(row_json, "values"), v, cell)
        {
            if (v + 1 < DOC_CELLS_MAX) metric_cell(&row, cell, seconds, v == 0);
        }
        doc_table_row(&d, &row);
    }
    doc_table_end(&d);

    doc_heading(&d, 2, "over-time", "Over time (each design's first seed)");
    overlay_plot(&d, compare, column_results, "consumed", "consumed", "Consumed per second",
                 "messages per second (msg/s)",
                 "Messages the first consumer group processed per simulated second, one line "
                 "per design.");
    overlay_plot(&d, compare, column_results, "backlog", "backlog", "Backlog",
                 "acknowledged, not yet processed (messages)",
                 "The first group's backlog at the end of each simulated second, one line per "
                 "design.");
    overlay_plot(&d, compare, column_results, "e2e_p99_s", "latency", "End-to-end p99",
                 "intended send to first processing (s)",
                 "The 99th percentile of the end-to-end latency of the messages first processed "
                 "in each simulated second, one line per design; gaps: nothing processed.");
    doc_end(&d);
    return d.failed ? -1 : 0;
}

/* test_report_doc.c — unit tests of the gnuplot driver (reports/plot.c) and the report
 * writers (reports/report_doc*.c) on hand-made JSON: SVG made fit to inline (no prolog,
 * every id prefixed, series named), equal specs give equal bytes, an empty plot is a
 * "no data" frame, PNG bytes; null shown as "none"/"no data" and never 0; text from
 * results.json escaped in HTML and Markdown; foreign JSON refused; a sweep looks into
 * the first seed that showed an anomaly. Needs gnuplot (Debian's gnuplot-nox). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../reports/plot.h"
#include "../../reports/report_doc.h"

#define POINTS 5u

static const double g_x[POINTS] = {0, 1, 2, 3, 4};
static const double g_y[POINTS] = {1, 3, NAN, 2, 5};

static plot_spec two_series_spec(plot_series *series, plot_window *window)
{
    series[0] = (plot_series){"sent <to> orders", g_x, g_y, POINTS, PLOT_LINES};
    series[1] = (plot_series){"marks", g_x, g_y, POINTS, PLOT_POINTS};
    *window = (plot_window){1.5, 2.5, "#0 kill9 leader(orders/0)"};
    return (plot_spec){.id = "t1",
                       .title = "A \"quoted\" title",
                       .x_label = "simulated time (s)",
                       .y_label = "messages per second (msg/s)",
                       .series = series,
                       .series_count = 2,
                       .windows = window,
                       .window_count = 1,
                       .x_min = 0,
                       .x_max = 5,
                       .y_from_zero = true};
}

static void test_svg_inline_and_deterministic(void **state)
{
    (void)state;
    plot_series series[2];
    plot_window window;
    plot_spec spec = two_series_spec(series, &window);
    plot_image first, second;
    char error[PLOT_ERROR_LEN] = "";
    assert_int_equal(plot_render(&spec, PLOT_SVG, &first, error, sizeof error), 0);
    assert_int_equal(plot_render(&spec, PLOT_SVG, &second, error, sizeof error), 0);
    assert_int_equal(first.length, second.length);
    assert_memory_equal(first.data, second.data, first.length);
    assert_true(strncmp(first.data, "<svg id=\"t1\" class=\"plot\"", 25) == 0);
    assert_null(strstr(first.data, "<?xml"));
    assert_null(strstr(first.data, "id='gp")); /* every id prefixed */
    assert_null(strstr(first.data, "href='#gp"));
    assert_non_null(strstr(first.data, "id='t1-gpPt0'"));
    assert_non_null(strstr(first.data, "id=\"t1-gnuplot_plot_1\""));
    assert_non_null(strstr(first.data, "<title>sent &lt;to&gt; orders</title>"));
    assert_non_null(strstr(first.data, "<title>A &quot;quoted&quot; title</title>"));
    assert_non_null(strstr(first.data, "#0 kill9 leader(orders/0)"));
    plot_image_free(&first);
    plot_image_free(&second);
    assert_null(first.data);
}

static void test_empty_plot_and_png(void **state)
{
    (void)state;
    static const double nothing[POINTS] = {NAN, NAN, NAN, NAN, NAN};
    plot_series series = {"backlog", g_x, nothing, POINTS, PLOT_LINES};
    plot_spec spec = {.id = "empty",
                      .x_label = "x",
                      .y_label = "y",
                      .series = &series,
                      .series_count = 1,
                      .x_min = NAN,
                      .x_max = NAN};
    assert_false(plot_has_points(&spec));
    double y_min = 0, y_max = 0;
    assert_false(plot_y_extent(&spec, false, &y_min, &y_max));
    plot_image image;
    char error[PLOT_ERROR_LEN] = "";
    assert_int_equal(plot_render(&spec, PLOT_SVG, &image, error, sizeof error), 0);
    assert_non_null(strstr(image.data, "no data"));
    plot_image_free(&image);
    assert_int_equal(plot_render(&spec, PLOT_PNG, &image, error, sizeof error), 0);
    assert_true(image.length > 100);
    assert_memory_equal(image.data, "\x89PNG\r\n\x1a\n", 8);
    plot_image_free(&image);
}

/* A results.json with one group named with markup, a null latency and a null drain. */
static json_t *small_results(void)
{
    json_error_t error;
    json_t *results = json_loads(
        "{\"brokerlab\": 1, \"scenario\": \"s|<b>\", \"scenario_path\": \"my dir/s.yaml\","
        " \"seed\": 7, \"sim_time_s\": 4.0,"
        " \"groups\": {\"g<i>\": {\"topic\": \"t\", \"produced\": 3, \"acked\": 3,"
        "  \"consumed\": 0, \"lost\": 3, \"duplicated\": 0, \"peak_backlog\": 3,"
        "  \"drain_s\": null, \"drained\": false, \"unavailable_s\": 0.0,"
        "  \"latency\": {\"e2e\": {\"count\": 0, \"p50\": null, \"p99\": null, \"p999\": null,"
        "   \"max\": null, \"mean\": null}},"
        "  \"timeseries\": {\"t_s\": [0, 1, 2, 3], \"sent\": [1, 1, 1, 0],"
        "   \"acked\": [1, 1, 1, 0], \"consumed\": [0, 0, 0, 0], \"backlog\": [1, 2, 3, 3],"
        "   \"e2e_p50_s\": [null, null, null, null], \"e2e_p99_s\": [null, null, null, null],"
        "   \"e2e_max_s\": [null, null, null, null]}}},"
        " \"expectations\": [{\"expr\": \"latency.e2e.p99 < 1s\", \"kind\": \"always\","
        "  \"held\": false, \"observed\": null, \"against\": 1.0,"
        "  \"no_data\": \"no message was processed\"}],"
        " \"faults\": [{\"index\": 0, \"kind\": \"crash\", \"target\": \"leader(t/0)\","
        "  \"at_s\": 1.0, \"until_s\": null, \"nodes\": [\"broker/0\"],"
        "  \"effect\": {\"bit\": false, \"summary\": \"led nothing\"}}],"
        " \"a_future_field\": {\"x\": 1}}",
        0, &error);
    assert_non_null(results);
    return results;
}

static char *markdown_summary(const json_t *results)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    assert_non_null(out);
    assert_int_equal(report_doc_markdown_summary(out, results), 0);
    assert_int_equal(fclose(out), 0);
    return text;
}

static void test_markdown_summary_no_data_never_zero(void **state)
{
    (void)state;
    json_t *results = small_results();
    char *text = markdown_summary(results);
    assert_non_null(strstr(text, "# brokerlab run: s\\|\\<b\\>"));
    assert_non_null(strstr(text, "| FAIL | always | `latency.e2e.p99 < 1s` | no data | 1 s |"
                                 " no data: no message was processed |"));
    assert_non_null(strstr(text, "| group g\\<i\\> | e2e | 0 | no data | no data | no data |"));
    assert_non_null(strstr(text, "never drained"));
    assert_non_null(strstr(text, "end of run"));
    assert_non_null(strstr(text, "did not bite"));
    assert_non_null(strstr(text, "brokerlab run 'my dir/s.yaml' --seed 7"));
    assert_null(strstr(text, "![")); /* no plots in the summary */
    char *again = markdown_summary(results);
    assert_string_equal(text, again);
    free(again);
    free(text);
    json_decref(results);
}

static void test_html_escapes_and_plots(void **state)
{
    (void)state;
    json_t *results = small_results();
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    report_doc_target target = {.format = REPORT_DOC_HTML, .source_dir = "run<dir>"};
    char error[256] = "";
    assert_int_equal(report_doc_run(out, results, &target, error, sizeof error), 0);
    assert_int_equal(fclose(out), 0);
    assert_null(strstr(text, "<b>"));
    assert_null(strstr(text, "<i>"));
    assert_null(strstr(text, "<script"));
    assert_non_null(strstr(text, "g&lt;i&gt;"));
    assert_non_null(strstr(text, "run&lt;dir&gt;"));
    assert_non_null(strstr(text, "<figure class=\"plot\" id=\"plot-rates\">"));
    assert_non_null(strstr(text, "<figure class=\"plot\" id=\"plot-backlog\">"));
    assert_non_null(strstr(text, "<figure class=\"plot\" id=\"plot-latency\">"));
    assert_non_null(strstr(text, "#0 crash leader(t/0) (did not bite)"));
    assert_true(strlen(text) == length && strcmp(text + length - 8, "</html>\n") == 0);
    free(text);
    json_decref(results);
}

static void test_foreign_json_refused(void **state)
{
    (void)state;
    char error[256] = "";
    json_t *other = json_loads("{\"groups\": {}}", 0, NULL);
    assert_int_equal(report_doc_check_results(other, error, sizeof error), -1);
    assert_non_null(strstr(error, "not a brokerlab results.json"));
    json_decref(other);
    json_t *newer = json_loads("{\"brokerlab\": 9, \"groups\": {}}", 0, NULL);
    assert_int_equal(report_doc_check_results(newer, error, sizeof error), -1);
    assert_non_null(strstr(error, "format 9"));
    json_decref(newer);
    json_t *sweep = json_loads("{\"brokerlab_sweep\": 1}", 0, NULL);
    assert_int_equal(report_doc_check_sweep(sweep, error, sizeof error), -1);
    assert_non_null(strstr(error, "runs"));
    json_decref(sweep);
}

static void test_sweep_focus_seed(void **state)
{
    (void)state;
    json_t *sweep = json_loads(
        "{\"brokerlab_sweep\": 1, \"runs\": [{\"seed\": 4}, {\"seed\": 5}, {\"seed\": 6}],"
        " \"anomalies\": {\"groups.g.duplicated\": {\"seeds\": 1, \"first_seed\": 6},"
        "  \"groups.g.lost\": {\"seeds\": 2, \"first_seed\": 5}},"
        " \"expectations\": [{\"first_failing_seed\": 4}]}",
        0, NULL);
    assert_non_null(sweep);
    uint64_t seed = 0;
    assert_true(report_doc_sweep_focus_seed(sweep, &seed));
    assert_int_equal(seed, 5); /* the first anomaly, before the first failure */
    json_object_del(sweep, "anomalies");
    assert_true(report_doc_sweep_focus_seed(sweep, &seed));
    assert_int_equal(seed, 4);
    json_object_del(sweep, "expectations");
    assert_true(report_doc_sweep_focus_seed(sweep, &seed));
    assert_int_equal(seed, 4); /* the first run */
    json_array_clear(json_object_get(sweep, "runs"));
    assert_false(report_doc_sweep_focus_seed(sweep, &seed));
    json_decref(sweep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg_inline_and_deterministic),
        cmocka_unit_test(test_empty_plot_and_png),
        cmocka_unit_test(test_markdown_summary_no_data_never_zero),
        cmocka_unit_test(test_html_escapes_and_plots),
        cmocka_unit_test(test_foreign_json_refused),
        cmocka_unit_test(test_sweep_focus_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

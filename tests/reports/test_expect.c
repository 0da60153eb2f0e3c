/* test_expect.c — unit tests of the `expect:` expressions (reports/expect.c): exact
 * FILE:LINE:COL of parse and name errors, every operator, durations, metric operands,
 * producer(NAME) metrics merged over instances, and a group missing from the results.
 * The scenario is built by hand (only the fields expectations read). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../engine/bl_assert.h"
#include "../../engine/scenario.h"
#include "../../reports/expect.h"

#define EXPR_LINE   12
#define EXPR_COLUMN 14

static scn_scenario *g_scenario;
static check_results g_results;
static check_producer g_producers[4];

static void add_group(const char *group)
{
    snprintf(g_scenario->consumers[g_scenario->consumer_count++].group, SCN_NAME_LEN, "%s", group);
}

static void add_producer(const char *producer)
{
    snprintf(g_scenario->producers[g_scenario->producer_count++].name, SCN_NAME_LEN, "%s",
             producer);
}

static void set_expect(const char *expr)
{
    scn_expect *expect = &g_scenario->expects[g_scenario->expect_count];
    expect->kind = SCN_EXPECT_ALWAYS;
    snprintf(expect->expr, SCN_EXPR_LEN, "%s", expr);
    expect->mark = (scn_mark){EXPR_LINE + g_scenario->expect_count, EXPR_COLUMN};
    expect->exact_columns = true; /* a plain one-line expression, as the loader marks it */
    g_scenario->expect_count++;
}

static void fill_results(void)
{
    memset(&g_results, 0, sizeof g_results);
    check_group *billing = &g_results.groups[g_results.group_count++];
    snprintf(billing->name, HIST_NAME_LEN, "billing");
    snprintf(billing->topic, HIST_NAME_LEN, "orders");
    billing->produced = 12;
    billing->acked = 10;
    billing->consumed = 10;
    billing->lost = 3;
    billing->latency_e2e = (check_percentiles){
        .count = 10, .p50_s = 0.1, .p99_s = 0.5, .p999_s = 0.6, .max_s = 0.7, .mean_s = 0.2};
    billing->drain_s = 2.0;
    billing->drained = true;
    memset(g_producers, 0, sizeof g_producers);
    const char *nodes[4] = {"producer/checkout/0", "producer/checkout/1", "producer/app/0",
                            "producer/checkout2/0"};
    for (int p = 0; p < 4; p++) snprintf(g_producers[p].name, HIST_NAME_LEN, "%s", nodes[p]);
    g_producers[0].sent = 10;
    g_producers[0].latency_ack =
        (check_percentiles){.count = 2, .p50_s = 0.1, .max_s = 0.2, .mean_s = 0.125};
    g_producers[1].sent = 20;
    g_producers[1].latency_ack =
        (check_percentiles){.count = 6, .p50_s = 0.3, .max_s = 0.5, .mean_s = 0.375};
    g_producers[2].requests = 5;
    g_producers[2].latency_request =
        (check_percentiles){.count = 4, .p50_s = 0.953, .max_s = 0.96, .mean_s = 0.95};
    g_producers[3].sent = 1000;
    g_results.producers = g_producers;
    g_results.producer_count = 4;
    g_results.produced = 1030;
    g_results.acked = 1000;
}

static int setup(void **unused)
{
    (void)unused;
    g_scenario = calloc(1, sizeof *g_scenario);
    if (g_scenario == NULL) return 1;
    snprintf(g_scenario->path, SCN_PATH_LEN, "claims/c16.yaml");
    snprintf(g_scenario->name, SCN_NAME_LEN, "c16");
    add_group("billing");
    add_producer("checkout");
    add_producer("app");
    add_producer("checkout2");
    fill_results();
    return 0;
}

static int teardown(void **unused)
{
    (void)unused;
    free(g_scenario);
    return 0;
}

/* The single expectation `expr` is rejected with exactly `FILE:12:column: message...`. */
static void assert_error(const char *expr, unsigned column, const char *message)
{
    g_scenario->expect_count = 0;
    set_expect(expr);
    char error[SCN_ERROR_LEN] = "";
    assert_int_equal(expect_validate(g_scenario, error), BL_EXIT_BAD_INPUT);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "claims/c16.yaml:%d:%u: ", EXPR_LINE, column);
    if (strncmp(error, prefix, strlen(prefix)) != 0 ||
        strncmp(error + strlen(prefix), message, strlen(message)) != 0) {
        fail_msg("'%s': got '%s', expected '%s%s...'", expr, error, prefix, message);
    }
}

/* Validates the single expectation `expr` and evaluates it over g_results. */
static expect_outcome evaluate_only(const char *expr)
{
    g_scenario->expect_count = 0;
    set_expect(expr);
    char error[SCN_ERROR_LEN] = "";
    if (expect_validate(g_scenario, error) != 0) fail_msg("'%s': %s", expr, error);
    expect_outcome outcome;
    expect_evaluate(g_scenario, 0, &g_results, &outcome);
    return outcome;
}

/* The single expectation `expr` validates and evaluates to `held`, lhs and rhs. */
static void assert_holds(const char *expr, bool held, double lhs, double rhs)
{
    expect_outcome outcome = evaluate_only(expr);
    double observed = outcome.lhs, against = outcome.rhs;
    if (outcome.no_data[0] != '\0') fail_msg("'%s': no data: %s", expr, outcome.no_data);
    if (outcome.held != held) fail_msg("'%s' evaluated to %d", expr, outcome.held);
    if (fabs(observed - lhs) > 1e-12 || fabs(against - rhs) > 1e-12) {
        fail_msg("'%s': observed %.12g against %.12g, expected %.12g and %.12g", expr, observed,
                 against, lhs, rhs);
    }
}

/* The single expectation `expr` fails for lack of data, saying `why`. */
static void assert_no_data(const char *expr, const char *why)
{
    expect_outcome outcome = evaluate_only(expr);
    assert_false(outcome.held);
    if (strcmp(outcome.no_data, why) != 0)
        fail_msg("'%s': no data '%s', expected '%s'", expr, outcome.no_data, why);
}

static void test_parse_errors_exact_column(void **unused)
{
    (void)unused;
    assert_error("lost >", EXPR_COLUMN + 6, "expected a number, a duration or a metric");
    assert_error("lost 0", EXPR_COLUMN + 5,
                 "expected an operator (==, !=, <, <=, >, >=), found '0'");
    assert_error("lost = 0", EXPR_COLUMN + 5, "expected an operator");
    assert_error("  lost", EXPR_COLUMN + 6,
                 "expected an operator (==, !=, <, <=, >, >=) at the end");
    assert_error("lost == 0 extra", EXPR_COLUMN + 10, "unexpected text after the comparison");
    assert_error("lost == 5x", EXPR_COLUMN + 8, "'5x' is neither a number nor a duration");
    assert_error("lost >> 0", EXPR_COLUMN + 6, "expected a number, a duration or a metric");
    assert_error("0 < lost", EXPR_COLUMN, "expected a metric on the left");
    assert_error("", EXPR_COLUMN, "expected a metric");
}

static void test_unknown_metric(void **unused)
{
    (void)unused;
    assert_error("billing.lots == 0", EXPR_COLUMN + 8, "unknown metric 'lots'");
    assert_error("lots == 0", EXPR_COLUMN, "unknown metric 'lots'");
    assert_error("latency.e2e.p98 < 1s", EXPR_COLUMN, "unknown metric 'latency.e2e.p98'");
    assert_error("billing.latency.e2e < 1s", EXPR_COLUMN + 8, "unknown metric 'latency.e2e'");
    assert_error("total.lost == 0", EXPR_COLUMN, "unknown metric 'total.lost'");
    assert_error("lost == consumed.x", EXPR_COLUMN + 8, "unknown metric 'consumed.x'");
}

static void test_unknown_group(void **unused)
{
    (void)unused;
    assert_error("bill.lost == 0", EXPR_COLUMN, "unknown group 'bill'");
    assert_error("lost == audit.lost", EXPR_COLUMN + 8, "unknown group 'audit'");
}

/* An expression whose source is not its text (escaped, folded over lines): the error
 * gives the expression's start and the token's place in it, never a wrong column. */
static void test_inexact_columns(void **unused)
{
    (void)unused;
    g_scenario->expect_count = 0;
    set_expect("lost == audit.lost");
    g_scenario->expects[0].exact_columns = false;
    char error[SCN_ERROR_LEN] = "";
    assert_int_equal(expect_validate(g_scenario, error), BL_EXIT_BAD_INPUT);
    char expected[160];
    snprintf(expected, sizeof expected,
             "claims/c16.yaml:%d:%d: at character 9 of the expression: unknown group 'audit'",
             EXPR_LINE, EXPR_COLUMN);
    if (strncmp(error, expected, strlen(expected)) != 0)
        fail_msg("got '%s', expected '%s...'", error, expected);
}

static void test_bare_metric_needs_one_group(void **unused)
{
    (void)unused;
    add_group("audit");
    assert_error("lost == 0", EXPR_COLUMN,
                 "'lost' needs a group: the scenario has 2 consumer groups");
    assert_error("billing.lost == latency.e2e.max", EXPR_COLUMN + 16,
                 "'latency.e2e.max' needs a group");
    assert_holds("billing.lost == 3", true, 3, 3);
    /* audit is in the scenario but not in the results (it never subscribed) */
    g_scenario->expect_count = 0;
    set_expect("audit.lost == 0");
    assert_int_equal(expect_validate(g_scenario, NULL), 0);
    expect_outcome outcome;
    expect_evaluate(g_scenario, 0, &g_results, &outcome);
    assert_false(outcome.held);
    assert_true(isnan(outcome.lhs));
    assert_string_equal(outcome.no_data, "group audit never subscribed");
    g_scenario->consumer_count = 0;
    assert_error("lost == 0", EXPR_COLUMN,
                 "'lost' needs a group: the scenario has 0 consumer groups");
}

/* A group name containing a dot resolves to the longest group prefix. */
static void test_dotted_group_name(void **unused)
{
    (void)unused;
    add_group("billing.eu");
    snprintf(g_results.groups[0].name, HIST_NAME_LEN, "billing.eu");
    assert_holds("billing.eu.lost == 3", true, 3, 3);
}

static void test_each_operator(void **unused)
{
    (void)unused;
    assert_holds("lost == 3", true, 3, 3);
    assert_holds("lost == 4", false, 3, 4);
    assert_holds("lost != 3", false, 3, 3);
    assert_holds("lost != 0", true, 3, 0);
    assert_holds("lost < 4", true, 3, 4);
    assert_holds("lost < 3", false, 3, 3);
    assert_holds("lost <= 3", true, 3, 3);
    assert_holds("lost <= 2.5", false, 3, 2.5);
    assert_holds("lost > 2", true, 3, 2);
    assert_holds("lost > 3", false, 3, 3);
    assert_holds("lost >= 3", true, 3, 3);
    assert_holds("lost>=4", false, 3, 4);
    assert_holds("  billing.lost   >=   -1e1  ", true, 3, -10);
}

static void test_durations(void **unused)
{
    (void)unused;
    assert_holds("latency.e2e.p99 < 30s", true, 0.5, 30);
    assert_holds("latency.e2e.p99 >= 500ms", true, 0.5, 0.5);
    assert_holds("latency.e2e.max <= 250us", false, 0.7, 0.00025);
    assert_holds("latency.e2e.p50 == 0.1", true, 0.1, 0.1);
    assert_holds("drain_s > 1.5s", true, 2, 1.5);
    assert_holds("unavailable_s == 0s", true, 0, 0);
    assert_no_data("latency.ack.mean == 0",
                   "no send to topic orders of group billing was acknowledged");
    assert_error("lost < 5s", EXPR_COLUMN + 7, "a duration compared with a count metric");
    assert_error("consumed == drain_s", EXPR_COLUMN + 12,
                 "a time metric compared with a count metric");
}

/* Vacuous passes fail: a metric without samples is no data, not 0 (counts stay defined). */
static void test_no_data(void **unused)
{
    (void)unused;
    check_group *billing = &g_results.groups[0];
    billing->latency_e2e.count = 0;
    assert_no_data("latency.e2e.p99 < 50ms", "group billing processed no message");
    billing->drained = false;
    assert_no_data("drain_s < 30s", "the backlog of group billing never drained");
    billing->produced = 0;
    assert_no_data("lost == 0", "nothing was produced to topic orders of group billing");
    assert_no_data("unavailable_s == 0s", "nothing was produced to topic orders of group billing");
    assert_no_data("consumed >= lost", "nothing was produced to topic orders of group billing");
    assert_holds("produced == 0", true, 0, 0); /* a count is always defined */
    assert_holds("consumed == 10", true, 10, 10);
    assert_no_data("producer(checkout2).latency.ack.p99 < 10ms",
                   "no send of producer checkout2 was acknowledged");
    assert_no_data("producer(checkout).latency.request.p50 < 1s",
                   "no request of producer checkout was answered");
    assert_holds("producer(checkout2).sent == 1000", true, 1000, 1000);
}

static void test_metric_operands_and_totals(void **unused)
{
    (void)unused;
    assert_holds("consumed == acked", true, 10, 10);
    assert_holds("produced > consumed", true, 12, 10);
    assert_holds("total.produced == 1030", true, 1030, 1030);
    assert_holds("total.acked < total.produced", true, 1000, 1030);
    assert_holds("total.failed == 0", true, 0, 0);
}

/* producer(checkout) merges producer/checkout/0 and /1, not producer/checkout2/0. */
static void test_producer_metrics(void **unused)
{
    (void)unused;
    assert_holds("producer(checkout).sent == 30", true, 30, 30);
    assert_holds("producer(checkout2).sent == 1000", true, 1000, 1000);
    assert_holds("producer(checkout).latency.ack.max == 0.5", true, 0.5, 0.5);
    assert_holds("producer(checkout).latency.ack.mean < 1s", true, (0.125 * 2 + 0.375 * 6) / 8, 1);
    /* a percentile over several instances is the largest instance's (an upper bound) */
    assert_holds("producer(checkout).latency.ack.p50 <= 300ms", true, 0.3, 0.3);
    assert_holds("producer(app).requests == 5", true, 5, 5);
    assert_holds("producer(app).latency.request.p50 < 1s", true, 0.953, 1);
    assert_holds("producer(app).sent == 0", true, 0, 0);
    assert_error("producer(nope).sent == 0", EXPR_COLUMN + 9, "unknown producer 'nope'");
    assert_error("producer(app).lost == 0", EXPR_COLUMN + 14, "unknown producer metric 'lost'");
    assert_error("producer(app).latency.e2e.p50 < 1s", EXPR_COLUMN + 14,
                 "unknown producer metric 'latency.e2e.p50'");
    assert_error("producer(app == 0", EXPR_COLUMN + 12, "expected ')'");
    assert_error("producer(app)sent == 0", EXPR_COLUMN + 13, "expected '.' and a producer metric");
}

/* validate stops at the first bad expectation and points into its own line. */
static void test_validate_reports_first_error(void **unused)
{
    (void)unused;
    g_scenario->expect_count = 0;
    set_expect("lost == 0");
    set_expect("lost ~ 0");
    set_expect("bogus");
    char error[SCN_ERROR_LEN] = "";
    assert_int_equal(expect_validate(g_scenario, error), BL_EXIT_BAD_INPUT);
    char expected[SCN_ERROR_LEN];
    snprintf(expected, sizeof expected, "claims/c16.yaml:%d:%d: expected an operator",
             EXPR_LINE + 1, EXPR_COLUMN + 5);
    assert_true(strncmp(error, expected, strlen(expected)) == 0);
    expect_outcome outcome;
    expect_evaluate(g_scenario, 0, &g_results, &outcome);
    assert_false(outcome.held); /* lost == 0 against lost 3 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_errors_exact_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_metric, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inexact_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bare_metric_needs_one_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotted_group_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_operator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metric_operands_and_totals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate_reports_first_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

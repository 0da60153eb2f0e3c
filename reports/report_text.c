/* report_text.c — the readable summary `brokerlab run` prints: one header line, a few
 * aligned lines per consumer group (counts, anomalies, latency, availability, backlog),
 * the producers, a line per fault that did not bite, then every expectation with
 * PASS/FAIL and what was observed. It prints only simulated figures (no wall time), so
 * the summary is deterministic. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "../engine/units.h"

#define DURATION_TEXT_LEN 32
#define SUMMARY_COLUMNS   100 /* the longest line the fault lines print */

/* Seconds for humans: 42us, 2.10ms, 1.500s, 95.2s. */
static const char *format_seconds(double seconds, char buf[DURATION_TEXT_LEN])
{
    if (!isfinite(seconds)) {
        snprintf(buf, DURATION_TEXT_LEN, "n/a");
    } else if (seconds < 0) {
        snprintf(buf, DURATION_TEXT_LEN, "%.3fs", seconds);
    } else if (seconds < 1e-3) {
        snprintf(buf, DURATION_TEXT_LEN, "%.0fus", seconds * 1e6);
    } else if (seconds < 1) {
        snprintf(buf, DURATION_TEXT_LEN, "%.2fms", seconds * 1e3);
    } else if (seconds < 100) {
        snprintf(buf, DURATION_TEXT_LEN, "%.3fs", seconds);
    } else {
        snprintf(buf, DURATION_TEXT_LEN, "%.1fs", seconds);
    }
    return buf;
}

/* A duration as a scenario writes it: format_seconds without trailing zeros (40s, 2.1ms). */
static const char *format_seconds_short(double seconds, char buf[DURATION_TEXT_LEN])
{
    format_seconds(seconds, buf);
    char *point = strchr(buf, '.');
    if (point == NULL) return buf;
    size_t unit = strspn(point + 1, "0123456789") + 1; /* offset of the unit after the point */
    char *digits_end = point + unit;
    char *last = digits_end;
    while (last > point + 1 && last[-1] == '0') last--;
    if (last == point + 1) last = point; /* no decimals left: drop the point too */
    memmove(last, digits_end, strlen(digits_end) + 1);
    return buf;
}

/* The unit of the duration an expectation compares with ("ms" in `p99 < 100ms`), or
 * NULL when it compares two metrics. */
static const char *expression_time_unit(const char *expr)
{
    static const char *const units[] = {"us", "ms", "s", "m", "h", "d"};
    size_t length = strlen(expr);
    size_t end = length;
    while (end > 0 && expr[end - 1] == ' ') end--;
    size_t start = end;
    while (start > 0 && expr[start - 1] >= 'a' && expr[start - 1] <= 'z') start--;
    if (start == end || start == 0 || !(expr[start - 1] >= '0' && expr[start - 1] <= '9'))
        return NULL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i]) == end - start && memcmp(expr + start, units[i], end - start) == 0)
            return units[i];
    }
    return NULL;
}

static double unit_seconds(const char *unit)
{
    return strcmp(unit, "us") == 0   ? 1e-6
           : strcmp(unit, "ms") == 0 ? 1e-3
           : strcmp(unit, "s") == 0  ? 1
           : strcmp(unit, "m") == 0  ? 60
           : strcmp(unit, "h") == 0  ? 3600
                                     : 86400;
}

/* Seconds in `unit` with three significant digits or more: 52.0ms, 25.3s, 0.125s. */
static const char *format_in_unit(double seconds, const char *unit, char buf[DURATION_TEXT_LEN])
{
    double value = seconds / unit_seconds(unit);
    double magnitude = fabs(value);
    int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
    snprintf(buf, DURATION_TEXT_LEN, "%.*f%s", decimals, value, unit);
    return buf;
}

/* A bound as the scenario wrote it: 10ms, 1.5s. */
static const char *format_as_written(double seconds, const char *unit, char buf[DURATION_TEXT_LEN])
{
    snprintf(buf, DURATION_TEXT_LEN, "%.6g%s", seconds / unit_seconds(unit), unit);
    return buf;
}

/* A count as the integer it is (1000000, not 1e+06); a ratio with 6 digits. */
static const char *format_count(double value, char buf[DURATION_TEXT_LEN])
{
    if (value == floor(value) && fabs(value) < 9007199254740992.0) /* 2^53: exact */
        snprintf(buf, DURATION_TEXT_LEN, "%.0f", value);
    else
        snprintf(buf, DURATION_TEXT_LEN, "%.6g", value);
    return buf;
}

static void print_latency(FILE *out, const char *label, const check_percentiles *p)
{
    char p50[DURATION_TEXT_LEN], p99[DURATION_TEXT_LEN], p999[DURATION_TEXT_LEN];
    char max[DURATION_TEXT_LEN], mean[DURATION_TEXT_LEN];
    if (p->count == 0) {
        fprintf(out, "  %-13s none\n", label);
        return;
    }
    fprintf(out, "  %-13s p50 %-9s p99 %-9s p999 %-9s max %-9s mean %-9s n=%llu\n", label,
            format_seconds(p->p50_s, p50), format_seconds(p->p99_s, p99),
            format_seconds(p->p999_s, p999), format_seconds(p->max_s, max),
            format_seconds(p->mean_s, mean), (unsigned long long)p->count);
}

static void print_backlog(FILE *out, const check_group *group)
{
    char at[DURATION_TEXT_LEN], drain[DURATION_TEXT_LEN];
    fprintf(out, "  %-13s unavailable %.0fs", "availability", group->unavailable_s);
    if (group->peak_backlog == 0) {
        fprintf(out, "   no backlog\n");
    } else if (!group->drained) {
        fprintf(out, "   peak backlog %llu at %s, never drained\n",
                (unsigned long long)group->peak_backlog,
                format_seconds(group->peak_backlog_at_s, at));
    } else {
        fprintf(out, "   peak backlog %llu at %s, drained in %s\n",
                (unsigned long long)group->peak_backlog,
                format_seconds(group->peak_backlog_at_s, at),
                format_seconds(group->drain_s, drain));
    }
}

static void print_group(FILE *out, const check_group *group)
{
    fprintf(out, "group %s (topic %s)\n", group->name, group->topic);
    fprintf(out, "  %-13s produced %llu   acked %llu   consumed %llu", "messages",
            (unsigned long long)group->produced, (unsigned long long)group->acked,
            (unsigned long long)group->consumed);
    if (isfinite(group->throughput_per_s)) /* the load phase's consumption rate */
        fprintf(out, "   throughput %.1f/s", group->throughput_per_s);
    fprintf(out, "\n");
    fprintf(out,
            "  %-13s lost %llu   unacked-lost %llu   duplicated %llu   deduplicated %llu   "
            "redelivered %llu\n",
            "anomalies", (unsigned long long)group->lost, (unsigned long long)group->unacked_lost,
            (unsigned long long)group->duplicated, (unsigned long long)group->deduplicated,
            (unsigned long long)group->redelivered);
    /* Two measures of order: a key's messages against their producer's sequence, and a
     * partition's records against their offsets. */
    fprintf(out, "  %-13s %llu by key (producer order)   %llu within a partition (offset order)\n",
            "reordered", (unsigned long long)group->reordered,
            (unsigned long long)group->reordered_partition);
    if (group->broker_stats) {
        /* never seen by the application is not the same as lost: what the limits took */
        fprintf(out,
                "  %-13s expired %llu   max-length %llu   dead-lettered %llu (%llu processed "
                "downstream)   dropped %llu   lost beyond them %llu\n",
                "queue limits", (unsigned long long)group->broker_counts[CHECK_BROKER_EXPIRED],
                (unsigned long long)group->broker_counts[CHECK_BROKER_MAXLEN],
                (unsigned long long)group->broker_counts[CHECK_BROKER_DEAD_LETTERED],
                (unsigned long long)group->dead_lettered,
                (unsigned long long)group->broker_counts[CHECK_BROKER_DROPPED],
                (unsigned long long)group->lost_beyond_policy);
    }
    if (group->dead_letters_processed > 0)
        fprintf(out, "  %-13s processed %llu dead letters of other groups\n", "dead letters",
                (unsigned long long)group->dead_letters_processed);
    print_latency(out, "latency ack", &group->latency_ack);
    print_latency(out, "latency e2e", &group->latency_e2e);
    print_backlog(out, group);
}

static void print_producers(FILE *out, const check_results *results)
{
    if (results->producer_count == 0) return;
    int width = 0;
    for (uint32_t p = 0; p < results->producer_count; p++) {
        int length = (int)strlen(results->producers[p].name);
        if (length > width) width = length;
    }
    fprintf(out, "producers\n");
    for (uint32_t p = 0; p < results->producer_count; p++) {
        const check_producer *producer = &results->producers[p];
        char p50[DURATION_TEXT_LEN], p99[DURATION_TEXT_LEN];
        fprintf(out, "  %-*s  sent %llu   acked %llu   failed %llu   unknown %llu", width,
                producer->name, (unsigned long long)producer->sent,
                (unsigned long long)producer->acked, (unsigned long long)producer->failed,
                (unsigned long long)producer->unknown);
        if (producer->latency_ack.count > 0) {
            fprintf(out, "   ack p50 %s p99 %s", format_seconds(producer->latency_ack.p50_s, p50),
                    format_seconds(producer->latency_ack.p99_s, p99));
        }
        if (producer->requests > 0) {
            fprintf(out, "   requests %llu", (unsigned long long)producer->requests);
            if (producer->latency_request.count > 0) {
                fprintf(out, " p50 %s p99 %s", format_seconds(producer->latency_request.p50_s, p50),
                        format_seconds(producer->latency_request.p99_s, p99));
            }
        }
        fputc('\n', out);
    }
}

/* "fault 2 kill9 leader(orders/0) at 30s did not bite: broker/1 led no partition and
 * coordinated no group", cut to SUMMARY_COLUMNS: a fault that hit nothing is visible. */
static void print_quiet_faults(FILE *out, const report_run *run)
{
    for (uint32_t i = 0; i < run->faults.count; i++) {
        const fault_effect *effect = &run->faults.list[i];
        if (effect->bit) continue;
        char at[DURATION_TEXT_LEN], line[SUMMARY_COLUMNS + 1];
        int n = snprintf(line, sizeof line, "fault %u %s %s at %s did not bite: %s", (unsigned)i,
                         scn_fault_kind_name(effect->kind), effect->target,
                         units_format_duration(effect->at_us, at, sizeof at), effect->summary);
        BL_ASSERT(n > 0);
        if ((size_t)n > SUMMARY_COLUMNS) memcpy(line + SUMMARY_COLUMNS - 3, "...", 4);
        fprintf(out, "%s\n", line);
    }
}

static void print_expectations(FILE *out, const report_run *run)
{
    if (run->expectation_count == 0) return;
    int width = 0;
    for (uint32_t i = 0; i < run->expectation_count; i++) {
        int length = (int)strlen(run->expectations[i].expr);
        if (length > width) width = length;
    }
    fprintf(out, "expectations\n");
    for (uint32_t i = 0; i < run->expectation_count; i++) {
        const report_expectation *e = &run->expectations[i];
        const char *kind = e->kind == SCN_EXPECT_ALWAYS ? "always" : "sometimes";
        if (e->outcome.no_data[0] != '\0') {
            fprintf(out, "  FAIL  %-9s  %-*s  no data: %s\n", kind, width, e->expr,
                    e->outcome.no_data);
            continue;
        }
        if (e->outcome.is_time) { /* in the unit the scenario wrote: 52.0ms against 100ms */
            char lhs[DURATION_TEXT_LEN], rhs[DURATION_TEXT_LEN];
            const char *unit = expression_time_unit(e->expr);
            fprintf(out, "  %s  %-9s  %-*s  observed %s against %s\n",
                    e->outcome.held ? "PASS" : "FAIL", kind, width, e->expr,
                    unit != NULL ? format_in_unit(e->outcome.lhs, unit, lhs)
                                 : format_seconds_short(e->outcome.lhs, lhs),
                    unit != NULL ? format_as_written(e->outcome.rhs, unit, rhs)
                                 : format_seconds_short(e->outcome.rhs, rhs));
            continue;
        }
        char lhs[DURATION_TEXT_LEN], rhs[DURATION_TEXT_LEN];
        fprintf(out, "  %s  %-9s  %-*s  observed %s against %s\n",
                e->outcome.held ? "PASS" : "FAIL", kind, width, e->expr,
                format_count(e->outcome.lhs, lhs), format_count(e->outcome.rhs, rhs));
    }
}

void report_print_summary(FILE *out, const report_run *run, const check_results *results)
{
    BL_ASSERT(out != NULL && run != NULL && run->scenario != NULL && results != NULL);
    char simulated[DURATION_TEXT_LEN];
    fprintf(out, "scenario %s   seed %llu   simulated %s   history %llu records\n",
            run->scenario->name, (unsigned long long)run->seed,
            format_seconds(run->sim_time_s, simulated), (unsigned long long)run->history_records);
    fprintf(out, "totals   produced %llu   acked %llu   failed %llu   unknown %llu\n",
            (unsigned long long)results->produced, (unsigned long long)results->acked,
            (unsigned long long)results->failed, (unsigned long long)results->unknown);
    /* Groups in the order the scenario lists them (the checker sorts them by name). */
    uint32_t *order = malloc((results->group_count + 1) * sizeof *order);
    BL_ASSERT(order != NULL);
    report_group_order(run->scenario, results, order);
    for (uint32_t g = 0; g < results->group_count; g++)
        print_group(out, &results->groups[order[g]]);
    free(order);
    print_producers(out, results);
    print_quiet_faults(out, run);
    print_expectations(out, run);
}

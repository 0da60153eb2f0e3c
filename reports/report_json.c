/* report_json.c — writes results.json, the public contract read by users, CI and the
 * report writers (DESIGN.md "The two contracts").
 *
 * Keys come out in a fixed order (jansson keeps insertion order with
 * JSON_PRESERVE_ORDER), counts are integers, times are seconds rounded to the
 * microsecond and printed with 9 significant digits, so equal results give equal bytes
 * (wall_time_s aside). A value that is not a number (an expectation over a group that
 * never subscribed) is written as null. docs/schemas/results.schema.json describes every
 * key (tests/json_schemas.sh validates real results against it). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../engine/atomic_file.h"
#include "../engine/bl_assert.h"
#include "../engine/platform.h"

#define REPORT_FORMAT_VERSION 1

static void set(json_t *object, const char *key, json_t *value)
{
    BL_ASSERTF(value != NULL, "cannot build results.json value %s", key);
    BL_ASSERT(json_object_set_new(object, key, value) == 0);
}

static void append(json_t *array, json_t *value)
{
    BL_ASSERT(value != NULL && json_array_append_new(array, value) == 0);
}

static json_t *count_json(uint64_t value)
{
    BL_ASSERTF(value <= (uint64_t)INT64_MAX, "count %llu too large for JSON",
               (unsigned long long)value);
    return json_integer((json_int_t)value);
}

static json_t *seconds_json(double seconds)
{
    if (!isfinite(seconds)) return json_null();
    double rounded = round(seconds * 1e6) / 1e6;
    return json_real(rounded == 0 ? 0.0 : rounded); /* never "-0.0" */
}

/* A rate per second, to 3 decimals; null (no data) when not finite. */
static json_t *rate_json(double per_s)
{
    if (!isfinite(per_s)) return json_null();
    double rounded = round(per_s * 1e3) / 1e3;
    return json_real(rounded == 0 ? 0.0 : rounded);
}

static json_t *percentiles_json(const check_percentiles *p)
{
    json_t *object = json_object();
    set(object, "count", count_json(p->count));
    set(object, "p50", seconds_json(p->p50_s));
    set(object, "p99", seconds_json(p->p99_s));
    set(object, "p999", seconds_json(p->p999_s));
    set(object, "max", seconds_json(p->max_s));
    set(object, "mean", seconds_json(p->mean_s));
    return object;
}

static json_t *examples_json(const check_group *group)
{
    static const char *const kinds[CHECK_ANOMALY_KINDS] = {
        [CHECK_LOST] = "lost",
        [CHECK_UNACKED_LOST] = "unacked_lost",
        [CHECK_DUPLICATED] = "duplicated",
        [CHECK_REORDERED] = "reordered",
    };
    json_t *object = json_object();
    for (int kind = 0; kind < CHECK_ANOMALY_KINDS; kind++) {
        json_t *ids = json_array();
        BL_ASSERT(group->example_count[kind] <= CHECK_EXAMPLES_MAX);
        for (uint32_t i = 0; i < group->example_count[kind]; i++) {
            append(ids, count_json(group->examples[kind][i]));
        }
        set(object, kinds[kind], ids);
    }
    return object;
}

static json_t *timeseries_json(const check_group *group)
{
    static const char *const keys[] = {"t_s",     "sent",      "acked",     "consumed",
                                       "backlog", "e2e_p50_s", "e2e_p99_s", "e2e_max_s"};
    enum { SERIES = sizeof keys / sizeof keys[0] };
    json_t *arrays[SERIES];
    for (int k = 0; k < SERIES; k++) arrays[k] = json_array();
    for (uint32_t s = 0; s < group->second_count; s++) {
        const check_second *second = &group->seconds[s];
        append(arrays[0], count_json(s));
        append(arrays[1], count_json(second->sent));
        append(arrays[2], count_json(second->acked));
        append(arrays[3], count_json(second->consumed));
        append(arrays[4], count_json(second->backlog));
        append(arrays[5], seconds_json(second->e2e_p50_s));
        append(arrays[6], seconds_json(second->e2e_p99_s));
        append(arrays[7], seconds_json(second->e2e_max_s));
    }
    json_t *object = json_object();
    for (int k = 0; k < SERIES; k++) set(object, keys[k], arrays[k]);
    return object;
}

static json_t *group_json(const check_group *group)
{
    json_t *object = json_object();
    set(object, "topic", json_string(group->topic));
    set(object, "produced", count_json(group->produced));
    set(object, "acked", count_json(group->acked));
    set(object, "consumed", count_json(group->consumed));
    set(object, "lost", count_json(group->lost));
    set(object, "unacked_lost", count_json(group->unacked_lost));
    set(object, "duplicated", count_json(group->duplicated));
    set(object, "deduplicated", count_json(group->deduplicated));
    set(object, "reordered", count_json(group->reordered));
    set(object, "reordered_partition", count_json(group->reordered_partition));
    set(object, "redelivered", count_json(group->redelivered));
    json_t *latency = json_object();
    set(latency, "ack", percentiles_json(&group->latency_ack));
    set(latency, "e2e", percentiles_json(&group->latency_e2e));
    set(object, "latency", latency);
    set(object, "unavailable_s", seconds_json(group->unavailable_s));
    set(object, "peak_backlog", count_json(group->peak_backlog));
    set(object, "peak_backlog_at_s", seconds_json(group->peak_backlog_at_s));
    set(object, "drain_s", seconds_json(group->drain_s));
    set(object, "drained", json_boolean(group->drained));
    set(object, "throughput_per_s", rate_json(group->throughput_per_s));
    if (group->broker_stats || group->dead_letters_processed > 0) {
        /* only for groups whose queues have limits (RabbitMQ R11-R13), or that consume a
         * dead-letter queue: see check.h */
        for (int c = 0; c < CHECK_BROKER_COUNTERS; c++)
            set(object, check_broker_counter_name((check_broker_counter)c),
                count_json(group->broker_counts[c]));
        set(object, "dead_letters_seen", count_json(group->dead_lettered));
        set(object, "lost_beyond_policy", count_json(group->lost_beyond_policy));
        set(object, "dead_letters_processed", count_json(group->dead_letters_processed));
    }
    set(object, "examples", examples_json(group));
    set(object, "timeseries", timeseries_json(group));
    return object;
}

static json_t *producer_json(const check_producer *producer)
{
    json_t *object = json_object();
    set(object, "sent", count_json(producer->sent));
    set(object, "acked", count_json(producer->acked));
    set(object, "failed", count_json(producer->failed));
    set(object, "unknown", count_json(producer->unknown));
    set(object, "requests", count_json(producer->requests));
    json_t *latency = json_object();
    set(latency, "ack", percentiles_json(&producer->latency_ack));
    set(latency, "request", percentiles_json(&producer->latency_request));
    set(object, "latency", latency);
    return object;
}

static json_t *expectations_json(const report_run *run)
{
    json_t *array = json_array();
    for (uint32_t i = 0; i < run->expectation_count; i++) {
        const report_expectation *e = &run->expectations[i];
        json_t *object = json_object();
        set(object, "expr", json_string(e->expr));
        set(object, "kind", json_string(e->kind == SCN_EXPECT_ALWAYS ? "always" : "sometimes"));
        set(object, "held", json_boolean(e->outcome.held));
        set(object, "observed", isfinite(e->outcome.lhs) ? json_real(e->outcome.lhs) : json_null());
        set(object, "against", isfinite(e->outcome.rhs) ? json_real(e->outcome.rhs) : json_null());
        set(object, "no_data",
            e->outcome.no_data[0] != '\0' ? json_string(e->outcome.no_data) : json_null());
        append(array, object);
    }
    return array;
}

/* faults[i]: the timeline entry, the nodes it hit and what it hit there. */
static json_t *fault_json(const fault_effect *effect, uint32_t index)
{
    json_t *object = json_object();
    set(object, "index", count_json(index));
    set(object, "kind", json_string(scn_fault_kind_name(effect->kind)));
    set(object, "target", json_string(effect->target));
    set(object, "at_s", seconds_json((double)effect->at_us / 1e6));
    set(object, "until_s",
        effect->until_us == FAULT_OPEN ? json_null()
                                       : seconds_json((double)effect->until_us / 1e6));
    json_t *nodes = json_array();
    for (uint32_t n = 0; n < effect->node_count; n++) append(nodes, json_string(effect->nodes[n]));
    set(object, "nodes", nodes);
    json_t *hit = json_object();
    set(hit, "bit", json_boolean(effect->bit));
    set(hit, "summary", json_string(effect->summary));
    for (uint32_t c = 0; c < effect->counter_count; c++)
        set(hit, effect->counters[c].name, count_json(effect->counters[c].value));
    set(object, "effect", hit);
    return object;
}

static json_t *faults_json(const report_run *run)
{
    json_t *array = json_array();
    BL_ASSERT(run->faults.count == 0 || run->faults.list != NULL);
    for (uint32_t i = 0; i < run->faults.count; i++)
        append(array, fault_json(&run->faults.list[i], i));
    return array;
}

/* durability: {"producers": {NAME: {KEY: VALUE}}, "topics": ..., "groups": ...,
 * "brokers": {KEY: VALUE}}, every scope present, values strings or null. */
static json_t *durability_json(const report_run *run)
{
    static const char *const scopes[SCN_SCOPE_COUNT] = {
        [SCN_SCOPE_PRODUCER] = "producers",
        [SCN_SCOPE_TOPIC] = "topics",
        [SCN_SCOPE_GROUP] = "groups",
        [SCN_SCOPE_BROKERS] = "brokers",
    };
    json_t *root = json_object();
    for (int scope = 0; scope < SCN_SCOPE_COUNT; scope++) set(root, scopes[scope], json_object());
    for (uint32_t i = 0; i < run->durability.count; i++) {
        const scn_setting *row = &run->durability.rows[i];
        BL_ASSERT((unsigned)row->scope < SCN_SCOPE_COUNT && row->key != NULL);
        json_t *scope = json_object_get(root, scopes[row->scope]);
        json_t *entry = scope;
        if (row->scope != SCN_SCOPE_BROKERS) {
            BL_ASSERT(row->entry != NULL);
            entry = json_object_get(scope, row->entry);
            if (entry == NULL) {
                entry = json_object();
                set(scope, row->entry, entry);
            }
        }
        set(entry, row->key, row->none ? json_null() : json_string(row->value));
    }
    return root;
}

static json_t *run_header_json(const report_run *run)
{
    json_t *root = json_object();
    set(root, "brokerlab", json_integer(REPORT_FORMAT_VERSION));
    set(root, "version", json_string(BL_VERSION));
    set(root, "git_commit", json_string(BL_GIT_COMMIT));
    set(root, "simgrid_version", json_string(platform_simgrid_version()));
    set(root, "scenario", json_string(run->scenario->name));
    set(root, "scenario_path",
        json_string(run->scenario_path != NULL ? run->scenario_path : run->scenario->path));
    if (run->seed <= (uint64_t)INT64_MAX) {
        set(root, "seed", json_integer((json_int_t)run->seed));
    } else { /* JSON parsers commonly stop at int64: keep every digit as text */
        char digits[24];
        snprintf(digits, sizeof digits, "%llu", (unsigned long long)run->seed);
        set(root, "seed", json_string(digits));
    }
    set(root, "sim_time_s", seconds_json(run->sim_time_s));
    set(root, "wall_time_s", seconds_json(run->wall_time_s));
    set(root, "history_sha256",
        run->history_sha256[0] != '\0' ? json_string(run->history_sha256) : json_null());
    set(root, "history_records", count_json(run->history_records));
    set(root, "history_digest", json_string(run->history_digest));
    set(root, "history_format", json_string(run->history_format));
    set(root, "history_file",
        run->history_file != NULL ? json_string(run->history_file) : json_null());
    set(root, "history_bytes", count_json(run->history_bytes));
    set(root, "history_batches", count_json(run->history_batches));
    set(root, "events", count_json(run->events));
    set(root, "packets", count_json(run->packets));
    json_t *network = json_object();
    set(network, "inter_broker_bytes", count_json(run->inter_broker_bytes));
    set(network, "other_bytes", count_json(run->other_bytes));
    set(root, "network", network);
    set(root, "nodes", count_json(run->nodes));
    return root;
}

static json_t *results_json(const report_run *run, const check_results *results)
{
    json_t *root = run_header_json(run);
    json_t *totals = json_object();
    set(totals, "produced", count_json(results->produced));
    set(totals, "acked", count_json(results->acked));
    set(totals, "failed", count_json(results->failed));
    set(totals, "unknown", count_json(results->unknown));
    set(root, "totals", totals);
    json_t *groups = json_object();
    uint32_t *order = malloc((results->group_count + 1) * sizeof *order);
    BL_ASSERT(order != NULL);
    report_group_order(run->scenario, results, order);
    for (uint32_t g = 0; g < results->group_count; g++) {
        const check_group *group = &results->groups[order[g]];
        set(groups, group->name, group_json(group));
    }
    free(order);
    set(root, "groups", groups);
    json_t *producers = json_object();
    for (uint32_t p = 0; p < results->producer_count; p++) {
        set(producers, results->producers[p].name, producer_json(&results->producers[p]));
    }
    set(root, "producers", producers);
    set(root, "faults", faults_json(run));
    set(root, "durability", durability_json(run));
    set(root, "expectations", expectations_json(run));
    return root;
}

void report_group_order(const scn_scenario *scenario, const check_results *results, uint32_t *order)
{
    uint32_t n = 0;
    bool *placed = calloc(results->group_count + 1, sizeof *placed);
    BL_ASSERT(placed != NULL);
    for (uint32_t c = 0; c < scenario->consumer_count; c++) {
        for (uint32_t g = 0; g < results->group_count; g++) {
            if (placed[g] || strcmp(results->groups[g].name, scenario->consumers[c].group) != 0)
                continue;
            placed[g] = true;
            order[n++] = g;
        }
    }
    for (uint32_t g = 0; g < results->group_count; g++) {
        if (!placed[g]) order[n++] = g;
    }
    BL_ASSERT(n == results->group_count);
    free(placed);
}

int report_write_json(const char *path, const report_run *run, const check_results *results)
{
    BL_ASSERT(path != NULL && run != NULL && run->scenario != NULL && results != NULL);
    BL_ASSERT(run->expectation_count == 0 || run->expectations != NULL);
    json_t *root = results_json(run, results);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(root);
    BL_ASSERTF(text != NULL, "cannot serialise results.json");
    /* Atomically, so an interrupted run never leaves a torn results.json nor destroys
     * the previous one. */
    size_t length = strlen(text);
    text[length] = '\n'; /* json_dumps's terminator becomes the final newline */
    int rc = atomic_file_write(path, text, length + 1);
    int saved = errno;
    free(text);
    errno = saved;
    return rc;
}

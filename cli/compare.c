/* compare.c — `brokerlab compare`: one workload across designs (several scenario
 * files), or one knob across values (`--vary producers.0.acks=0,1,all`), over a seed
 * range. Each design is a sweep of its own (DIR/<n>-<label>/sweep.json); the
 * comparison puts every metric side by side with its 95% confidence interval and its
 * ratio to the first design, under each design's effective durability settings (its
 * results.json `durability`), and writes DIR/compare.json. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/atomic_file.h"
#include "../engine/bl_assert.h"
#include "cli_common.h"
#include "compare_output.h"
#include "scenario_vary.h"
#include "sweep.h"

#define COMPARE_COLUMNS_MAX        15u /* one table row holds the metric and 15 designs */
#define COMPARE_DEFAULT_FIRST_SEED 1u
#define COMPARE_DEFAULT_LAST_SEED  5u

static const char usage_compare[] =
    "usage: brokerlab compare A.yaml B.yaml... [OPTIONS]\n"
    "       brokerlab compare SCENARIO --vary KEY=V1,V2,... [OPTIONS]\n"
    "options: [--seeds A..B] [--jobs N] [--out DIR] [--format text|json|md|html] [--quiet]\n"
    "\n"
    "Runs each design over the seed range (default 1..5), N processes at a time (default:\n"
    "one per core), and puts every metric side by side: the mean over the seeds, its 95%\n"
    "confidence interval and its ratio to the first design, under each design's durability\n"
    "settings (acks, replication, min.insync, flush... as the run resolved them). The\n"
    "designs are the scenario files given, or the one scenario with KEY set to each value:\n"
    "KEY is a dotted path through the scenario (producers.0.acks, topics.0.partitions,\n"
    "cluster.brokers); a key or value the scenario format does not accept is an error\n"
    "(exit 2). Each design's sweep goes to DIR/<n>-<label>/ (DIR defaults to\n"
    "out/compare-<scenario name>), the comparison to DIR/compare.json, and with --format\n"
    "html to DIR/compare.html with overlay plots as well.\n"
    "Exit 0 the comparison was made (whatever the expectations said), 2 bad input, 3 a\n"
    "run failed internally, 130 interrupted.\n";

typedef struct compare_column {
    char label[128];
    char scenario_path[JOB_PATH_LEN];
    sweep_plan plan;
    json_t *sweep;
} compare_column;

/* A label as a directory name: [A-Za-z0-9._=-], the rest as '_'. */
static void directory_label(char *out, size_t size, const char *label)
{
    size_t n = 0;
    for (const char *c = label; *c != '\0' && n + 1 < size; c++) {
        bool keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '=' || *c == '-';
        out[n++] = keep ? *c : '_';
    }
    out[n] = '\0';
}

/* The durability settings a design's first seed resolved (results.json), or null. */
static json_t *column_durability(const compare_column *column)
{
    if (column->plan.seed_count == 0) return json_null();
    char path[JOB_PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/results.json", column->plan.job_dirs[0]);
    json_t *results = json_load_file(path, 0, NULL);
    json_t *durability = json_object_get(results, "durability");
    json_t *copy = durability != NULL ? json_deep_copy(durability) : json_null();
    json_decref(results);
    return copy;
}

/* compare.json from the columns' sweeps. */
static json_t *compare_document(compare_column *columns, uint32_t count, const char *vary_key,
                                uint64_t first_seed, uint64_t last_seed)
{
    json_t *root = json_object();
    json_object_set_new(root, "brokerlab_compare", json_integer(1));
    json_object_set_new(root, "vary", vary_key != NULL ? json_string(vary_key) : json_null());
    json_t *seeds = json_object();
    json_object_set_new(seeds, "first", json_integer((json_int_t)first_seed));
    json_object_set_new(seeds, "last", json_integer((json_int_t)last_seed));
    json_object_set_new(seeds, "count", json_integer((json_int_t)(last_seed - first_seed + 1)));
    json_object_set_new(root, "seeds", seeds);
    json_t *out_columns = json_array();
    json_t *names = json_object(); /* every metric, in first-seen order */
    for (uint32_t c = 0; c < count; c++) {
        json_t *one = json_object();
        json_object_set_new(one, "label", json_string(columns[c].label));
        json_object_set_new(one, "scenario", json_string(columns[c].plan.scenario_name));
        json_object_set_new(one, "scenario_path", json_string(columns[c].scenario_path));
        char sweep_path[JOB_PATH_LEN + 32];
        snprintf(sweep_path, sizeof sweep_path, "%s/sweep.json", columns[c].plan.out_dir);
        json_object_set_new(one, "sweep", json_string(sweep_path));
        json_object_set_new(one, "completed",
                            json_deep_copy(json_object_get(columns[c].sweep, "completed")));
        json_object_set_new(one, "failed_runs",
                            json_deep_copy(json_object_get(columns[c].sweep, "failed_runs")));
        json_object_set_new(one, "durability", column_durability(&columns[c]));
        json_object_set_new(one, "expectations",
                            json_deep_copy(json_object_get(columns[c].sweep, "expectations")));
        json_array_append_new(out_columns, one);
        const char *name;
        json_t *unused;
        json_object_foreach(json_object_get(columns[c].sweep, "metrics"), name, unused)
        {
            if (json_object_get(names, name) == NULL) json_object_set_new(names, name, json_true());
        }
    }
    json_object_set_new(root, "columns", out_columns);
    json_t *rows = json_array();
    const char *name;
    json_t *unused;
    json_object_foreach(names, name, unused)
    {
        json_t *row = json_object();
        json_object_set_new(row, "metric", json_string(name));
        const char *unit = NULL;
        json_t *values = json_array();
        double base = NAN;
        for (uint32_t c = 0; c < count; c++) {
            const json_t *metric =
                json_object_get(json_object_get(columns[c].sweep, "metrics"), name);
            if (unit == NULL && metric != NULL)
                unit = json_string_value(json_object_get(metric, "unit"));
            json_t *cell = json_object();
            static const char *const keys[] = {"n", "mean", "ci95_low", "ci95_high", "min", "max"};
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                const json_t *value = json_object_get(metric, keys[k]);
                json_object_set_new(cell, keys[k],
                                    value != NULL ? json_deep_copy(value) : json_null());
            }
            const json_t *mean = json_object_get(metric, "mean");
            double x = json_is_number(mean) ? json_number_value(mean) : NAN;
            if (c == 0) base = x;
            /* The ratio to the first design: undefined when either has no data or the
             * first is 0. */
            bool defined = isfinite(x) && isfinite(base) && base != 0;
            json_object_set_new(cell, "ratio", defined ? json_real(x / base) : json_null());
            json_array_append_new(values, cell);
        }
        json_object_set_new(row, "unit", json_string(unit != NULL ? unit : "count"));
        json_object_set_new(row, "values", values);
        json_array_append_new(rows, row);
    }
    json_decref(names);
    json_object_set_new(root, "rows", rows);
    return root;
}

/* Splits V1,V2,... in place into at most max values; returns how many, 0 if one is
 * empty. */
static uint32_t split_values(char *list, char **values, uint32_t max)
{
    uint32_t n = 0;
    char *start = list;
    for (;;) {
        char *comma = strchr(start, ',');
        if (comma != NULL) *comma = '\0';
        if (*start == '\0' || n == max) return 0;
        values[n++] = start;
        if (comma == NULL) return n;
        start = comma + 1;
    }
}

int cmd_compare(int argc, char **argv)
{
    static const char *const once[] = {"--seeds", "--jobs",   "--out",
                                       "--vary",  "--format", "--quiet"};
    int start = cli_command_start(argc, argv, once, sizeof once / sizeof once[0], usage_compare);
    if (start >= 0) return start;
    sweep_options options = {.first_seed = COMPARE_DEFAULT_FIRST_SEED,
                             .last_seed = COMPARE_DEFAULT_LAST_SEED};
    uint64_t workers = pool_default_workers();
    const char *out_dir = NULL, *vary = NULL;
    bool quiet = false;
    compare_format format = COMPARE_FORMAT_TEXT;
    const char *files[COMPARE_COLUMNS_MAX];
    uint32_t file_count = 0;
    for (int i = 0; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int seed_option = sweep_seed_option(argc, argv, &i, &options.first_seed, &options.last_seed,
                                            &workers, usage_compare);
        if (seed_option > 1) return seed_option;
        if (seed_option == 1) {
            continue;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (value == NULL) return cli_usage_error("--out needs a directory", usage_compare);
            out_dir = value;
            i++;
        } else if (strcmp(argv[i], "--vary") == 0) {
            if (value == NULL || strchr(value, '=') == NULL)
                return cli_usage_error("--vary needs KEY=V1,V2,...", usage_compare);
            vary = value;
            i++;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (!compare_parse_format(value, &format))
                return cli_usage_error("--format needs text, json, md or html", usage_compare);
            i++;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (argv[i][0] == '-') {
            return cli_usage_errorf(usage_compare, "unknown option '%s'", argv[i]);
        } else {
            if (file_count == COMPARE_COLUMNS_MAX)
                return cli_usage_errorf(usage_compare, "at most %u designs", COMPARE_COLUMNS_MAX);
            files[file_count++] = argv[i];
        }
    }
    if (vary != NULL && file_count != 1)
        return cli_usage_error("--vary takes exactly one scenario file", usage_compare);
    if (vary == NULL && file_count < 2)
        return cli_usage_error("compare needs two scenario files or more, or one with --vary",
                               usage_compare);
    char vary_key[256] = "", vary_list[4096] = "";
    char *values[COMPARE_COLUMNS_MAX];
    uint32_t column_count = file_count;
    if (vary != NULL) {
        const char *equals = strchr(vary, '=');
        size_t key_length = (size_t)(equals - vary);
        if (key_length == 0 || key_length >= sizeof vary_key ||
            strlen(equals + 1) >= sizeof vary_list)
            return cli_usage_error("--vary needs KEY=V1,V2,...", usage_compare);
        memcpy(vary_key, vary, key_length);
        snprintf(vary_list, sizeof vary_list, "%s", equals + 1);
        column_count = split_values(vary_list, values, COMPARE_COLUMNS_MAX);
        if (column_count < 1)
            return cli_usage_errorf(usage_compare,
                                    "--vary %s: expected 1 to %u non-empty values, V1,V2,...",
                                    vary_key, COMPARE_COLUMNS_MAX);
    }
    /* The output directory, named after the first scenario unless given. */
    char base_dir[JOB_PATH_LEN];
    if (out_dir != NULL) {
        snprintf(base_dir, sizeof base_dir, "%s", out_dir);
    } else {
        scn_scenario *scenario = malloc(sizeof *scenario);
        BL_ASSERT(scenario != NULL);
        int rc = cli_load_scenario(files[0], false, false, scenario);
        if (rc == 0) snprintf(base_dir, sizeof base_dir, "out/compare-%s", scenario->name);
        free(scenario);
        if (rc != 0) return BL_EXIT_BAD_INPUT;
    }
    if (strlen(base_dir) > JOB_PATH_LEN - 512) {
        fprintf(stderr, "brokerlab: the output directory %s is too long\n", base_dir);
        return BL_EXIT_BAD_INPUT;
    }
    compare_column *columns = calloc(column_count, sizeof *columns);
    BL_ASSERT(columns != NULL);
    int rc = BL_EXIT_OK;
    uint32_t ready = 0, job_count = 0;
    for (uint32_t c = 0; c < column_count && rc == BL_EXIT_OK; c++) {
        compare_column *column = &columns[c];
        /* A label longer than its buffer is cut: it names the design, nothing reads it. */
        int n = vary != NULL
                    ? snprintf(column->label, sizeof column->label, "%s=%s", vary_key, values[c])
                    : snprintf(column->label, sizeof column->label, "%s", files[c]);
        BL_ASSERT(n > 0);
        char name[128], dir[JOB_PATH_LEN];
        directory_label(name, sizeof name, column->label);
        n = snprintf(dir, sizeof dir, "%s/%u-%s", base_dir, c + 1, name);
        BL_ASSERT(n > 0 && (size_t)n < sizeof dir); /* base_dir was checked to leave room */
        if (cli_make_dir(dir) != 0) {
            fprintf(stderr, "brokerlab: cannot create %s: %s\n", dir, strerror(errno));
            rc = BL_EXIT_BAD_INPUT;
            break;
        }
        if (vary != NULL) {
            char error[VARY_ERROR_LEN];
            n = snprintf(column->scenario_path, sizeof column->scenario_path, "%s/scenario.yaml",
                         dir);
            BL_ASSERT(n > 0 && (size_t)n < sizeof column->scenario_path);
            rc = scenario_vary_write(files[0], vary_key, values[c], column->scenario_path, error);
            if (rc != 0) {
                fprintf(stderr, "brokerlab: %s\n", error);
                break;
            }
        } else {
            snprintf(column->scenario_path, sizeof column->scenario_path, "%s", files[c]);
        }
        rc = sweep_plan_init(&column->plan, column->scenario_path, dir, &options);
        if (rc != 0) {
            if (vary != NULL)
                fprintf(stderr, "brokerlab: --vary %s=%s does not give a valid scenario (above)\n",
                        vary_key, values[c]);
            break;
        }
        ready++;
        job_count += column->plan.seed_count;
    }
    pool_job *jobs = calloc(job_count + 1, sizeof *jobs);
    BL_ASSERT(jobs != NULL);
    for (uint32_t c = 0, placed = 0; c < ready && rc == BL_EXIT_OK; c++) {
        rc = sweep_plan_jobs(&columns[c].plan, jobs + placed);
        placed += columns[c].plan.seed_count;
    }
    if (rc == BL_EXIT_OK) {
        pool_options pool = {.workers = (uint32_t)workers, .quiet = quiet, .unit = "runs"};
        bool all = pool_run(jobs, job_count, &pool);
        int worst = BL_EXIT_OK;
        for (uint32_t c = 0; c < column_count; c++) {
            columns[c].sweep = sweep_plan_collect(&columns[c].plan, !all, (uint32_t)workers, true);
            if (columns[c].sweep == NULL) {
                worst = BL_EXIT_BAD_INPUT;
                continue;
            }
            int code = sweep_exit_code(columns[c].sweep);
            if (code > BL_EXIT_EXPECTATION && code > worst) worst = code;
        }
        if (worst == BL_EXIT_OK || worst == BL_EXIT_INTERNAL) {
            json_t *document =
                compare_document(columns, column_count, vary != NULL ? vary_key : NULL,
                                 options.first_seed, options.last_seed);
            if (compare_write(document, base_dir, format, quiet) != 0) worst = BL_EXIT_BAD_INPUT;
            json_decref(document);
        }
        rc = !all ? BL_EXIT_INTERRUPTED : worst;
    }
    for (uint32_t c = 0; c < column_count; c++) {
        json_decref(columns[c].sweep);
        sweep_plan_free(&columns[c].plan);
    }
    free(columns);
    free(jobs);
    return rc;
}

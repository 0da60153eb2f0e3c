/* check.c — `brokerlab check`: the CI gate. Every scenario under the given paths runs
 * over the seed range (one pool of processes for all of them), and each expectation
 * gets its verdict over the seeds: `always` must hold on every seed, `sometimes` on at
 * least one (the Antithesis reading of "sometimes": the property must be seen to hold,
 * not merely be possible). One line per scenario; a failure adds at most five lines:
 * the violated expectation, on how many seeds, the first failing seed and its replay
 * command. JUnit XML for CI servers with --junit. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../engine/atomic_file.h"
#include "../engine/bl_assert.h"
#include "../reports/junit.h"
#include "cli_common.h"
#include "sweep.h"

#define CHECK_SCENARIOS_MAX 4096u
#define FAILURE_LINES_MAX   5u

static const char usage_check[] =
    "usage: brokerlab check PATH... [--seeds A..B] [--jobs N] [--junit FILE] [--out DIR]\n"
    "                       [--check-determinism] [--format text|json|md] [--quiet]\n"
    "                       [--strict]\n"
    "\n"
    "Runs every scenario file under the paths (a file, or a directory searched for\n"
    "*.yaml) over the seed range (default: each scenario's own seed), N processes at a\n"
    "time (default: one per core). `always` expectations must hold on every seed,\n"
    "`sometimes` ones on at least one. Prints one line per scenario (PASS or FAIL, seeds,\n"
    "time), and under a failure the violated expectation, the first failing seed and the\n"
    "command that replays it. Each scenario's seeds and sweep.json go to DIR/<scenario>\n"
    "(DIR defaults to out/check), the summary to DIR/check.json. --junit FILE writes\n"
    "JUnit XML for CI servers. --check-determinism runs every seed twice more in\n"
    "separate processes and fails (exit 3) naming the first differing history record.\n"
    "Exit 0 every expectation held, 1 one failed, 2 bad input, 3 a run failed\n"
    "internally (or nondeterminism), 130 interrupted.\n";

typedef struct path_list {
    char **paths;
    uint32_t count, capacity;
} path_list;

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(path_list *list, const char *path)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity * 2 + 16;
        list->paths = realloc(list->paths, list->capacity * sizeof *list->paths);
        BL_ASSERT(list->paths != NULL);
    }
    list->paths[list->count] = strdup(path);
    BL_ASSERT(list->paths[list->count] != NULL);
    list->count++;
}

static bool is_yaml(const char *name)
{
    size_t length = strlen(name);
    return (length > 5 && strcmp(name + length - 5, ".yaml") == 0) ||
           (length > 4 && strcmp(name + length - 4, ".yml") == 0);
}

/* The scenario files under `path`: itself if a file, else every *.yaml below it, in
 * name order. Returns 0, or -1 with the reason printed. */
static int collect_scenarios(const char *path, path_list *list, uint32_t depth)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        fprintf(stderr, "brokerlab: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(info.st_mode)) {
        add_path(list, path);
        return 0;
    }
    if (depth > 16) {
        fprintf(stderr, "brokerlab: %s: directories nested deeper than 16\n", path);
        return -1;
    }
    DIR *dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "brokerlab: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    path_list entries = {0};
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        char child[JOB_PATH_LEN];
        int n = snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        if (n < 0 || (size_t)n >= sizeof child) continue;
        add_path(&entries, child);
    }
    closedir(dir);
    qsort(entries.paths, entries.count, sizeof *entries.paths, compare_strings);
    int rc = 0;
    for (uint32_t i = 0; i < entries.count; i++) {
        struct stat child_info;
        if (rc == 0 && stat(entries.paths[i], &child_info) == 0) {
            if (S_ISDIR(child_info.st_mode))
                rc = collect_scenarios(entries.paths[i], list, depth + 1);
            else if (is_yaml(entries.paths[i]))
                add_path(list, entries.paths[i]);
        }
        free(entries.paths[i]);
    }
    free(entries.paths);
    return rc;
}

/* For a `sometimes` that never held: whether the faults bit on those seeds at all. */
static const char *faults_note(const json_t *sweep, long long completed)
{
    static char note[128];
    const json_t *faults = json_object_get(sweep, "faults");
    if (!json_is_object(faults)) return "";
    long long every =
        (long long)json_integer_value(json_object_get(faults, "seeds_every_fault_bit"));
    long long none = (long long)json_integer_value(json_object_get(faults, "seeds_no_fault_bit"));
    if (none == completed)
        snprintf(note, sizeof note, "; no fault bit on any seed");
    else
        snprintf(note, sizeof note, "; every fault bit on %lld of %lld seeds", every, completed);
    return note;
}

/* One scenario's line and, if it failed, at most five lines on why. */
static void print_scenario_line(FILE *out, const sweep_plan *plan, const json_t *sweep,
                                double wall_s, bool md)
{
    int code = sweep_exit_code(sweep);
    const json_t *seeds = json_object_get(sweep, "seeds");
    long long first = (long long)json_integer_value(json_object_get(seeds, "first"));
    long long last = (long long)json_integer_value(json_object_get(seeds, "last"));
    long long completed = (long long)json_integer_value(json_object_get(sweep, "completed"));
    char range[64];
    if (first == last)
        snprintf(range, sizeof range, "seed %lld", first);
    else
        snprintf(range, sizeof range, "seeds %lld..%lld", first, last);
    fprintf(out, "%s%-4s %-44s %-16s %6.1fs%s\n", md ? "- " : "",
            code == BL_EXIT_OK            ? "PASS"
            : code == BL_EXIT_EXPECTATION ? "FAIL"
                                          : "ERROR",
            plan->scenario_name, range, wall_s,
            plan->header.partial ? "  (partial: interrupted)" : "");
    if (code == BL_EXIT_OK) return;
    uint32_t lines = 0;
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(sweep, "runs"), i, run)
    {
        const json_t *error = json_object_get(run, "error");
        if (error == NULL || lines >= FAILURE_LINES_MAX) continue;
        fprintf(out, "     seed %lld failed (exit %lld): %.160s\n",
                (long long)json_integer_value(json_object_get(run, "seed")),
                (long long)json_integer_value(json_object_get(run, "exit")),
                json_string_value(error));
        lines++;
    }
    json_t *expectation;
    json_array_foreach(json_object_get(sweep, "expectations"), i, expectation)
    {
        if (strcmp(json_string_value(json_object_get(expectation, "verdict")), "held") == 0)
            continue;
        if (lines + 2 > FAILURE_LINES_MAX) break;
        const char *kind = json_string_value(json_object_get(expectation, "kind"));
        long long failed =
            (long long)json_integer_value(json_object_get(expectation, "failed_seeds"));
        const char *no_data = json_string_value(json_object_get(expectation, "no_data"));
        char why[200] = "";
        if (no_data != NULL) snprintf(why, sizeof why, " (no data: %.160s)", no_data);
        if (strcmp(kind, "always") == 0)
            fprintf(out, "     always %s: failed on %lld of %lld seeds%s\n",
                    json_string_value(json_object_get(expectation, "expr")), failed, completed,
                    why);
        else
            fprintf(out, "     sometimes %s: held on none of %lld seeds%s%s\n",
                    json_string_value(json_object_get(expectation, "expr")), completed, why,
                    faults_note(sweep, completed));
        lines++;
        const json_t *replay = json_object_get(expectation, "replay");
        if (json_is_string(replay)) {
            fprintf(out, "       replay: %s\n", json_string_value(replay));
            lines++;
        }
    }
}

/* check.json: every scenario's verdict and where its sweep.json is. */
static json_t *check_summary(const sweep_plan *plans, json_t *const *sweeps, const double *wall_s,
                             uint32_t count)
{
    json_t *root = json_object();
    json_object_set_new(root, "brokerlab_check", json_integer(1));
    json_t *scenarios = json_array();
    for (uint32_t p = 0; p < count; p++) {
        json_t *one = json_object();
        json_object_set_new(one, "scenario", json_string(plans[p].scenario_name));
        json_object_set_new(one, "scenario_path", json_string(plans[p].scenario_path));
        char sweep_path[JOB_PATH_LEN + 32];
        snprintf(sweep_path, sizeof sweep_path, "%s/sweep.json", plans[p].out_dir);
        json_object_set_new(one, "sweep", json_string(sweep_path));
        int code = sweeps[p] != NULL ? sweep_exit_code(sweeps[p]) : BL_EXIT_BAD_INPUT;
        json_object_set_new(one, "verdict",
                            json_string(code == BL_EXIT_OK            ? "held"
                                        : code == BL_EXIT_EXPECTATION ? "failed"
                                                                      : "error"));
        json_object_set_new(one, "exit", json_integer(code));
        json_object_set_new(one, "partial", json_boolean(plans[p].header.partial));
        json_object_set_new(one, "wall_time_s", json_real(wall_s[p]));
        json_object_set_new(one, "expectations",
                            sweeps[p] != NULL
                                ? json_deep_copy(json_object_get(sweeps[p], "expectations"))
                                : json_array());
        json_array_append_new(scenarios, one);
    }
    json_object_set_new(root, "scenarios", scenarios);
    return root;
}

static int write_text(const char *path, char *text)
{
    size_t length = strlen(text);
    int rc = atomic_file_write(path, text, length);
    if (rc != 0) fprintf(stderr, "brokerlab: cannot write %s: %s\n", path, strerror(errno));
    return rc;
}

int cmd_check(int argc, char **argv)
{
    static const char *const once[] = {
        "--seeds",  "--jobs",  "--junit", "--out", "--check-determinism",
        "--format", "--quiet", "--strict"};
    int start = cli_command_start(argc, argv, once, sizeof once / sizeof once[0], usage_check);
    if (start >= 0) return start;
    const char *out_dir = "out/check", *junit = NULL;
    sweep_options options = {.scenario_seed = true};
    uint64_t workers = pool_default_workers();
    bool quiet = false;
    sweep_format format = SWEEP_FORMAT_TEXT;
    path_list roots = {0};
    int rc = BL_EXIT_OK;
    for (int i = 0; i < argc && rc == BL_EXIT_OK; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--seeds") == 0) options.scenario_seed = false;
        int seed_option = sweep_seed_option(argc, argv, &i, &options.first_seed, &options.last_seed,
                                            &workers, usage_check);
        if (seed_option > 1) rc = seed_option;
        if (seed_option != 0) {
            continue;
        } else if (strcmp(argv[i], "--junit") == 0 || strcmp(argv[i], "--out") == 0) {
            if (value == NULL) rc = cli_usage_errorf(usage_check, "%s needs a path", argv[i]);
            if (argv[i][2] == 'j')
                junit = value;
            else
                out_dir = value;
            i++;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (!sweep_parse_format(value, &format))
                rc = cli_usage_error("--format needs text, json or md", usage_check);
            i++;
        } else if (strcmp(argv[i], "--check-determinism") == 0) {
            options.check_determinism = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(argv[i], "--strict") == 0) {
            options.strict = true;
        } else if (argv[i][0] == '-') {
            rc = cli_usage_errorf(usage_check, "unknown option '%s'", argv[i]);
        } else {
            add_path(&roots, argv[i]);
        }
    }
    if (rc == BL_EXIT_OK && roots.count == 0)
        rc = cli_usage_error("check needs scenario files or directories", usage_check);
    path_list files = {0};
    for (uint32_t r = 0; r < roots.count && rc == BL_EXIT_OK; r++) {
        if (collect_scenarios(roots.paths[r], &files, 0) != 0) rc = BL_EXIT_BAD_INPUT;
    }
    if (rc == BL_EXIT_OK && files.count == 0) {
        fprintf(stderr, "brokerlab: no scenario file (*.yaml) under the paths given\n");
        rc = BL_EXIT_BAD_INPUT;
    }
    if (rc == BL_EXIT_OK && files.count > CHECK_SCENARIOS_MAX) {
        fprintf(stderr, "brokerlab: %u scenario files; check takes at most %u\n", files.count,
                CHECK_SCENARIOS_MAX);
        rc = BL_EXIT_BAD_INPUT;
    }
    sweep_plan *plans = calloc(files.count + 1, sizeof *plans);
    BL_ASSERT(plans != NULL);
    uint32_t plan_count = 0, job_count = 0;
    /* Every scenario is validated before anything runs: bad input fails fast. */
    for (uint32_t f = 0; f < files.count && rc == BL_EXIT_OK; f++) {
        sweep_plan *plan = &plans[plan_count];
        rc = sweep_plan_init(plan, files.paths[f], NULL, &options);
        if (rc != BL_EXIT_OK) break;
        /* Its own directory under DIR, named after the scenario (and its place in the
         * list when two files share a name). */
        bool repeated_name = false;
        for (uint32_t p = 0; p < plan_count; p++)
            repeated_name |= strcmp(plans[p].scenario_name, plan->scenario_name) == 0;
        char dir[JOB_PATH_LEN];
        int n = repeated_name
                    ? snprintf(dir, sizeof dir, "%s/%s-%u", out_dir, plan->scenario_name, f + 1)
                    : snprintf(dir, sizeof dir, "%s/%s", out_dir, plan->scenario_name);
        if (n < 0 || (size_t)n >= sizeof dir - 64) {
            fprintf(stderr, "brokerlab: the output directory %s is too long\n", out_dir);
            sweep_plan_free(plan);
            rc = BL_EXIT_BAD_INPUT;
            break;
        }
        sweep_plan_place(plan, dir);
        plan_count++;
        job_count += plan->seed_count;
    }
    pool_job *jobs = calloc(job_count + 1, sizeof *jobs);
    BL_ASSERT(jobs != NULL);
    for (uint32_t p = 0, placed = 0; p < plan_count && rc == BL_EXIT_OK; p++) {
        rc = sweep_plan_jobs(&plans[p], jobs + placed);
        placed += plans[p].seed_count;
    }
    json_t **sweeps = calloc(plan_count + 1, sizeof *sweeps);
    double *wall_s = calloc(plan_count + 1, sizeof *wall_s);
    BL_ASSERT(sweeps != NULL && wall_s != NULL);
    if (rc == BL_EXIT_OK) {
        pool_options pool = {.workers = (uint32_t)workers, .quiet = quiet, .unit = "runs"};
        bool all = pool_run(jobs, job_count, &pool);
        int worst = BL_EXIT_OK;
        FILE *out = stdout;
        bool md = format == SWEEP_FORMAT_MD;
        for (uint32_t p = 0; p < plan_count; p++) {
            sweeps[p] = sweep_plan_collect(&plans[p], !all, (uint32_t)workers, true);
            for (uint32_t s = 0; s < plans[p].seed_count; s++) wall_s[p] += plans[p].jobs[s].wall_s;
            if (sweeps[p] == NULL) {
                worst = BL_EXIT_BAD_INPUT;
                continue;
            }
            int code = sweep_exit_code(sweeps[p]);
            if (code > worst) worst = code;
            if (!quiet && format != SWEEP_FORMAT_JSON)
                print_scenario_line(out, &plans[p], sweeps[p], wall_s[p], md);
        }
        json_t *summary = check_summary(plans, sweeps, wall_s, plan_count);
        char summary_path[JOB_PATH_LEN + 32];
        snprintf(summary_path, sizeof summary_path, "%s/check.json", out_dir);
        char *text =
            json_dumps(summary, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
        BL_ASSERT(text != NULL);
        if (!quiet && format == SWEEP_FORMAT_JSON) printf("%s\n", text);
        if (cli_make_dir(out_dir) != 0 || write_text(summary_path, text) != 0)
            worst = BL_EXIT_BAD_INPUT;
        free(text);
        json_decref(summary);
        if (junit != NULL) {
            junit_suite *suites = calloc(plan_count + 1, sizeof *suites);
            BL_ASSERT(suites != NULL);
            uint32_t n = 0;
            for (uint32_t p = 0; p < plan_count; p++) {
                if (sweeps[p] == NULL) continue;
                suites[n++] = (junit_suite){sweeps[p], plans[p].scenario_path, wall_s[p]};
            }
            char *xml = junit_xml(suites, n);
            if (write_text(junit, xml) != 0) worst = BL_EXIT_BAD_INPUT;
            free(xml);
            free(suites);
        }
        if (!quiet && format != SWEEP_FORMAT_JSON) {
            uint32_t held = 0;
            for (uint32_t p = 0; p < plan_count; p++)
                held += sweeps[p] != NULL && sweep_exit_code(sweeps[p]) == BL_EXIT_OK;
            fprintf(out, "%s%u of %u scenarios held; wrote %s%s%s\n", md ? "\n" : "", held,
                    plan_count, summary_path, junit != NULL ? " and " : "",
                    junit != NULL ? junit : "");
        }
        rc = !all ? BL_EXIT_INTERRUPTED : worst;
    }
    for (uint32_t p = 0; p < plan_count; p++) {
        json_decref(sweeps[p]);
        sweep_plan_free(&plans[p]);
    }
    free(sweeps);
    free(wall_s);
    free(jobs);
    free(plans);
    for (uint32_t i = 0; i < files.count; i++) free(files.paths[i]);
    for (uint32_t i = 0; i < roots.count; i++) free(roots.paths[i]);
    free(files.paths);
    free(roots.paths);
    return rc;
}

/* brokerlab.c — the command line: `run`, `validate`, `history`, `--help`.
 *
 * Exit codes (a contract for CI): 0 ran and every expectation held, 1 an expectation
 * failed, 2 bad input or usage, 3 internal error (a violated invariant, bl_panic). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../engine/bl_assert.h"
#include "../engine/history.h"
#include "../engine/history_reader.h"
#include "../engine/platform.h"
#include "../engine/scenario.h"
#include "../models/family.h"
#include "../models/world.h"
#include "../reports/check.h"
#include "../reports/expect.h"
#include "../reports/report.h"
#include "determinism_check.h"

static const char usage_main[] =
    "usage: brokerlab COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO [--seed N] [--out DIR] [--history FORMAT] [--strict]\n"
    "                                        simulate, check, write DIR/results.json and\n"
    "                                        the history (DIR/history.blh), print a summary\n"
    "  run --default [...]                   the built-in peak-shaving scenario\n"
    "  validate [--strict] SCENARIO...       parse and check scenario files only\n"
    "  history RUN_DIR|FILE                  print a run's history as JSONL\n"
    "  help [COMMAND]                        this text, or a command's\n"
    "  version                               brokerlab's version, commit and SimGrid's\n"
    "\n"
    "exit codes: 0 ok, 1 an expectation failed, 2 bad input or usage, 3 internal error\n"
    "`brokerlab COMMAND --help` describes a command; an option's value may follow it or\n"
    "an `=` (--seed 7, --seed=7); an option given twice is an error.\n";

static const char usage_run[] =
    "usage: brokerlab run (SCENARIO | --default) [--seed N] [--out DIR] [--history FORMAT]\n"
    "                     [--strict] [--check-determinism]\n"
    "\n"
    "Simulates the scenario with its seed (or N), checks the client history and prints a\n"
    "summary. Writes DIR/results.json and the history (DIR defaults to\n"
    "out/<scenario name>). FORMAT is one of\n"
    "  binary     DIR/history.blh: compact and zstd-compressed (the default); read it with\n"
    "             `brokerlab history DIR`, which prints the JSONL\n"
    "  jsonl      DIR/history.jsonl: the documented JSONL, one record per line\n"
    "  jsonl.zst  DIR/history.jsonl.zst: the same, zstd-compressed (read with zstdcat)\n"
    "  none       no history file (results.json still has the history digest)\n"
    "Warnings about what the scenario cannot measure go to stderr; --strict refuses to\n"
    "run a scenario with a warning (exit 2). --check-determinism first runs the seed twice,\n"
    "each in a process of its own (their histories under DIR/determinism-check), and exits\n"
    "3 naming the first differing history record if the two differ.\n"
    "Exit 0 if every expectation held, 1 if one failed (the replay command is printed),\n"
    "2 on bad input, 3 on an internal error.\n";

static const char usage_history[] =
    "usage: brokerlab history RUN_DIR|FILE\n"
    "\n"
    "Prints a history as JSONL on standard output: RUN_DIR/history.blh (what `run` writes\n"
    "by default) or a .blh file, expanded into the lines `run --history jsonl` writes, byte\n"
    "for byte. Exit 0, or 2 if the file is missing, unreadable or corrupt.\n";

static const char usage_validate[] =
    "usage: brokerlab validate [--strict] SCENARIO...\n"
    "\n"
    "Parses and checks each scenario file (keys, types, units, ranges, references,\n"
    "expectations). Prints FILE: ok, or FILE:LINE:COL: what is wrong. Warnings about what\n"
    "a valid scenario cannot measure (a group on a topic nobody writes to, a fault that\n"
    "targets no node, a window cut short by the end of the load phase, a metric it cannot\n"
    "produce) go to stderr as FILE:LINE:COL: warning: ...; --strict counts them as errors.\n"
    "Exit 0 if all are valid, 2 otherwise.\n";

static int usage_error(const char *message, const char *usage)
{
    fprintf(stderr, "brokerlab: %s\n\n%s", message, usage);
    return BL_EXIT_BAD_INPUT;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static bool parse_u64(const char *text, uint64_t *out)
{
    if (text == NULL || *text < '0' || *text > '9') return false;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = value;
    return true;
}

/* Loads and fully validates one scenario (including expectations). */
static void print_warning(void *user, const char *warning)
{
    (void)user;
    fprintf(stderr, "%s\n", warning);
}

/* Loads and validates a scenario, printing its error or its warnings; with `strict` a
 * warning fails it too. */
static int load_scenario(const char *path, bool builtin, bool strict, scn_scenario *scenario)
{
    char error[SCN_ERROR_LEN];
    int rc = builtin
                 ? scn_load_string(family_schemas(), "<default>", scn_default_yaml, scenario, error)
                 : scn_load(family_schemas(), path, scenario, error);
    if (rc == 0) rc = expect_validate(scenario, error);
    if (rc != 0) {
        fprintf(stderr, "%s\n", error);
        return rc;
    }
    uint32_t warnings = scn_lint(scenario, print_warning, NULL);
    warnings += expect_lint(scenario, print_warning, NULL);
    if (strict && warnings > 0) {
        fprintf(stderr, "%s: %u warning%s, refused by --strict\n", scenario->path,
                (unsigned)warnings, warnings == 1 ? "" : "s");
        return BL_EXIT_BAD_INPUT;
    }
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    if (argc < 1) return usage_error("validate needs at least one scenario file", usage_validate);
    if (is_help(argv[0])) {
        fputs(usage_validate, stdout);
        return BL_EXIT_OK;
    }
    int rc = BL_EXIT_OK;
    bool strict = false;
    int first = 0;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--strict") != 0) {
            char message[160];
            snprintf(message, sizeof message, "unknown option '%s'", argv[first]);
            return usage_error(message, usage_validate);
        }
        if (strict) return usage_error("--strict given twice", usage_validate);
        strict = true;
    }
    if (first == argc)
        return usage_error("validate needs at least one scenario file", usage_validate);
    scn_scenario *scenario = malloc(sizeof *scenario);
    BL_ASSERT(scenario != NULL);
    for (int i = first; i < argc; i++) {
        if (load_scenario(argv[i], false, strict, scenario) != 0)
            rc = BL_EXIT_BAD_INPUT;
        else
            printf("%s: ok\n", argv[i]);
    }
    free(scenario);
    return rc;
}

static int make_dir(const char *path)
{
    char buf[SCN_PATH_LEN];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static void feed_checker(void *ctx, const hist_record *rec, const hist_names *names)
{
    check_feed(ctx, rec, names);
}

typedef struct run_options {
    const char *path;
    bool builtin;
    bool seed_given;
    uint64_t seed;
    const char *out_dir;
    hist_format history_format;
    bool strict;            /* --strict: a warning refuses the run */
    bool check_determinism; /* --check-determinism: two runs of the seed first, compared */
} run_options;

static const struct {
    const char *name; /* --history value, and results.json history_format */
    const char *file; /* in the run directory; NULL = none */
    hist_format format;
} g_history_formats[] = {
    {"binary", "history.blh", HIST_FORMAT_BINARY},
    {"jsonl", "history.jsonl", HIST_FORMAT_JSONL},
    {"jsonl.zst", "history.jsonl.zst", HIST_FORMAT_JSONL_ZST},
    {"none", NULL, HIST_FORMAT_NONE},
};
#define HISTORY_FORMAT_COUNT (sizeof g_history_formats / sizeof g_history_formats[0])

static int parse_run_options(int argc, char **argv, run_options *options)
{
    memset(options, 0, sizeof *options);
    static const char *const once[] = {"--default", "--strict", "--check-determinism",
                                       "--seed",    "--out",    "--history"};
    for (int i = 0; i < argc; i++) {
        for (size_t o = 0; o < sizeof once / sizeof once[0]; o++) {
            for (int j = 0; j < i && strcmp(argv[i], once[o]) == 0; j++) {
                if (strcmp(argv[j], once[o]) != 0) continue;
                char message[160];
                snprintf(message, sizeof message, "%s given twice", once[o]);
                return usage_error(message, usage_run);
            }
        }
    }
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) return -1;
        if (strcmp(argv[i], "--default") == 0)
            options->builtin = true;
        else if (strcmp(argv[i], "--strict") == 0)
            options->strict = true;
        else if (strcmp(argv[i], "--check-determinism") == 0)
            options->check_determinism = true;
        else if (strcmp(argv[i], "--seed") == 0) {
            if (i + 1 >= argc || !parse_u64(argv[++i], &options->seed))
                return usage_error("--seed needs an unsigned integer", usage_run);
            options->seed_given = true;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc) return usage_error("--out needs a directory", usage_run);
            options->out_dir = argv[++i];
        } else if (strcmp(argv[i], "--history") == 0) {
            const char *value = i + 1 < argc ? argv[++i] : "";
            uint32_t f = 0;
            while (f < HISTORY_FORMAT_COUNT && strcmp(g_history_formats[f].name, value) != 0) f++;
            if (f == HISTORY_FORMAT_COUNT)
                return usage_error("--history needs binary, jsonl, jsonl.zst or none", usage_run);
            options->history_format = g_history_formats[f].format;
        } else if (argv[i][0] == '-') {
            char message[160];
            snprintf(message, sizeof message, "unknown option '%s'", argv[i]);
            return usage_error(message, usage_run);
        } else if (options->path != NULL) {
            return usage_error("run takes one scenario file", usage_run);
        } else {
            options->path = argv[i];
        }
    }
    if ((options->path == NULL) == !options->builtin)
        return usage_error("run needs a scenario file or --default (not both)", usage_run);
    return 0;
}

static void evaluate_expectations(const scn_scenario *scenario, const check_results *results,
                                  report_expectation *out, bool *all_held)
{
    *all_held = true;
    for (uint32_t i = 0; i < scenario->expect_count; i++) {
        out[i].kind = scenario->expects[i].kind;
        out[i].expr = scenario->expects[i].expr;
        expect_evaluate(scenario, i, results, &out[i].outcome);
        *all_held &= out[i].outcome.held;
    }
}

static const char *program_path = "brokerlab"; /* argv[0], for the replay line */

/* A run that cannot report (its platform or its history failed): frees what it holds
 * and gives the bad-input exit code; the caller has said why. */
static int discard_run(check_state *checker, scn_scenario *scenario)
{
    check_results unused;
    check_end(checker, hist_names_table(), &unused);
    check_results_free(&unused);
    free(hist_names_table());
    free(scenario);
    return BL_EXIT_BAD_INPUT;
}

static int cmd_run(int argc, char **argv)
{
    run_options options;
    int rc = parse_run_options(argc, argv, &options);
    if (rc < 0) {
        fputs(usage_run, stdout);
        return BL_EXIT_OK;
    }
    if (rc != 0) return rc;
    scn_scenario *scenario = malloc(sizeof *scenario);
    BL_ASSERT(scenario != NULL);
    if (load_scenario(options.path, options.builtin, options.strict, scenario) != 0) {
        free(scenario);
        return BL_EXIT_BAD_INPUT;
    }
    uint64_t seed = options.seed_given ? options.seed : scenario->seed;
    uint32_t f = 0;
    while (g_history_formats[f].format != options.history_format) f++;
    const char *history_file = g_history_formats[f].file;
    char out_dir[SCN_PATH_LEN], history_path[SCN_PATH_LEN + 32], results_path[SCN_PATH_LEN + 32];
    snprintf(out_dir, sizeof out_dir, "%s", options.out_dir ? options.out_dir : "out");
    if (options.out_dir == NULL) snprintf(out_dir, sizeof out_dir, "out/%s", scenario->name);
    snprintf(history_path, sizeof history_path, "%s/%s", out_dir,
             history_file != NULL ? history_file : "");
    snprintf(results_path, sizeof results_path, "%s/results.json", out_dir);
    if (make_dir(out_dir) != 0) {
        fprintf(stderr, "brokerlab: cannot create %s: %s\n", out_dir, strerror(errno));
        free(scenario);
        return BL_EXIT_BAD_INPUT;
    }
    if (options.check_determinism) {
        char work_dir[SCN_PATH_LEN + 32];
        snprintf(work_dir, sizeof work_dir, "%s/determinism-check", out_dir);
        int check = make_dir(work_dir) != 0
                        ? BL_EXIT_BAD_INPUT
                        : determinism_check(options.path, options.builtin, seed, work_dir);
        if (check != BL_EXIT_OK) {
            free(scenario);
            return check;
        }
    }
    /* A history file of another format from an earlier run would not match this one. */
    for (uint32_t k = 0; k < HISTORY_FORMAT_COUNT; k++) {
        if (g_history_formats[k].file == NULL || g_history_formats[k].file == history_file)
            continue;
        char stale[SCN_PATH_LEN + 32];
        snprintf(stale, sizeof stale, "%s/%s", out_dir, g_history_formats[k].file);
        if (unlink(stale) != 0 && errno != ENOENT) {
            fprintf(stderr, "brokerlab: cannot remove %s: %s\n", stale, strerror(errno));
            free(scenario);
            return BL_EXIT_BAD_INPUT;
        }
    }
    FILE *history = history_file != NULL ? fopen(history_path, "w") : NULL;
    if (history_file != NULL && history == NULL) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", history_path, strerror(errno));
        free(scenario);
        return BL_EXIT_BAD_INPUT;
    }
    static char history_buffer[1 << 20];
    if (history != NULL) setvbuf(history, history_buffer, _IOFBF, sizeof history_buffer);
    struct timespec wall_start, wall_end;
    clock_gettime(CLOCK_MONOTONIC, &wall_start); /* reported only, never simulated */
    check_state *checker = check_begin(scenario->unavailable_after_us);
    check_set_run_length(checker, scenario->duration_us + scenario->drain_us);
    hist_options history_options = {.format = options.history_format,
                                    .out = history,
                                    .sink = feed_checker,
                                    .sink_ctx = checker};
    hist_open(&history_options);
    world_stats stats;
    char world_error[SIM_ERROR_LEN];
    if (world_run(scenario, seed, &stats, world_error) != 0) {
        hist_summary discarded;
        hist_close(&discarded);
        if (history != NULL) fclose(history);
        if (history_file != NULL) unlink(history_path);
        const scn_mark *mark = &scenario->cluster.network.platform_mark;
        fprintf(stderr, "%s:%u:%u: cluster.network.platform: %s\n",
                options.builtin ? "<default>" : options.path, mark->line, mark->column,
                world_error);
        return discard_run(checker, scenario);
    }
    report_run run = {.scenario = scenario,
                      .scenario_path = options.builtin ? "<default>" : options.path,
                      .seed = seed,
                      .sim_time_s = stats.sim_time_s,
                      .events = stats.wakes,
                      .packets = stats.packets,
                      .nodes = stats.nodes,
                      .history_format = g_history_formats[f].name,
                      .history_file = history_file};
    hist_summary summary;
    hist_close(&summary);
    int write_errno = summary.write_errno;
    if (history != NULL && fclose(history) != 0 && write_errno == 0)
        write_errno = errno != 0 ? errno : EIO;
    if (write_errno != 0) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", history_path, strerror(write_errno));
        return discard_run(checker, scenario);
    }
    memcpy(run.history_sha256, summary.jsonl_sha256_hex, sizeof run.history_sha256);
    memcpy(run.history_digest, summary.digest_hex, sizeof run.history_digest);
    run.history_records = summary.records;
    run.history_batches = summary.batches;
    run.history_bytes = summary.file_bytes;
    check_results results;
    check_end(checker, hist_names_table(), &results);
    clock_gettime(CLOCK_MONOTONIC, &wall_end);
    run.wall_time_s = (double)(wall_end.tv_sec - wall_start.tv_sec) +
                      (double)(wall_end.tv_nsec - wall_start.tv_nsec) / 1e9;
    static report_expectation expectations[SCN_EXPECT_MAX];
    bool all_held = true;
    evaluate_expectations(scenario, &results, expectations, &all_held);
    run.expectations = expectations;
    run.expectation_count = scenario->expect_count;
    if (report_write_json(results_path, &run, &results) != 0) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", results_path, strerror(errno));
        return BL_EXIT_BAD_INPUT;
    }
    report_print_summary(stdout, &run, &results);
    if (history_file != NULL)
        printf("wrote %s and %s\n", results_path, history_path);
    else
        printf("wrote %s (no history file: --history none)\n", results_path);
    if (!all_held) {
        printf(
            "an expectation failed; replay exactly this run with:\n  %s run %s --seed %llu%s%s\n",
            program_path, options.builtin ? "--default" : options.path, (unsigned long long)seed,
            options.out_dir != NULL ? " --out " : "",
            options.out_dir != NULL ? options.out_dir : "");
    }
    check_results_free(&results);
    free(hist_names_table());
    free(scenario);
    return all_held ? BL_EXIT_OK : BL_EXIT_EXPECTATION;
}

static int cmd_history(int argc, char **argv)
{
    if (argc == 1 && is_help(argv[0])) {
        fputs(usage_history, stdout);
        return BL_EXIT_OK;
    }
    if (argc != 1)
        return usage_error("history takes one run directory or .blh file", usage_history);
    char path[SCN_PATH_LEN + 32];
    struct stat info;
    bool is_dir = stat(argv[0], &info) == 0 && S_ISDIR(info.st_mode);
    int n = snprintf(path, sizeof path, is_dir ? "%s/history.blh" : "%s", argv[0]);
    if (n < 0 || (size_t)n >= sizeof path)
        return usage_error("the path is too long", usage_history);
    char error[HIST_READER_ERROR_LEN];
    static char out_buffer[1 << 20];
    setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
    int rc = hist_read_jsonl(path, stdout, error);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "brokerlab: cannot write the output: %s\n", strerror(errno));
        return BL_EXIT_BAD_INPUT;
    }
    if (rc != 0) {
        fprintf(stderr, "brokerlab: %s\n", error);
        return BL_EXIT_BAD_INPUT;
    }
    return BL_EXIT_OK;
}

static int cmd_version(void)
{
    printf("brokerlab %s (commit %s, SimGrid %s)\n", BL_VERSION, BL_GIT_COMMIT,
           platform_simgrid_version());
    return BL_EXIT_OK;
}

/* `help [COMMAND]`: the main usage, or the command's. */
static int cmd_help(int argc, char **argv)
{
    static const struct {
        const char *name;
        const char *usage;
    } commands[] = {{"run", usage_run}, {"validate", usage_validate}, {"history", usage_history}};
    if (argc == 0) {
        fputs(usage_main, stdout);
        return BL_EXIT_OK;
    }
    for (size_t i = 0; argc == 1 && i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[0], commands[i].name) == 0) {
            fputs(commands[i].usage, stdout);
            return BL_EXIT_OK;
        }
    }
    char message[160];
    snprintf(message, sizeof message, "help takes one command: run, validate or history%s%s",
             argc >= 1 ? ", not " : "", argc >= 1 ? argv[0] : "");
    return usage_error(message, usage_main);
}

/* Rewrites `--name=value` arguments as `--name value`, in place of argv's copy. */
static char **split_option_values(int argc, char **argv, int *out_argc)
{
    char **split = calloc((size_t)argc * 2 + 1, sizeof *split);
    BL_ASSERT(split != NULL);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        char *equals = strncmp(argv[i], "--", 2) == 0 ? strchr(argv[i], '=') : NULL;
        if (equals == NULL) {
            split[n++] = argv[i];
            continue;
        }
        *equals = '\0';
        split[n++] = argv[i];
        split[n++] = equals + 1;
    }
    *out_argc = n;
    return split;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage_error("missing command", usage_main);
    if (is_help(argv[1])) {
        fputs(usage_main, stdout);
        return BL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) return cmd_version();
    program_path = argv[0];
    if (strcmp(argv[1], "help") == 0) return cmd_help(argc - 2, argv + 2);
    int split_argc = 0;
    char **split = split_option_values(argc, argv, &split_argc);
    argc = split_argc;
    argv = split;
    int rc;
    if (strcmp(argv[1], "run") == 0) {
        rc = cmd_run(argc - 2, argv + 2);
    } else if (strcmp(argv[1], "validate") == 0) {
        rc = cmd_validate(argc - 2, argv + 2);
    } else if (strcmp(argv[1], "history") == 0) {
        rc = cmd_history(argc - 2, argv + 2);
    } else {
        char message[160];
        snprintf(message, sizeof message, "unknown command '%s'", argv[1]);
        rc = usage_error(message, usage_main);
    }
    free(split);
    return rc;
}

/* brokerlab.c — the command line: the command table, `run`, `validate`, `history`,
 * `help` and `version` (sweep, merge, check, compare and report have files of their
 * own, cli_common.h).
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
#include "../engine/sim.h"
#include "../engine/units.h"
#include "../models/family.h"
#include "../models/world.h"
#include "../reports/check.h"
#include "../reports/expect.h"
#include "../reports/report.h"
#include "../reports/report_doc.h"
#include "cli_common.h"
#include "determinism_check.h"
#include "memory_estimate.h"

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
    "  sweep SCENARIO --seeds A..B [--jobs N] [--shard K/N]\n"
    "                                        run a seed range in parallel, aggregate it\n"
    "  merge SHARD_DIR... [--out DIR]        combine the shards of a `sweep --shard`\n"
    "  check PATH... [--seeds A..B] [--junit FILE]\n"
    "                                        CI gate: `always` on every seed, `sometimes`\n"
    "                                        on at least one\n"
    "  compare A.yaml B.yaml... | compare SCENARIO --vary KEY=V1,V2,...\n"
    "                                        one workload across designs or knob values\n"
    "  report RUN_DIR|SWEEP_DIR [--format html|md] [--out FILE]\n"
    "                                        a readable report with plots\n"
    "  help [COMMAND]                        this text, or a command's\n"
    "  version                               brokerlab's version, commit and SimGrid's\n"
    "\n"
    "exit codes: 0 ok, 1 an expectation failed, 2 bad input or usage, 3 internal error\n"
    "`brokerlab COMMAND --help` describes a command; an option's value may follow it or\n"
    "an `=` (--seed 7, --seed=7); an option given twice is an error.\n";

static const char usage_run[] =
    "usage: brokerlab run (SCENARIO | --default) [--seed N] [--out DIR] [--history FORMAT]\n"
    "                     [--strict] [--check-determinism] [--format text|json|md] [--quiet]\n"
    "                     [--max-memory SIZE]\n"
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
    "--format chooses what stdout gets: the summary as text (the default) or Markdown, or\n"
    "results.json itself (json); --quiet prints nothing there. On a terminal a long run\n"
    "shows its progress on stderr (simulated time, speed, ETA).\n"
    "A scenario whose estimated peak memory is above SIZE (default: the machine's memory)\n"
    "is refused before it runs (exit 2), with the estimate.\n"
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

static int cmd_validate(int argc, char **argv)
{
    if (argc < 1)
        return cli_usage_error("validate needs at least one scenario file", usage_validate);
    if (cli_is_help(argv[0])) {
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
            return cli_usage_error(message, usage_validate);
        }
        if (strict) return cli_usage_error("--strict given twice", usage_validate);
        strict = true;
    }
    if (first == argc)
        return cli_usage_error("validate needs at least one scenario file", usage_validate);
    scn_scenario *scenario = malloc(sizeof *scenario);
    BL_ASSERT(scenario != NULL);
    for (int i = first; i < argc; i++) {
        if (cli_load_scenario(argv[i], false, strict, scenario) != 0)
            rc = BL_EXIT_BAD_INPUT;
        else
            printf("%s: ok\n", argv[i]);
    }
    free(scenario);
    return rc;
}

static void feed_checker(void *ctx, const hist_record *rec, const hist_names *names)
{
    check_feed(ctx, rec, names);
}

typedef enum { RUN_FORMAT_TEXT = 0, RUN_FORMAT_JSON, RUN_FORMAT_MD } run_format;

typedef struct run_options {
    const char *path;
    bool builtin;
    bool seed_given;
    uint64_t seed;
    const char *out_dir;
    hist_format history_format;
    bool strict;               /* --strict: a warning refuses the run */
    bool check_determinism;    /* --check-determinism: two runs of the seed first, compared */
    bool quiet;                /* --quiet: nothing on stdout, no progress line */
    run_format format;         /* --format: the summary as text, results.json, or Markdown */
    uint64_t max_memory_bytes; /* --max-memory: 0 = the machine's memory */
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
                                       "--seed",    "--out",    "--history",
                                       "--quiet",   "--format", "--max-memory"};
    int repeated = cli_repeated_option(argc, argv, once, sizeof once / sizeof once[0]);
    if (repeated >= 0) return cli_usage_errorf(usage_run, "%s given twice", once[repeated]);
    for (int i = 0; i < argc; i++) {
        if (cli_is_help(argv[i])) return -1;
        if (strcmp(argv[i], "--default") == 0)
            options->builtin = true;
        else if (strcmp(argv[i], "--strict") == 0)
            options->strict = true;
        else if (strcmp(argv[i], "--check-determinism") == 0)
            options->check_determinism = true;
        else if (strcmp(argv[i], "--quiet") == 0)
            options->quiet = true;
        else if (strcmp(argv[i], "--format") == 0) {
            const char *value = i + 1 < argc ? argv[++i] : "";
            if (strcmp(value, "text") == 0)
                options->format = RUN_FORMAT_TEXT;
            else if (strcmp(value, "json") == 0)
                options->format = RUN_FORMAT_JSON;
            else if (strcmp(value, "md") == 0)
                options->format = RUN_FORMAT_MD;
            else
                return cli_usage_error("--format needs text, json or md", usage_run);
        } else if (strcmp(argv[i], "--seed") == 0) {
            if (i + 1 >= argc || !cli_parse_u64(argv[++i], &options->seed))
                return cli_usage_error("--seed needs an unsigned integer", usage_run);
            options->seed_given = true;
        } else if (strcmp(argv[i], "--max-memory") == 0) {
            char why[UNITS_WHY_LEN];
            if (i + 1 >= argc ||
                !units_parse_size_bytes(argv[++i], &options->max_memory_bytes, why) ||
                options->max_memory_bytes == 0)
                return cli_usage_error("--max-memory needs a size above 0B (16GiB, 512MiB)",
                                       usage_run);
        } else if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc) return cli_usage_error("--out needs a directory", usage_run);
            options->out_dir = argv[++i];
        } else if (strcmp(argv[i], "--history") == 0) {
            const char *value = i + 1 < argc ? argv[++i] : "";
            uint32_t f = 0;
            while (f < HISTORY_FORMAT_COUNT && strcmp(g_history_formats[f].name, value) != 0) f++;
            if (f == HISTORY_FORMAT_COUNT)
                return cli_usage_error("--history needs binary, jsonl, jsonl.zst or none",
                                       usage_run);
            options->history_format = g_history_formats[f].format;
        } else if (argv[i][0] == '-') {
            char message[160];
            snprintf(message, sizeof message, "unknown option '%s'", argv[i]);
            return cli_usage_error(message, usage_run);
        } else if (options->path != NULL) {
            return cli_usage_error("run takes one scenario file", usage_run);
        } else {
            options->path = argv[i];
        }
    }
    if ((options->path == NULL) == !options->builtin)
        return cli_usage_error("run needs a scenario file or --default (not both)", usage_run);
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

/* A history file of another format from an earlier run would not match this one's
 * results.json: removed once this run's history is in place. Returns 0 or -1 (said why). */
static int remove_other_histories(const char *out_dir, const char *history_file)
{
    for (uint32_t k = 0; k < HISTORY_FORMAT_COUNT; k++) {
        if (g_history_formats[k].file == NULL || g_history_formats[k].file == history_file)
            continue;
        char stale[SCN_PATH_LEN + 32];
        snprintf(stale, sizeof stale, "%s/%s", out_dir, g_history_formats[k].file);
        if (unlink(stale) != 0 && errno != ENOENT) {
            fprintf(stderr, "brokerlab: cannot remove %s: %s\n", stale, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* What `run` prints on stdout: the summary (text or Markdown) or results.json itself,
 * then, for text, where the files went and how to replay a failure. */
static void print_run_output(const run_options *options, const report_run *run,
                             const check_results *results, const char *results_path,
                             const char *history_file, const char *history_path, bool all_held)
{
    if (options->quiet) return;
    if (options->format == RUN_FORMAT_JSON) {
        FILE *file = fopen(results_path, "r");
        BL_ASSERTF(file != NULL, "cannot read back %s", results_path);
        char buffer[1 << 16];
        size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, file)) > 0) fwrite(buffer, 1, n, stdout);
        fclose(file);
        return;
    }
    if (options->format == RUN_FORMAT_MD) {
        /* The Markdown summary reads the public contract, as any report does. */
        json_error_t json_error;
        json_t *document = json_load_file(results_path, 0, &json_error);
        BL_ASSERTF(document != NULL, "cannot read back %s: %s", results_path, json_error.text);
        report_doc_markdown_summary(stdout, document);
        json_decref(document);
        putchar('\n');
    } else {
        report_print_summary(stdout, run, results);
    }
    if (history_file != NULL)
        printf("wrote %s and %s\n", results_path, history_path);
    else
        printf("wrote %s (no history file: --history none)\n", results_path);
    if (!all_held) {
        printf(
            "an expectation failed; replay exactly this run with:\n  %s run %s --seed %llu%s%s\n",
            cli_program_path, options->builtin ? "--default" : options->path,
            (unsigned long long)run->seed, options->out_dir != NULL ? " --out " : "",
            options->out_dir != NULL ? options->out_dir : "");
    }
}

/* The progress line of a long run on a terminal: simulated time, speed, ETA. Wall
 * time is read for the display only. */
typedef struct run_progress {
    struct timespec started;
    double last_shown_s;
    bool shown;
} run_progress;

static void show_run_progress(int64_t now_us, int64_t end_us, void *ctx)
{
    run_progress *progress = ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double wall_s = (double)(now.tv_sec - progress->started.tv_sec) +
                    (double)(now.tv_nsec - progress->started.tv_nsec) / 1e9;
    if (wall_s < 1.0 || wall_s - progress->last_shown_s < 0.5) return;
    progress->last_shown_s = wall_s;
    progress->shown = true;
    double sim_s = (double)now_us / 1e6, end_s = (double)end_us / 1e6;
    double speed = sim_s / wall_s;
    fprintf(stderr, "\r\033[Ksimulated %.1fs of %.0fs, %.0fx real time, eta %.0fs", sim_s, end_s,
            speed, speed > 0 ? (end_s - sim_s) / speed : 0.0);
    fflush(stderr);
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
    if (cli_load_scenario(options.path, options.builtin, options.strict, scenario) != 0 ||
        memory_check(scenario, options.builtin ? "<default>" : options.path,
                     options.max_memory_bytes > 0 ? options.max_memory_bytes
                                                  : memory_machine_bytes(),
                     options.max_memory_bytes > 0 ? "given" : "the machine's memory") != 0) {
        free(scenario);
        return BL_EXIT_BAD_INPUT;
    }
    uint64_t seed = options.seed_given ? options.seed : scenario->seed;
    uint32_t f = 0;
    while (g_history_formats[f].format != options.history_format) f++;
    const char *history_file = g_history_formats[f].file;
    char out_dir[SCN_PATH_LEN], history_path[SCN_PATH_LEN + 32], results_path[SCN_PATH_LEN + 32];
    int out_length = options.out_dir != NULL
                         ? snprintf(out_dir, sizeof out_dir, "%s", options.out_dir)
                         : snprintf(out_dir, sizeof out_dir, "out/%s", scenario->name);
    if (out_length <= 0 || (size_t)out_length >= sizeof out_dir) {
        /* Never a silently shortened path that writes somewhere else. */
        fprintf(stderr, "brokerlab: --out: %s, expected a directory name of 1 to %d characters\n",
                out_length <= 0 ? "empty" : "too long", SCN_PATH_LEN - 1);
        free(scenario);
        return BL_EXIT_BAD_INPUT;
    }
    snprintf(history_path, sizeof history_path, "%s/%s", out_dir,
             history_file != NULL ? history_file : "");
    snprintf(results_path, sizeof results_path, "%s/results.json", out_dir);
    if (cli_make_dir(out_dir) != 0) {
        fprintf(stderr, "brokerlab: cannot create %s: %s\n", out_dir, strerror(errno));
        free(scenario);
        return BL_EXIT_BAD_INPUT;
    }
    if (options.check_determinism) {
        char work_dir[SCN_PATH_LEN + 32];
        snprintf(work_dir, sizeof work_dir, "%s/determinism-check", out_dir);
        int check = cli_make_dir(work_dir) != 0
                        ? BL_EXIT_BAD_INPUT
                        : determinism_check(options.path, options.builtin, seed, work_dir);
        if (check != BL_EXIT_OK) {
            free(scenario);
            return check;
        }
    }
    /* The history is written beside its place and renamed into it once complete, then
     * results.json: an interrupted or failed run leaves the previous outputs whole. */
    char history_temporary[SCN_PATH_LEN + 64];
    snprintf(history_temporary, sizeof history_temporary, "%s.tmp", history_path);
    FILE *history = history_file != NULL ? fopen(history_temporary, "w") : NULL;
    if (history_file != NULL && history == NULL) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", history_temporary, strerror(errno));
        free(scenario);
        return BL_EXIT_BAD_INPUT;
    }
    static char history_buffer[1 << 20];
    if (history != NULL) setvbuf(history, history_buffer, _IOFBF, sizeof history_buffer);
    struct timespec wall_start, wall_end;
    clock_gettime(CLOCK_MONOTONIC, &wall_start); /* reported only, never simulated */
    check_state *checker = check_begin(scenario->unavailable_after_us);
    check_set_run_length(checker, scenario->duration_us + scenario->drain_us);
    check_set_load_length(checker, scenario->duration_us);
    hist_options history_options = {.format = options.history_format,
                                    .out = history,
                                    .sink = feed_checker,
                                    .sink_ctx = checker};
    hist_open(&history_options);
    world_stats stats;
    char world_error[SIM_ERROR_LEN];
    run_progress progress = {.started = wall_start};
    bool show_progress = !options.quiet && isatty(STDERR_FILENO) == 1;
    sim_set_progress_hook(show_progress ? show_run_progress : NULL, &progress);
    int world_rc = world_run(scenario, seed, &stats, world_error); /* Ctrl-C: SIM_STOPPED */
    sim_set_progress_hook(NULL, NULL);
    if (progress.shown) fputs("\r\033[K", stderr);
    if (world_rc != 0) {
        hist_summary discarded;
        hist_close(&discarded);
        if (history != NULL) fclose(history);
        if (history_file != NULL) unlink(history_temporary);
        if (world_rc == SIM_STOPPED) {
            fprintf(stderr,
                    "brokerlab: interrupted at simulated time %.3fs; nothing written (what %s "
                    "held is untouched)\n",
                    stats.sim_time_s, out_dir);
            discard_run(checker, scenario);
            return BL_EXIT_INTERRUPTED;
        }
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
                      .inter_broker_bytes = stats.inter_broker_bytes,
                      .other_bytes = stats.other_bytes,
                      .nodes = stats.nodes,
                      .faults = stats.faults,
                      .durability = stats.durability,
                      .history_format = g_history_formats[f].name,
                      .history_file = history_file};
    /* Issue 16, defect 8: nothing may be recorded after the run's end. */
    hist_cancel_all_after(scenario->duration_us + scenario->drain_us);
    hist_summary summary;
    hist_close(&summary);
    int write_errno = summary.write_errno;
    if (history != NULL && fclose(history) != 0 && write_errno == 0)
        write_errno = errno != 0 ? errno : EIO;
    if (write_errno == 0 && history != NULL && rename(history_temporary, history_path) != 0)
        write_errno = errno;
    if (write_errno != 0) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", history_path, strerror(write_errno));
        if (history != NULL) unlink(history_temporary);
        return discard_run(checker, scenario);
    }
    if (remove_other_histories(out_dir, history_file) != 0) return discard_run(checker, scenario);
    memcpy(run.history_sha256, summary.jsonl_sha256_hex, sizeof run.history_sha256);
    memcpy(run.history_digest, summary.digest_hex, sizeof run.history_digest);
    run.history_records = summary.records;
    run.history_batches = summary.batches;
    run.history_bytes = summary.file_bytes;
    check_results results;
    check_end(checker, hist_names_table(), &results);
    results.inter_broker_bytes = stats.inter_broker_bytes;
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
    print_run_output(&options, &run, &results, results_path, history_file, history_path, all_held);
    check_results_free(&results);
    free(hist_names_table());
    free(scenario);
    return all_held ? BL_EXIT_OK : BL_EXIT_EXPECTATION;
}

static int cmd_history(int argc, char **argv)
{
    if (argc == 1 && cli_is_help(argv[0])) {
        fputs(usage_history, stdout);
        return BL_EXIT_OK;
    }
    if (argc != 1)
        return cli_usage_error("history takes one run directory or .blh file", usage_history);
    char path[SCN_PATH_LEN + 32];
    struct stat info;
    bool is_dir = stat(argv[0], &info) == 0 && S_ISDIR(info.st_mode);
    int n = snprintf(path, sizeof path, is_dir ? "%s/history.blh" : "%s", argv[0]);
    if (n < 0 || (size_t)n >= sizeof path)
        return cli_usage_error("the path is too long", usage_history);
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

/* Every command: its name and its entry point, which takes the arguments after the name
 * and prints its usage for --help. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} g_commands[] = {
    {"run", cmd_run},         {"validate", cmd_validate}, {"history", cmd_history},
    {"sweep", cmd_sweep},     {"merge", cmd_merge},       {"check", cmd_check},
    {"compare", cmd_compare}, {"report", cmd_report},
};
#define COMMAND_COUNT (sizeof g_commands / sizeof g_commands[0])

/* `help [COMMAND]`: the main usage, or the command's (its --help). */
static int cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        fputs(usage_main, stdout);
        return BL_EXIT_OK;
    }
    for (size_t i = 0; argc == 1 && i < COMMAND_COUNT; i++) {
        if (strcmp(argv[0], g_commands[i].name) != 0) continue;
        char help[] = "--help";
        char *help_argv[] = {help, NULL};
        return g_commands[i].run(1, help_argv);
    }
    char names[256] = "";
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i == 0 ? "" : ", ", g_commands[i].name);
    }
    return cli_usage_errorf(usage_main, "help takes one command (%s)%s%s", names,
                            argc >= 1 ? ", not " : "", argc >= 1 ? argv[0] : "");
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
    if (argc < 2) return cli_usage_error("missing command", usage_main);
    if (cli_is_help(argv[1])) {
        fputs(usage_main, stdout);
        return BL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) return cmd_version();
    cli_program_path = argv[0];
    if (strcmp(argv[1], "help") == 0) return cmd_help(argc - 2, argv + 2);
    int split_argc = 0;
    char **split = split_option_values(argc, argv, &split_argc);
    argc = split_argc;
    argv = split;
    int rc = -1;
    for (size_t i = 0; i < COMMAND_COUNT && rc < 0; i++) {
        if (strcmp(argv[1], g_commands[i].name) == 0) rc = g_commands[i].run(argc - 2, argv + 2);
    }
    if (rc < 0) rc = cli_usage_errorf(usage_main, "unknown command '%s'", argv[1]);
    free(split);
    return rc;
}

/* report.c — `brokerlab report RUN_DIR|SWEEP_DIR [--format html|md] [--out FILE]`: the
 * readable report of a run (its results.json) or a sweep (its sweep.json and the
 * seeds/<seed>/results.json of the seed it looks into), as one self-contained HTML page
 * or Markdown with PNG plots beside it. This file owns the command line, finding and
 * parsing the JSON, and writing the file atomically; what the report says is
 * reports/report_doc*.c, how plots are drawn reports/plot.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "../engine/atomic_file.h"
#include "../engine/bl_assert.h"
#include "../reports/report_doc.h"
#include "cli_common.h"

#define REPORT_PATH_MAX  4096u
#define REPORT_ERROR_LEN 1024u

static const char usage_report[] =
    "usage: brokerlab report RUN_DIR|SWEEP_DIR [--format html|md] [--out FILE]\n"
    "\n"
    "Writes a readable report of a run (RUN_DIR/results.json, from `brokerlab run`) or of a\n"
    "sweep (SWEEP_DIR/sweep.json, from `brokerlab sweep`; the time series come from\n"
    "SWEEP_DIR/seeds/<seed>/results.json of the first seed that showed an anomaly). Summary\n"
    "first: scenario, seed, verdict, durability settings, fault timeline, anomaly and\n"
    "latency tables, then plots drawn with gnuplot (rates, backlog, end-to-end latency over\n"
    "time, fault windows shaded; per-seed values for a sweep). A directory holding a\n"
    "sweep.json is taken as a sweep.\n"
    "  --format html  one self-contained page, plots inline as SVG (the default):\n"
    "                 FILE defaults to DIR/report.html\n"
    "  --format md    Markdown, FILE defaults to DIR/report.md, plots as PNG files beside\n"
    "                 it (<FILE without .md>-<plot>.png)\n"
    "  --out FILE     write the report there instead (its directory is created)\n"
    "The report is written atomically. Exit 0, or 2 on bad usage, a directory with neither\n"
    "results.json nor sweep.json, a file that is not brokerlab's, or a plot gnuplot cannot\n"
    "draw.\n";

typedef struct report_args {
    const char *dir;
    const char *out;
    report_doc_format format;
} report_args;

/* Returns -1 when the arguments are good, else the exit code (0 for --help). main has
 * already split --NAME=VALUE into two arguments. */
static int report_parse(int argc, char **argv, report_args *args)
{
    static const char *const once[] = {"--format", "--out"};
    *args = (report_args){.format = REPORT_DOC_HTML};
    int start = cli_command_start(argc, argv, once, sizeof once / sizeof once[0], usage_report);
    if (start >= 0) return start;
    for (int i = 0; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--format") == 0) {
            if (value == NULL)
                return cli_usage_error("--format needs a value: html or md", usage_report);
            if (strcmp(value, "html") == 0) {
                args->format = REPORT_DOC_HTML;
            } else if (strcmp(value, "md") == 0) {
                args->format = REPORT_DOC_MARKDOWN;
            } else {
                return cli_usage_errorf(usage_report, "--format %s: expected html or md", value);
            }
            i++;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (value == NULL || value[0] == '\0') {
                return cli_usage_error("--out needs a file name", usage_report);
            }
            args->out = value;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_errorf(usage_report, "unknown option %s", argv[i]);
        } else if (args->dir != NULL) {
            return cli_usage_errorf(usage_report, "one directory only (%s and %s given)", args->dir,
                                    argv[i]);
        } else {
            args->dir = argv[i];
        }
    }
    if (args->dir == NULL) {
        return cli_usage_error("report needs a run or sweep directory", usage_report);
    }
    return -1;
}

static bool report_file_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

/* Parses a brokerlab JSON file; NULL after printing why. */
static json_t *report_load(const char *path)
{
    json_error_t json_error;
    json_t *json = json_load_file(path, 0, &json_error);
    if (json != NULL) return json;
    if (json_error.line <= 0) {
        fprintf(stderr, "brokerlab: cannot read %s: %s\n", path, json_error.text);
    } else {
        fprintf(stderr, "brokerlab: %s:%d:%d: not valid JSON: %s\n", path, json_error.line,
                json_error.column, json_error.text);
    }
    return NULL;
}

/* The directory and the name without its extension of `path`: where Markdown's PNGs go
 * and how their names start. */
static void report_split(const char *path, char *dir, char *stem)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, REPORT_PATH_MAX, ".");
        snprintf(stem, REPORT_PATH_MAX, "%s", path);
    } else {
        snprintf(dir, REPORT_PATH_MAX, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        snprintf(stem, REPORT_PATH_MAX, "%s", slash + 1);
    }
    char *dot = strrchr(stem, '.');
    if (dot != NULL && dot != stem) *dot = '\0';
}

/* The sweep's focus seed's results.json: NULL with `missing` set when the sweep did not
 * keep it; *failed when it exists and is not readable. */
static json_t *report_focus(const char *dir, uint64_t seed, char *missing, size_t missing_size,
                            bool *failed)
{
    char path[REPORT_PATH_MAX];
    snprintf(path, sizeof path, "%s/seeds/%llu/results.json", dir, (unsigned long long)seed);
    *failed = false;
    if (!report_file_exists(path)) {
        snprintf(missing, missing_size,
                 "No seeds/%llu/results.json in the sweep directory: the sweep did not keep "
                 "this seed's results, so there are no time series to plot. The replay "
                 "command above regenerates them.",
                 (unsigned long long)seed);
        return NULL;
    }
    json_t *results = report_load(path);
    char error[REPORT_ERROR_LEN];
    if (results != NULL && report_doc_check_results(results, error, sizeof error) != 0) {
        fprintf(stderr, "brokerlab: %s: %s\n", path, error);
        json_decref(results);
        results = NULL;
    }
    *failed = results == NULL;
    return results;
}

/* Builds the report text of the run or sweep in args->dir. Returns 0, or 2 after
 * printing why. */
static int report_build(const report_args *args, bool sweep, const char *json_path,
                        const report_doc_target *target, char **text, size_t *length)
{
    json_t *json = report_load(json_path);
    if (json == NULL) return BL_EXIT_BAD_INPUT;
    char error[REPORT_ERROR_LEN];
    int checked = sweep ? report_doc_check_sweep(json, error, sizeof error)
                        : report_doc_check_results(json, error, sizeof error);
    if (checked != 0) {
        fprintf(stderr, "brokerlab: %s: %s\n", json_path, error);
        json_decref(json);
        return BL_EXIT_BAD_INPUT;
    }
    json_t *focus = NULL;
    uint64_t focus_seed = 0;
    char missing[REPORT_ERROR_LEN] = "";
    if (sweep && report_doc_sweep_focus_seed(json, &focus_seed)) {
        bool failed = false;
        focus = report_focus(args->dir, focus_seed, missing, sizeof missing, &failed);
        if (failed) {
            json_decref(json);
            return BL_EXIT_BAD_INPUT;
        }
    }
    FILE *out = open_memstream(text, length);
    BL_ASSERT(out != NULL);
    int built =
        sweep ? report_doc_sweep(out, json, focus, focus_seed, missing, target, error, sizeof error)
              : report_doc_run(out, json, target, error, sizeof error);
    BL_ASSERT(fclose(out) == 0);
    json_decref(focus);
    json_decref(json);
    if (built != 0) {
        fprintf(stderr, "brokerlab: report of %s: %s\n", args->dir, error);
        free(*text);
        *text = NULL;
        return BL_EXIT_BAD_INPUT;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    report_args args;
    int parsed = report_parse(argc, argv, &args);
    if (parsed >= 0) return parsed;
    struct stat info;
    if (stat(args.dir, &info) != 0) {
        fprintf(stderr, "brokerlab: cannot read %s: %s\n", args.dir, strerror(errno));
        return BL_EXIT_BAD_INPUT;
    }
    if (!S_ISDIR(info.st_mode)) {
        fprintf(stderr,
                "brokerlab: %s is not a directory: give the run's directory (with results.json) "
                "or the sweep's (with sweep.json)\n",
                args.dir);
        return BL_EXIT_BAD_INPUT;
    }
    char json_path[REPORT_PATH_MAX];
    snprintf(json_path, sizeof json_path, "%s/sweep.json", args.dir);
    bool sweep = report_file_exists(json_path);
    if (!sweep) snprintf(json_path, sizeof json_path, "%s/results.json", args.dir);
    if (!sweep && !report_file_exists(json_path)) {
        fprintf(stderr,
                "brokerlab: %s has neither results.json nor sweep.json: not a brokerlab run or "
                "sweep directory\n",
                args.dir);
        return BL_EXIT_BAD_INPUT;
    }
    bool markdown = args.format == REPORT_DOC_MARKDOWN;
    char out_path[REPORT_PATH_MAX], image_dir[REPORT_PATH_MAX], image_stem[REPORT_PATH_MAX];
    int n = args.out != NULL ? snprintf(out_path, sizeof out_path, "%s", args.out)
                             : snprintf(out_path, sizeof out_path, "%s/report.%s", args.dir,
                                        markdown ? "md" : "html");
    if (n < 0 || (size_t)n >= sizeof out_path) {
        fprintf(stderr, "brokerlab: output path too long\n");
        return BL_EXIT_BAD_INPUT;
    }
    report_split(out_path, image_dir, image_stem);
    if (cli_make_dir(image_dir) != 0) {
        fprintf(stderr, "brokerlab: cannot create %s: %s\n", image_dir, strerror(errno));
        return BL_EXIT_BAD_INPUT;
    }
    report_doc_target target = {.format = args.format,
                                .source_dir = args.dir,
                                .image_dir = image_dir,
                                .image_stem = image_stem};
    char *text = NULL;
    size_t length = 0;
    int built = report_build(&args, sweep, json_path, &target, &text, &length);
    if (built != 0) return built;
    int written = atomic_file_write(out_path, text, length);
    int saved = errno;
    free(text);
    if (written != 0) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", out_path, strerror(saved));
        return BL_EXIT_BAD_INPUT;
    }
    printf("wrote %s%s\n", out_path, markdown ? " and its plots beside it" : "");
    return 0;
}

/* compare_output.c — compare.json, and the comparison as a text or Markdown table (see
 * compare_output.h). A cell is the mean over the seeds, ± the half-width of its 95%
 * confidence interval, and × its ratio to the first design; "none" where a design
 * measured nothing. */
#include "compare_output.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/atomic_file.h"
#include "../engine/bl_assert.h"
#include "../reports/report_doc.h"
#include "../reports/sweep_summary.h"
#include "cli_common.h"

#define NAME_WIDTH_MIN 32 /* the first column: at least this, or the longest name */
#define NAME_WIDTH_MAX 64
#define CELL_WIDTH     23

bool compare_parse_format(const char *text, compare_format *format)
{
    static const char *const names[] = {"text", "json", "md", "html"};
    for (int i = 0; text != NULL && i < 4; i++) {
        if (strcmp(text, names[i]) == 0) {
            *format = (compare_format)i;
            return true;
        }
    }
    return false;
}

static void format_cell(char *out, size_t size, const json_t *cell, bool seconds, bool first)
{
    const json_t *mean = json_object_get(cell, "mean");
    if (!json_is_number(mean)) {
        snprintf(out, size, "none");
        return;
    }
    char value[32], half[40] = "", ratio[40] = "";
    double x = json_number_value(mean);
    cli_format_measure(value, sizeof value, x, seconds, x);
    const json_t *low = json_object_get(cell, "ci95_low");
    const json_t *high = json_object_get(cell, "ci95_high");
    if (json_is_number(low) && json_is_number(high)) {
        char h[32];
        double half_width = (json_number_value(high) - json_number_value(low)) / 2;
        if (!seconds) half_width = round(half_width * 1000) / 1000; /* a count's ± */
        cli_format_measure(h, sizeof h, half_width, seconds, x);
        snprintf(half, sizeof half, " ±%s", h);
    }
    const json_t *r = json_object_get(cell, "ratio");
    if (!first && json_is_number(r)) snprintf(ratio, sizeof ratio, " ×%.2f", json_number_value(r));
    snprintf(out, size, "%s%s%s", value, half, ratio);
}

/* Right-aligns UTF-8 text in `width` columns (± and × take one column, two bytes). */
static void print_right(FILE *out, const char *text, int width)
{
    int columns = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++)
        columns += (*c & 0xC0) != 0x80;
    fprintf(out, " %*s%s", width > columns ? width - columns : 0, "", text);
}

/* A row's first cell and its other cells, as Markdown or as aligned text. */
static int g_name_width = NAME_WIDTH_MIN;

static void print_name(FILE *out, bool md, const char *name)
{
    if (md)
        fprintf(out, "| %s |", name);
    else
        fprintf(out, "    %-*s", g_name_width - 2, name);
}

static void print_cell(FILE *out, bool md, const char *text)
{
    if (md)
        fprintf(out, " %s |", text);
    else
        print_right(out, text, CELL_WIDTH);
}

static void print_table(FILE *out, const json_t *document, bool md)
{
    const json_t *columns = json_object_get(document, "columns");
    size_t count = json_array_size(columns);
    const json_t *seeds = json_object_get(document, "seeds");
    fprintf(out, "%scompare %zu designs over seeds %lld..%lld\n", md ? "## " : "", count,
            (long long)json_integer_value(json_object_get(seeds, "first")),
            (long long)json_integer_value(json_object_get(seeds, "last")));
    size_t c;
    json_t *column;
    json_array_foreach(columns, c, column)
    {
        fprintf(out, "%s[%zu] %s: %s (%lld runs)\n", md ? "- " : "  ", c + 1,
                json_string_value(json_object_get(column, "label")),
                json_string_value(json_object_get(column, "sweep")),
                (long long)json_integer_value(json_object_get(column, "completed")));
    }
    /* Settings rows: the union of every design's keys. */
    json_t **settings = calloc(count + 1, sizeof *settings);
    json_t *keys = json_object();
    BL_ASSERT(settings != NULL);
    json_array_foreach(columns, c, column)
    {
        settings[c] = report_doc_flatten_settings(json_object_get(column, "durability"));
        const char *key;
        json_t *unused;
        json_object_foreach(settings[c], key, unused) json_object_set_new(keys, key, json_true());
    }
    /* The first column fits the longest name shown in it (within NAME_WIDTH_MAX). */
    size_t longest = NAME_WIDTH_MIN - 2;
    const char *key;
    json_t *unused;
    json_object_foreach(keys, key, unused) if (strlen(key) > longest) longest = strlen(key);
    size_t r0;
    json_t *row0;
    json_array_foreach(json_object_get(document, "rows"), r0, row0)
    {
        /* Metrics show without their section ("lost" under "group billing"). */
        const char *name = json_string_value(json_object_get(row0, "metric"));
        size_t prefix = sweep_metric_section(name);
        size_t length = strlen(name) - (prefix > 0 ? prefix + 1 : 0);
        if (length > longest) longest = length;
    }
    g_name_width = (int)(longest + 2 > NAME_WIDTH_MAX ? NAME_WIDTH_MAX : longest + 2);
    /* Header. */
    if (md) {
        fputs("\n| | ", out);
        for (c = 0; c < count; c++) fprintf(out, "[%zu] | ", c + 1);
        fputs("\n|---|", out);
        for (c = 0; c < count; c++) fputs("---:|", out);
        fputc('\n', out);
    } else {
        fprintf(out, "\n  %-*s", g_name_width, "durability settings");
        for (c = 0; c < count; c++) {
            char head[32];
            snprintf(head, sizeof head, "[%zu]", c + 1);
            fprintf(out, " %*s", CELL_WIDTH, head);
        }
        fputc('\n', out);
    }
    json_object_foreach(keys, key, unused)
    {
        print_name(out, md, key);
        for (c = 0; c < count; c++) {
            const char *text = json_string_value(json_object_get(settings[c], key));
            print_cell(out, md, text != NULL ? text : "-");
        }
        fputc('\n', out);
    }
    if (json_object_size(keys) == 0 && !md) fprintf(out, "    (not reported by these runs)\n");
    for (c = 0; c < count; c++) json_decref(settings[c]);
    free(settings);
    json_decref(keys);
    if (!md) fprintf(out, "  metrics: mean ±95%% CI half-width ×ratio to [1]\n");
    char section[256] = "";
    size_t r;
    json_t *row;
    json_array_foreach(json_object_get(document, "rows"), r, row)
    {
        const char *name = json_string_value(json_object_get(row, "metric"));
        bool seconds = strcmp(json_string_value(json_object_get(row, "unit")), "s") == 0;
        size_t prefix = sweep_metric_section(name);
        if (!md && (strlen(section) != prefix || strncmp(section, name, prefix) != 0)) {
            snprintf(section, sizeof section, "%.*s", (int)prefix, name);
            char label[300];
            sweep_section_label(name, prefix, label, sizeof label);
            fprintf(out, "  %s\n", label);
        }
        print_name(out, md, md || prefix == 0 ? name : name + prefix + 1);
        size_t v;
        json_t *cell;
        json_array_foreach(json_object_get(row, "values"), v, cell)
        {
            char text[96];
            format_cell(text, sizeof text, cell, seconds, v == 0);
            print_cell(out, md, text);
        }
        fputc('\n', out);
    }
}

/* DIR/compare.html, with each design's first seed for the plots over time. */
static int write_html(const json_t *document, const char *dir)
{
    const json_t *columns = json_object_get(document, "columns");
    size_t count = json_array_size(columns);
    json_t **results = calloc(count + 1, sizeof *results);
    BL_ASSERT(results != NULL);
    long long first_seed =
        (long long)json_integer_value(json_object_get(json_object_get(document, "seeds"), "first"));
    for (size_t c = 0; c < count; c++) {
        const char *sweep = json_string_value(json_object_get(json_array_get(columns, c), "sweep"));
        const char *slash = sweep != NULL ? strrchr(sweep, '/') : NULL;
        char path[4200];
        int n = snprintf(path, sizeof path, "%.*s/seeds/%lld/results.json",
                         slash != NULL ? (int)(slash - sweep) : 1, slash != NULL ? sweep : ".",
                         first_seed);
        results[c] = n > 0 && (size_t)n < sizeof path ? json_load_file(path, 0, NULL) : NULL;
        if (results[c] == NULL) results[c] = json_object(); /* plotted as no data */
    }
    char *html = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&html, &length);
    BL_ASSERT(memory != NULL);
    report_doc_target target = {.format = REPORT_DOC_HTML, .source_dir = dir};
    char error[512] = "";
    int rc = report_doc_compare(memory, document, (const json_t *const *)results, &target, error,
                                sizeof error);
    BL_ASSERT(fclose(memory) == 0);
    for (size_t c = 0; c < count; c++) json_decref(results[c]);
    free(results);
    char path[4200];
    snprintf(path, sizeof path, "%s/compare.html", dir);
    if (rc != 0) {
        fprintf(stderr, "brokerlab: cannot make %s: %s\n", path, error);
        free(html);
        return 2;
    }
    rc = atomic_file_write(path, html, length);
    if (rc != 0) fprintf(stderr, "brokerlab: cannot write %s: %s\n", path, strerror(errno));
    free(html);
    return rc != 0 ? 2 : 0;
}

int compare_write(const json_t *document, const char *dir, compare_format format, bool quiet)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/compare.json", dir);
    char *text =
        json_dumps(document, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    BL_ASSERT(text != NULL);
    size_t length = strlen(text);
    text[length] = '\n';
    int rc = atomic_file_write(path, text, length + 1);
    if (rc != 0) {
        fprintf(stderr, "brokerlab: cannot write %s: %s\n", path, strerror(errno));
        free(text);
        return 2;
    }
    text[length] = '\0';
    if (!quiet && format == COMPARE_FORMAT_JSON) printf("%s\n", text);
    free(text);
    if (format == COMPARE_FORMAT_HTML && write_html(document, dir) != 0) return 2;
    if (!quiet && format != COMPARE_FORMAT_JSON) {
        print_table(stdout, document, format == COMPARE_FORMAT_MD);
        if (format == COMPARE_FORMAT_HTML)
            printf("wrote %s and %s/compare.html\n", path, dir);
        else
            printf("%swrote %s\n", format == COMPARE_FORMAT_MD ? "\n" : "", path);
    }
    return 0;
}

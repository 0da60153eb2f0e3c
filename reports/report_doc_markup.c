/* report_doc_markup.c — the report's two markups behind one set of primitives
 * (report_doc_internal.h): HTML (a self-contained page: inline style sheet, inline SVG,
 * no script, no external resource) and GitHub-flavoured Markdown (pipe tables, PNGs
 * beside the file). Every piece of text from results.json is escaped here, so the
 * sections never emit markup themselves. Also the shared value formatting. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/atomic_file.h"
#include "../engine/bl_assert.h"
#include "report_doc_internal.h"

static const char doc_style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d1d1d;"
    "max-width:1180px;margin:1.5em auto;padding:0 1em;line-height:1.4}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;"
    "padding-bottom:.2em}h3{margin-top:1.2em}\n"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em}\n"
    "th,td{border:1px solid #cfcfcf;padding:.25em .6em;text-align:left;vertical-align:top}\n"
    "th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "code{font-family:ui-monospace,monospace;background:#f4f4f4;padding:0 .25em}\n"
    "tr.pass td.status{color:#126b12;font-weight:bold}"
    "tr.fail td.status{color:#b30000;font-weight:bold}tr.quiet{color:#777}\n"
    "figure.plot{margin:1em 0 2em}svg.plot{width:100%;height:auto;border:1px solid #eee}\n"
    "figcaption{color:#555;font-size:.9em}p.note{color:#555}\n";

void doc_fail(doc *d, const char *fmt, ...)
{
    if (!d->failed && d->error != NULL && d->error_size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(d->error, d->error_size, fmt, args);
        va_end(args);
    }
    d->failed = true;
}

/* Text escaped for the document's markup: HTML entities, or Markdown's punctuation
 * behind a backslash (and '|' so a cell never splits a table row). */
static void doc_escaped(doc *d, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        char c = *p;
        if ((unsigned char)c < 0x20) c = ' ';
        if (d->format == REPORT_DOC_HTML) {
            switch (c) {
            case '&': fputs("&amp;", d->out); continue;
            case '<': fputs("&lt;", d->out); continue;
            case '>': fputs("&gt;", d->out); continue;
            case '"': fputs("&quot;", d->out); continue;
            default: break;
            }
        } else if (strchr("\\`*_[]<>|#", c) != NULL) {
            fputc('\\', d->out);
        }
        fputc(c, d->out);
    }
}

/* Markdown code span: backticks cannot be escaped inside one, so they become quotes;
 * '|' is escaped (GFM splits cells on it even in code). */
static void doc_code(doc *d, const char *text)
{
    if (d->format == REPORT_DOC_HTML) {
        fputs("<code>", d->out);
        doc_escaped(d, text);
        fputs("</code>", d->out);
        return;
    }
    fputc('`', d->out);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '|') fputc('\\', d->out);
        fputc(*p == '`' ? '\'' : ((unsigned char)*p < 0x20 ? ' ' : *p), d->out);
    }
    fputc('`', d->out);
}

void doc_begin(doc *d, const char *title)
{
    BL_ASSERT(d != NULL && d->out != NULL && title != NULL);
    d->table_columns = 0;
    if (d->format != REPORT_DOC_HTML) return;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          d->out);
    doc_escaped(d, title);
    fprintf(d->out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", doc_style);
}

void doc_end(doc *d)
{
    BL_ASSERTF(d->table_columns == 0, "a table is still open");
    if (d->format == REPORT_DOC_HTML) fputs("</body>\n</html>\n", d->out);
    if (ferror(d->out)) doc_fail(d, "cannot write the report: %s", strerror(errno));
}

void doc_heading(doc *d, int level, const char *id, const char *fmt, ...)
{
    BL_ASSERT(level >= 1 && level <= 4 && d->table_columns == 0);
    char text[DOC_CELL_LEN];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    if (d->format == REPORT_DOC_HTML) {
        fprintf(d->out, "<h%d", level);
        if (id != NULL) fprintf(d->out, " id=\"%s\"", id);
        fputc('>', d->out);
        doc_escaped(d, text);
        fprintf(d->out, "</h%d>\n", level);
    } else {
        for (int i = 0; i < level; i++) fputc('#', d->out);
        fputc(' ', d->out);
        doc_escaped(d, text);
        fputs("\n\n", d->out);
    }
}

void doc_paragraph(doc *d, const char *fmt, ...)
{
    BL_ASSERT(d->table_columns == 0);
    char text[DOC_CELL_LEN];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    if (d->format == REPORT_DOC_HTML) fputs("<p class=\"note\">", d->out);
    doc_escaped(d, text);
    fputs(d->format == REPORT_DOC_HTML ? "</p>\n" : "\n\n", d->out);
}

void doc_code_line(doc *d, const char *label, const char *code)
{
    BL_ASSERT(d->table_columns == 0);
    if (d->format == REPORT_DOC_HTML) fputs("<p>", d->out);
    doc_escaped(d, label);
    fputc(' ', d->out);
    doc_code(d, code);
    fputs(d->format == REPORT_DOC_HTML ? "</p>\n" : "\n\n", d->out);
}

void doc_table_begin(doc *d, const char *const *headers, uint32_t count)
{
    BL_ASSERT(d->table_columns == 0 && count > 0 && count <= DOC_CELLS_MAX);
    d->table_columns = count;
    if (d->format == REPORT_DOC_HTML) {
        fputs("<div class=\"scroll\"><table>\n<thead><tr>", d->out);
        for (uint32_t i = 0; i < count; i++) {
            fputs("<th>", d->out);
            doc_escaped(d, headers[i]);
            fputs("</th>", d->out);
        }
        fputs("</tr></thead>\n<tbody>\n", d->out);
        return;
    }
    fputc('|', d->out);
    for (uint32_t i = 0; i < count; i++) {
        fputc(' ', d->out);
        doc_escaped(d, headers[i]);
        fputs(" |", d->out);
    }
    fputs("\n|", d->out);
    for (uint32_t i = 0; i < count; i++) fputs("---|", d->out);
    fputc('\n', d->out);
}

void doc_table_row(doc *d, const doc_row *row)
{
    BL_ASSERTF(row->count == d->table_columns, "row of %u cells in a table of %u columns",
               row->count, d->table_columns);
    if (d->format == REPORT_DOC_HTML) {
        if (row->css_class != NULL) {
            fprintf(d->out, "<tr class=\"%s\">", row->css_class);
        } else {
            fputs("<tr>", d->out);
        }
    } else {
        fputc('|', d->out);
    }
    for (uint32_t i = 0; i < row->count; i++) {
        const doc_cell *cell = &row->cells[i];
        if (d->format == REPORT_DOC_HTML) {
            static const char *const opening[] = {"<td>", "<td class=\"n\">", "<td>",
                                                  "<td class=\"status\">"};
            fputs(opening[cell->kind], d->out);
        } else {
            fputc(' ', d->out);
        }
        if (cell->kind == DOC_CELL_CODE && cell->text[0] != '\0') {
            doc_code(d, cell->text);
        } else {
            doc_escaped(d, cell->text);
        }
        fputs(d->format == REPORT_DOC_HTML ? "</td>" : " |", d->out);
    }
    fputs(d->format == REPORT_DOC_HTML ? "</tr>\n" : "\n", d->out);
}

void doc_table_end(doc *d)
{
    BL_ASSERT(d->table_columns > 0);
    d->table_columns = 0;
    fputs(d->format == REPORT_DOC_HTML ? "</tbody>\n</table></div>\n" : "\n", d->out);
}

void doc_row_start(doc_row *row, const char *css_class)
{
    row->count = 0;
    row->css_class = css_class;
}

void doc_add_cell(doc_row *row, doc_cell_kind kind, const char *fmt, ...)
{
    BL_ASSERTF(row->count < DOC_CELLS_MAX, "more than %u cells in a row", DOC_CELLS_MAX);
    doc_cell *cell = &row->cells[row->count++];
    cell->kind = kind;
    va_list args;
    va_start(args, fmt);
    vsnprintf(cell->text, sizeof cell->text, fmt, args);
    va_end(args);
}

static int doc_plot_png(doc *d, const char *name, const plot_spec *spec, const char *caption)
{
    const report_doc_target *target = d->target;
    BL_ASSERT(target->image_dir != NULL && target->image_stem != NULL);
    char file[DOC_PATH_MAX], path[DOC_PATH_MAX];
    int n = snprintf(file, sizeof file, "%s-%s.png", target->image_stem, name);
    int m = snprintf(path, sizeof path, "%s/%s", target->image_dir, file);
    if (n < 0 || (size_t)n >= sizeof file || m < 0 || (size_t)m >= sizeof path) {
        doc_fail(d, "the path of plot %s is too long", name);
        return -1;
    }
    plot_image image;
    char error[PLOT_ERROR_LEN];
    if (plot_render(spec, PLOT_PNG, &image, error, sizeof error) != 0) {
        doc_fail(d, "plot %s: %s", name, error);
        return -1;
    }
    int written = atomic_file_write(path, image.data, image.length);
    int saved = errno;
    plot_image_free(&image);
    if (written != 0) {
        doc_fail(d, "cannot write %s: %s", path, strerror(saved));
        return -1;
    }
    fputs("![", d->out);
    doc_escaped(d, spec->title != NULL ? spec->title : name);
    fputs("](", d->out);
    for (const char *p = file; *p != '\0'; p++) { /* a link target: no spaces, no brackets */
        bool plain =
            strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p) != NULL;
        if (plain) {
            fputc(*p, d->out);
        } else {
            fprintf(d->out, "%%%02X", (unsigned char)*p);
        }
    }
    fputs(")\n\n", d->out);
    doc_escaped(d, caption);
    fputs("\n\n", d->out);
    return 0;
}

int doc_plot(doc *d, const char *name, plot_spec *spec, const char *caption)
{
    BL_ASSERT(d->target != NULL && d->table_columns == 0);
    BL_ASSERT(strlen(name) + sizeof "plot--svg" < PLOT_ID_MAX);
    d->plot_count++;
    char id[PLOT_ID_MAX];
    snprintf(id, sizeof id, "plot-%s-svg", name);
    spec->id = id;
    if (d->format == REPORT_DOC_MARKDOWN) {
        int written = doc_plot_png(d, name, spec, caption);
        spec->id = NULL;
        return written;
    }
    plot_image image;
    char error[PLOT_ERROR_LEN];
    int rendered = plot_render(spec, PLOT_SVG, &image, error, sizeof error);
    spec->id = NULL;
    if (rendered != 0) {
        doc_fail(d, "plot %s: %s", name, error);
        return -1;
    }
    fprintf(d->out, "<figure class=\"plot\" id=\"plot-%s\">\n", name);
    fwrite(image.data, 1, image.length, d->out);
    fputs("<figcaption>", d->out);
    doc_escaped(d, caption);
    fputs("</figcaption>\n</figure>\n", d->out);
    plot_image_free(&image);
    return 0;
}

const char *doc_seconds(double seconds, char *buf)
{
    if (!isfinite(seconds)) {
        snprintf(buf, DOC_TEXT_LEN, "no data");
    } else if (seconds < 0) {
        snprintf(buf, DOC_TEXT_LEN, "%.3f s", seconds);
    } else if (seconds == 0) {
        snprintf(buf, DOC_TEXT_LEN, "0 s");
    } else if (seconds < 1e-3) {
        snprintf(buf, DOC_TEXT_LEN, "%.0f µs", seconds * 1e6);
    } else if (seconds < 1) {
        snprintf(buf, DOC_TEXT_LEN, "%.2f ms", seconds * 1e3);
    } else if (seconds < 100) {
        snprintf(buf, DOC_TEXT_LEN, "%.3f s", seconds);
    } else {
        snprintf(buf, DOC_TEXT_LEN, "%.1f s", seconds);
    }
    return buf;
}

const char *doc_number(double value, char *buf)
{
    if (!isfinite(value)) {
        snprintf(buf, DOC_TEXT_LEN, "no data");
    } else if (value == floor(value) && fabs(value) < 1e15) {
        snprintf(buf, DOC_TEXT_LEN, "%.0f", value);
    } else {
        snprintf(buf, DOC_TEXT_LEN, "%.6g", value);
    }
    return buf;
}

const char *doc_json_count(const json_t *value, const char *none_text, char *buf)
{
    if (value == NULL) {
        snprintf(buf, DOC_TEXT_LEN, "n/a");
    } else if (json_is_null(value)) {
        snprintf(buf, DOC_TEXT_LEN, "%s", none_text);
    } else if (json_is_integer(value)) {
        snprintf(buf, DOC_TEXT_LEN, "%lld", (long long)json_integer_value(value));
    } else if (json_is_number(value)) {
        doc_number(json_number_value(value), buf);
    } else {
        doc_json_value(value, buf, DOC_TEXT_LEN);
    }
    return buf;
}

const char *doc_json_seconds(const json_t *value, const char *none_text, char *buf)
{
    if (value == NULL) {
        snprintf(buf, DOC_TEXT_LEN, "n/a");
    } else if (json_is_null(value)) {
        snprintf(buf, DOC_TEXT_LEN, "%s", none_text);
    } else if (json_is_number(value)) {
        doc_seconds(json_number_value(value), buf);
    } else {
        doc_json_value(value, buf, DOC_TEXT_LEN);
    }
    return buf;
}

void doc_json_value(const json_t *value, char *buf, size_t size)
{
    BL_ASSERT(buf != NULL && size > 0);
    char number[DOC_TEXT_LEN];
    if (value == NULL) {
        snprintf(buf, size, "n/a");
    } else if (json_is_null(value)) {
        snprintf(buf, size, "none");
    } else if (json_is_string(value)) {
        snprintf(buf, size, "%s", json_string_value(value));
    } else if (json_is_integer(value)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(value));
    } else if (json_is_real(value)) {
        snprintf(buf, size, "%s", doc_number(json_real_value(value), number));
    } else if (json_is_boolean(value)) {
        snprintf(buf, size, "%s", json_is_true(value) ? "true" : "false");
    } else {
        char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
        snprintf(buf, size, "%s", text != NULL ? text : "?");
        free(text);
    }
}

const json_t *doc_get(const json_t *object, const char *key)
{
    return json_is_object(object) ? json_object_get(object, key) : NULL;
}

const char *doc_get_string(const json_t *object, const char *key, const char *fallback)
{
    const json_t *value = doc_get(object, key);
    return json_is_string(value) ? json_string_value(value) : fallback;
}

bool doc_get_number(const json_t *object, const char *key, double *value)
{
    const json_t *number = doc_get(object, key);
    if (!json_is_number(number)) return false;
    *value = json_number_value(number);
    return true;
}

void doc_replay_command(const char *scenario_path, uint64_t seed, char *buf, size_t size)
{
    if (scenario_path == NULL || strcmp(scenario_path, "<default>") == 0) {
        snprintf(buf, size, "brokerlab run --default --seed %llu", (unsigned long long)seed);
        return;
    }
    bool plain = scenario_path[0] != '\0' &&
                 strspn(scenario_path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_-./+,:@") == strlen(scenario_path);
    if (plain) {
        snprintf(buf, size, "brokerlab run %s --seed %llu", scenario_path,
                 (unsigned long long)seed);
        return;
    }
    char quoted[DOC_CELL_LEN];
    size_t n = 0;
    quoted[n++] = '\'';
    for (const char *p = scenario_path; *p != '\0' && n + 5 < sizeof quoted; p++) {
        if (*p == '\'') {
            memcpy(quoted + n, "'\\''", 4);
            n += 4;
        } else {
            quoted[n++] = *p;
        }
    }
    quoted[n++] = '\'';
    quoted[n] = '\0';
    snprintf(buf, size, "brokerlab run %s --seed %llu", quoted, (unsigned long long)seed);
}

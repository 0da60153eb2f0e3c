/* plot.c — the gnuplot driver (see plot.h): one private temporary directory per plot
 * holding a data file per series, the generated script, gnuplot's log and its output;
 * gnuplot runs there as a child process (fork + exec, no shell), then the image is read
 * back and, for SVG, made fit to inline: the XML prolog dropped and every id prefixed
 * with the plot's id, so several plots in one HTML page never share an id. */
#include "plot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../engine/bl_assert.h"

#define PLOT_PATH_MAX         4096u                  /* bytes of the temporary directory's path */
#define PLOT_FILE_PATH_MAX    (PLOT_PATH_MAX + 512u) /* and of a file in it */
#define PLOT_LOG_LINE_MAX     400u /* bytes of gnuplot's log line quoted in an error */
#define PLOT_EXIT_NO_GNUPLOT  127  /* the child's exit code when gnuplot cannot be executed */
#define PLOT_LABEL_ROWS       6u   /* window labels are staggered over this many rows */
#define PLOT_KEY_PER_ROW      4u   /* legend entries per row, to size the image */
#define PLOT_INTEGER_TICS_MAX 20.0 /* an integer x range up to this wide gets a tic per unit */
#define PLOT_KEY_ROW_PX       18u  /* height a legend row adds */

static const char *const plot_window_colors[2] = {"#f0a8a8", "#f5c98a"};

static int plot_fail(char *error, size_t error_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int plot_fail(char *error, size_t error_size, const char *fmt, ...)
{
    if (error != NULL && error_size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(error, error_size, fmt, args);
        va_end(args);
    }
    return -1;
}

static bool plot_point_drawn(const plot_spec *spec, double x, double y)
{
    return isfinite(x) && isfinite(y) && (!spec->y_log || y > 0);
}

bool plot_has_points(const plot_spec *spec)
{
    BL_ASSERT(spec != NULL);
    for (uint32_t s = 0; s < spec->series_count; s++) {
        const plot_series *series = &spec->series[s];
        for (uint32_t i = 0; i < series->point_count; i++) {
            if (plot_point_drawn(spec, series->x[i], series->y[i])) return true;
        }
    }
    return false;
}

bool plot_y_extent(const plot_spec *spec, bool positive_only, double *y_min, double *y_max)
{
    BL_ASSERT(spec != NULL && y_min != NULL && y_max != NULL);
    bool found = false;
    for (uint32_t s = 0; s < spec->series_count; s++) {
        const plot_series *series = &spec->series[s];
        for (uint32_t i = 0; i < series->point_count; i++) {
            double y = series->y[i];
            if (!isfinite(y) || !isfinite(series->x[i]) || (positive_only && y <= 0)) continue;
            if (!found || y < *y_min) *y_min = y;
            if (!found || y > *y_max) *y_max = y;
            found = true;
        }
    }
    return found;
}

static void plot_check_text(const char *text, const char *what)
{
    BL_ASSERTF(text == NULL || strlen(text) < PLOT_TEXT_MAX, "plot %s longer than %u bytes", what,
               PLOT_TEXT_MAX);
}

/* The limits of plot.h, asserted: a spec outside them is the caller's bug. */
static void plot_check_spec(const plot_spec *spec)
{
    BL_ASSERT(spec != NULL && spec->id != NULL);
    size_t id_length = strlen(spec->id);
    BL_ASSERTF(id_length > 0 && id_length < PLOT_ID_MAX, "plot id '%s'", spec->id);
    for (size_t i = 0; i < id_length; i++) {
        char c = spec->id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        BL_ASSERTF(ok, "plot id '%s' has a character outside [A-Za-z0-9_-]", spec->id);
    }
    BL_ASSERT(spec->series_count <= PLOT_SERIES_MAX);
    BL_ASSERT(spec->window_count <= PLOT_WINDOWS_MAX);
    BL_ASSERT(spec->series_count == 0 || spec->series != NULL);
    BL_ASSERT(spec->window_count == 0 || spec->windows != NULL);
    BL_ASSERT(isnan(spec->x_min) || isnan(spec->x_max) || spec->x_min < spec->x_max);
    plot_check_text(spec->title, "title");
    plot_check_text(spec->x_label, "x label");
    plot_check_text(spec->y_label, "y label");
    for (uint32_t s = 0; s < spec->series_count; s++) {
        const plot_series *series = &spec->series[s];
        BL_ASSERT(series->name != NULL);
        plot_check_text(series->name, "series name");
        BL_ASSERT(series->point_count <= PLOT_POINTS_MAX);
        BL_ASSERT(series->point_count == 0 || (series->x != NULL && series->y != NULL));
        BL_ASSERT(series->style == PLOT_LINES || series->style == PLOT_POINTS ||
                  series->style == PLOT_STEPS);
    }
    for (uint32_t w = 0; w < spec->window_count; w++) {
        const plot_window *window = &spec->windows[w];
        BL_ASSERTF(isfinite(window->x_start) && isfinite(window->x_end) &&
                       window->x_start <= window->x_end,
                   "plot window %u: [%g, %g]", w, window->x_start, window->x_end);
        plot_check_text(window->label, "window label");
    }
}

/* A gnuplot double-quoted string holding `text` verbatim (backslash and quote escaped,
 * control characters turned into spaces). */
static void plot_quote(FILE *script, const char *text)
{
    fputc('"', script);
    for (const char *p = text != NULL ? text : ""; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\' || c == '"') {
            fputc('\\', script);
            fputc(c, script);
        } else {
            fputc(c < 0x20 ? ' ' : c, script);
        }
    }
    fputc('"', script);
}

/* One series' points, "x y" per line; a run of no-data points becomes one blank line,
 * which gnuplot draws as a gap. Returns the number of points written. */
static uint32_t plot_write_series(FILE *data, const plot_spec *spec, const plot_series *series)
{
    uint32_t written = 0;
    bool gap = false;
    for (uint32_t i = 0; i < series->point_count; i++) {
        double x = series->x[i], y = series->y[i];
        if (!isfinite(x)) continue;
        if (!plot_point_drawn(spec, x, y)) {
            if (written > 0 && !gap) fputc('\n', data);
            gap = true;
            continue;
        }
        fprintf(data, "%.10g %.10g\n", x, y);
        gap = false;
        written++;
    }
    return written;
}

static const char *plot_style_text(plot_style style)
{
    switch (style) {
    case PLOT_LINES: return "with lines lw 1.6";
    case PLOT_POINTS: return "with points pt 7 ps 0.7";
    case PLOT_STEPS: return "with steps lw 1.6";
    }
    BL_ASSERTF(false, "plot style %d", (int)style);
    return "";
}

static void plot_write_terminal(FILE *script, const plot_spec *spec, plot_format format)
{
    uint32_t width = spec->width_px != 0 ? spec->width_px : PLOT_WIDTH_PX_DEFAULT;
    uint32_t height = spec->height_px;
    if (height == 0) {
        uint32_t key_rows = (spec->series_count + PLOT_KEY_PER_ROW - 1) / PLOT_KEY_PER_ROW;
        height = PLOT_HEIGHT_PX_DEFAULT + (key_rows > 1 ? key_rows - 1 : 0) * PLOT_KEY_ROW_PX;
    }
    fputs("set encoding utf8\n", script);
    if (format == PLOT_SVG) {
        fprintf(script,
                "set terminal svg size %u,%u dynamic noenhanced font \"sans,11\" "
                "background rgb \"white\"\nset output 'out.svg'\n",
                width, height);
    } else {
        fprintf(script,
                "set terminal pngcairo size %u,%u noenhanced font \"sans,10\" "
                "background rgb \"white\"\nset output 'out.png'\n",
                width, height);
    }
}

static void plot_write_axes(FILE *script, const plot_spec *spec, bool empty)
{
    if (spec->title != NULL) {
        fputs("set title ", script);
        plot_quote(script, spec->title);
        fputc('\n', script);
    }
    fputs("set xlabel ", script);
    plot_quote(script, spec->x_label);
    fputs("\nset ylabel ", script);
    plot_quote(script, spec->y_label);
    fputs("\nset grid xtics ytics lc rgb \"#dddddd\" lw 1 dt 1\n"
          "set border 3\nset tics nomirror\nset key outside bottom center horizontal\n",
          script);
    if (!isnan(spec->x_min) || !isnan(spec->x_max)) {
        fputs("set xrange [", script);
        if (!isnan(spec->x_min)) fprintf(script, "%.10g", spec->x_min);
        fputc(':', script);
        if (!isnan(spec->x_max)) fprintf(script, "%.10g", spec->x_max);
        fputs("]\n", script);
    }
    if (spec->x_integer) {
        fputs("set format x \"%.0f\"\n", script);
        bool narrow = !isnan(spec->x_min) && !isnan(spec->x_max) &&
                      spec->x_max - spec->x_min <= PLOT_INTEGER_TICS_MAX;
        if (narrow) fputs("set xtics 1\n", script);
    }
    if (empty) {
        if (isnan(spec->x_min) || isnan(spec->x_max)) fputs("set xrange [0:1]\n", script);
        fputs("set yrange [0:1]\nset label 1 \"no data\" at graph 0.5, graph 0.5 center\n", script);
    } else if (spec->y_log) {
        fputs("set logscale y 10\nset format y \"%g\"\n", script);
    } else if (spec->y_from_zero) {
        fputs("set yrange [0:*]\n", script);
    }
}

/* The windows as shaded rectangles behind the data, their labels staggered downwards
 * so that neighbouring windows' labels do not overwrite each other. */
static void plot_write_windows(FILE *script, const plot_spec *spec)
{
    for (uint32_t w = 0; w < spec->window_count; w++) {
        const plot_window *window = &spec->windows[w];
        double start = window->x_start, end = window->x_end;
        if (!isnan(spec->x_min) && start < spec->x_min) start = spec->x_min;
        if (!isnan(spec->x_max) && end > spec->x_max) end = spec->x_max;
        if (end < start) continue; /* entirely outside the x range */
        if (end > start) {
            fprintf(script,
                    "set object %u rect from %.10g, graph 0 to %.10g, graph 1 behind "
                    "fc rgb \"%s\" fs transparent solid 0.35 noborder\n",
                    w + 1, start, end, plot_window_colors[w % 2]);
        } else { /* an instant: a vertical line, a zero-width rectangle would not show */
            fprintf(script,
                    "set arrow %u from %.10g, graph 0 to %.10g, graph 1 nohead back "
                    "lc rgb \"#c04040\" lw 1.5 dt 2\n",
                    w + 1, start, start);
        }
        if (window->label == NULL || window->label[0] == '\0') continue;
        fprintf(script, "set label %u ", w + 2);
        plot_quote(script, window->label);
        fprintf(script, " at %.10g, graph %.3f left front tc rgb \"#7a1010\" offset 0.4,0\n", start,
                0.97 - 0.06 * (double)(w % PLOT_LABEL_ROWS));
    }
}

/* Writes the data files and plot.gp into `dir`. Returns 0 or -1 (errno set). */
static int plot_write_files(const char *dir, const plot_spec *spec, plot_format format)
{
    char path[PLOT_FILE_PATH_MAX];
    uint32_t drawn[PLOT_SERIES_MAX] = {0};
    for (uint32_t s = 0; s < spec->series_count; s++) {
        snprintf(path, sizeof path, "%s/s%u.dat", dir, s);
        FILE *data = fopen(path, "w");
        if (data == NULL) return -1;
        drawn[s] = plot_write_series(data, spec, &spec->series[s]);
        if (fclose(data) != 0) return -1;
    }
    snprintf(path, sizeof path, "%s/plot.gp", dir);
    FILE *script = fopen(path, "w");
    if (script == NULL) return -1;
    bool empty = !plot_has_points(spec);
    plot_write_terminal(script, spec, format);
    plot_write_axes(script, spec, empty);
    plot_write_windows(script, spec);
    if (empty || spec->series_count == 0) {
        fputs("plot NaN notitle\n", script);
    } else {
        fputs("plot ", script);
        for (uint32_t s = 0; s < spec->series_count; s++) {
            const plot_series *series = &spec->series[s];
            if (s > 0) fputs(", \\\n     ", script);
            if (drawn[s] > 0) {
                fprintf(script, "'s%u.dat' using 1:2 %s title ", s, plot_style_text(series->style));
                plot_quote(script, series->name);
            } else { /* keeps its legend entry, says why nothing is drawn */
                char name[PLOT_TEXT_MAX + 16];
                snprintf(name, sizeof name, "%s (no data)", series->name);
                fprintf(script, "NaN %s title ", plot_style_text(series->style));
                plot_quote(script, name);
            }
        }
        fputc('\n', script);
    }
    fputs("unset output\n", script);
    return fclose(script) == 0 ? 0 : -1;
}

/* The line of gnuplot's log that says what went wrong: the first `"plot.gp" line N:`
 * line, else the last non-empty one. */
static void plot_log_reason(const char *dir, char *reason, size_t reason_size)
{
    char path[PLOT_FILE_PATH_MAX];
    snprintf(path, sizeof path, "%s/gnuplot.log", dir);
    snprintf(reason, reason_size, "no message");
    FILE *log = fopen(path, "r");
    if (log == NULL) return;
    char line[PLOT_LOG_LINE_MAX];
    bool found = false;
    while (fgets(line, sizeof line, log) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[strspn(line, " \t^")] == '\0') continue;
        if (!found) snprintf(reason, reason_size, "%s", line);
        if (strstr(line, "\"plot.gp\" line") != NULL) found = true;
    }
    fclose(log);
}

/* Runs gnuplot on dir/plot.gp with dir as its working directory and home. */
static int plot_run_gnuplot(const char *dir, char *error, size_t error_size)
{
    pid_t pid = fork();
    if (pid < 0) return plot_fail(error, error_size, "cannot start gnuplot: %s", strerror(errno));
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        int log_fd = -1;
        if (chdir(dir) == 0) log_fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (null_fd < 0 || log_fd < 0) _exit(126);
        dup2(null_fd, STDIN_FILENO);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        setenv("HOME", dir, 1); /* no ~/.gnuplot: equal specs give equal images */
        setenv("LC_ALL", "C", 1);
        unsetenv("GNUPLOT_LIB");
        unsetenv("GNUTERM");
        execlp("gnuplot", "gnuplot", "plot.gp", (char *)NULL);
        _exit(PLOT_EXIT_NO_GNUPLOT);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return plot_fail(error, error_size, "waiting for gnuplot: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == PLOT_EXIT_NO_GNUPLOT) {
        return plot_fail(error, error_size,
                         "cannot run gnuplot: not found on PATH (install Debian's gnuplot-nox)");
    }
    char reason[PLOT_LOG_LINE_MAX];
    plot_log_reason(dir, reason, sizeof reason);
    if (WIFSIGNALED(status)) {
        return plot_fail(error, error_size, "gnuplot killed by signal %d: %s", WTERMSIG(status),
                         reason);
    }
    return plot_fail(error, error_size, "gnuplot failed (exit %d): %s", WEXITSTATUS(status),
                     reason);
}

/* Reads dir/name whole into a malloc'd, NUL-terminated buffer of at most
 * PLOT_IMAGE_BYTES_MAX bytes. */
static int plot_read_output(const char *dir, const char *name, plot_image *image, char *error,
                            size_t error_size)
{
    char path[PLOT_FILE_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return plot_fail(error, error_size, "gnuplot wrote no %s: %s", name, strerror(errno));
    }
    struct stat info;
    if (fstat(fileno(file), &info) != 0 || info.st_size <= 0 ||
        (uint64_t)info.st_size > PLOT_IMAGE_BYTES_MAX) {
        fclose(file);
        return plot_fail(error, error_size, "gnuplot's %s is empty or larger than %u bytes", name,
                         PLOT_IMAGE_BYTES_MAX);
    }
    size_t length = (size_t)info.st_size;
    char *data = malloc(length + 1);
    BL_ASSERT(data != NULL);
    size_t read = fread(data, 1, length, file);
    fclose(file);
    if (read != length) {
        free(data);
        return plot_fail(error, error_size, "cannot read gnuplot's %s", name);
    }
    data[length] = '\0';
    image->data = data;
    image->length = length;
    return 0;
}

static void plot_xml_text(FILE *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc((unsigned char)*p < 0x20 ? ' ' : *p, out); break;
        }
    }
}

/* gnuplot's SVG made fit to inline: from `<svg` on, with the plot's id and class on the
 * root, the title as its <title>, and every id and reference to one prefixed "ID-". */
static int plot_inline_svg(const plot_spec *spec, plot_image *image, char *error, size_t error_size)
{
    static const char *const references[] = {" id='",   " id=\"",   "\tid='", "\tid=\"",
                                             "href='#", "href=\"#", "url(#"};
    const char *start = strstr(image->data, "<svg");
    if (start == NULL) return plot_fail(error, error_size, "gnuplot's SVG has no <svg> element");
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    BL_ASSERT(out != NULL);
    fprintf(out, "<svg id=\"%s\" class=\"plot\" role=\"img\"", spec->id);
    const char *p = start + strlen("<svg");
    const char *gnuplot_title = "<title>Gnuplot</title>";
    while (*p != '\0') {
        if (strncmp(p, gnuplot_title, strlen(gnuplot_title)) == 0) {
            fputs("<title>", out);
            plot_xml_text(out, spec->title != NULL ? spec->title : spec->id);
            fputs("</title>", out);
            p += strlen(gnuplot_title);
            continue;
        }
        unsigned plot_number = 0;
        int consumed = 0;
        if (*p == '<' &&
            sscanf(p, "<title>gnuplot_plot_%u</title>%n", &plot_number, &consumed) == 1 &&
            consumed > 0 && plot_number >= 1 && plot_number <= spec->series_count) {
            fputs("<title>", out); /* the tooltip of a series: its name */
            plot_xml_text(out, spec->series[plot_number - 1].name);
            fputs("</title>", out);
            p += consumed;
            continue;
        }
        bool rewritten = false;
        for (size_t r = 0; r < sizeof references / sizeof references[0]; r++) {
            size_t n = strlen(references[r]);
            if (strncmp(p, references[r], n) != 0) continue;
            fwrite(p, 1, n, out);
            fprintf(out, "%s-", spec->id);
            p += n;
            rewritten = true;
            break;
        }
        if (!rewritten) fputc(*p++, out);
    }
    BL_ASSERT(fclose(out) == 0);
    free(image->data);
    image->data = text;
    image->length = length;
    return 0;
}

/* Removes the files plot_write_files and gnuplot left in dir, then dir. */
static void plot_remove_dir(const char *dir)
{
    DIR *listing = opendir(dir);
    if (listing != NULL) {
        struct dirent *entry;
        char path[PLOT_FILE_PATH_MAX];
        while ((entry = readdir(listing)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
            snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
            unlink(path);
        }
        closedir(listing);
    }
    rmdir(dir);
}

int plot_render(const plot_spec *spec, plot_format format, plot_image *image, char *error,
                size_t error_size)
{
    plot_check_spec(spec);
    BL_ASSERT(format == PLOT_SVG || format == PLOT_PNG);
    BL_ASSERT(image != NULL);
    image->data = NULL;
    image->length = 0;
    const char *tmp = getenv("TMPDIR");
    char dir[PLOT_PATH_MAX];
    int n = snprintf(dir, sizeof dir, "%s/brokerlab-plot-XXXXXX",
                     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof dir - 64) {
        return plot_fail(error, error_size, "temporary directory name too long");
    }
    if (mkdtemp(dir) == NULL) {
        return plot_fail(error, error_size, "cannot create a temporary directory %s: %s", dir,
                         strerror(errno));
    }
    int result = -1;
    if (plot_write_files(dir, spec, format) != 0) {
        plot_fail(error, error_size, "cannot write gnuplot's input in %s: %s", dir,
                  strerror(errno));
    } else if (plot_run_gnuplot(dir, error, error_size) == 0 &&
               plot_read_output(dir, format == PLOT_SVG ? "out.svg" : "out.png", image, error,
                                error_size) == 0) {
        result = format == PLOT_SVG ? plot_inline_svg(spec, image, error, error_size) : 0;
    }
    plot_remove_dir(dir);
    if (result != 0) plot_image_free(image);
    return result;
}

void plot_image_free(plot_image *image)
{
    if (image == NULL) return;
    free(image->data);
    image->data = NULL;
    image->length = 0;
}

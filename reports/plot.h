/* plot.h — a generic gnuplot driver: several named series of (x, y) points, optional
 * shaded and labelled x-windows (fault windows), a title and axis labels with units,
 * rendered as SVG text (to inline in HTML) or PNG bytes (to write beside Markdown).
 *
 * It knows nothing about brokers or results.json: the report writers (report_doc.c) and
 * `brokerlab compare` (overlaying one metric from several designs) describe a plot with
 * a plot_spec and get an image back. It runs `gnuplot` (Debian's gnuplot-nox) as a child
 * process on a generated script and data files in a private temporary directory, with
 * HOME pointed there (no ~/.gnuplot) and LC_ALL=C, so equal specs give equal bytes. */
#ifndef BL_PLOT_H
#define BL_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLOT_SERIES_MAX        32u         /* series per plot (legend entries)            */
#define PLOT_WINDOWS_MAX       64u         /* shaded windows per plot                     */
#define PLOT_POINTS_MAX        (1u << 22)  /* points per series                           */
#define PLOT_TEXT_MAX          256u        /* bytes of a title, axis label, name or label */
#define PLOT_ID_MAX            48u         /* bytes of a plot id                          */
#define PLOT_IMAGE_BYTES_MAX   (64u << 20) /* an image gnuplot writes: larger is an error */
#define PLOT_WIDTH_PX_DEFAULT  900u
#define PLOT_HEIGHT_PX_DEFAULT 380u
#define PLOT_ERROR_LEN         512u /* a sensible size for the caller's error buffer */

typedef enum plot_style {
    PLOT_LINES,  /* a line through the points; a no-data point (NAN) breaks it */
    PLOT_POINTS, /* one mark per point: values per seed, per design */
    PLOT_STEPS,  /* a staircase: a level that holds until the next point */
} plot_style;

typedef enum plot_format {
    PLOT_SVG, /* SVG text without the XML prolog, ready to inline in HTML */
    PLOT_PNG, /* PNG bytes (gnuplot's pngcairo terminal) */
} plot_format;

typedef struct plot_series {
    const char *name; /* legend entry, plain text (gnuplot markup is not interpreted) */
    const double *x;  /* point_count values; a non-finite x drops the point */
    const double *y;  /* point_count values; NAN = no data, a gap in the line */
    uint32_t point_count;
    plot_style style;
} plot_series;

typedef struct plot_window {
    double x_start;    /* where the shading starts, in x units; finite */
    double x_end;      /* >= x_start (equal: drawn as a dashed vertical line); clipped to
                          [x_min, x_max] when they are set */
    const char *label; /* written at the window's top left; NULL or "" = none */
} plot_window;

typedef struct plot_spec {
    const char *id;      /* [A-Za-z0-9_-], unique in a document: prefixes every SVG id */
    const char *title;   /* plain text, NULL = none */
    const char *x_label; /* with its unit: "simulated time (s)" */
    const char *y_label; /* with its unit: "messages per second (msg/s)" */
    const plot_series *series;
    uint32_t series_count; /* <= PLOT_SERIES_MAX */
    const plot_window *windows;
    uint32_t window_count; /* <= PLOT_WINDOWS_MAX */
    double x_min, x_max;   /* the x range; NAN = from the data */
    bool x_integer;        /* x values are integers (seeds, design indexes): integer tics */
    bool y_from_zero;      /* the y axis starts at 0 (counts, rates); ignored when y_log */
    bool y_log;            /* a logarithmic y axis; y <= 0 then counts as no data */
    uint32_t width_px;     /* 0 = PLOT_WIDTH_PX_DEFAULT */
    uint32_t height_px;    /* 0 = PLOT_HEIGHT_PX_DEFAULT */
} plot_spec;

typedef struct plot_image {
    char *data;    /* malloc'd: SVG text (NUL-terminated, the NUL not counted) or PNG bytes */
    size_t length; /* bytes */
} plot_image;

/* Renders `spec` in `format` into *image (free it with plot_image_free). A plot with no
 * drawable point is still drawn: an empty frame saying "no data". Returns 0, or -1 with
 * a one-line reason in `error` (gnuplot missing, gnuplot failed and its first error
 * line, a temporary file that cannot be written); *image is then empty. A spec outside
 * the limits above is a programmer error (asserted). */
int plot_render(const plot_spec *spec, plot_format format, plot_image *image, char *error,
                size_t error_size);

/* Frees the image's data and empties it; safe on an empty image. */
void plot_image_free(plot_image *image);

/* Whether any series has a point that would be drawn (finite x and y, y > 0 on a
 * logarithmic axis). */
bool plot_has_points(const plot_spec *spec);

/* The smallest and largest finite y (> 0 when positive_only) over every series; false if
 * there is none. Callers use the ratio to choose y_log. */
bool plot_y_extent(const plot_spec *spec, bool positive_only, double *y_min, double *y_max);

#endif

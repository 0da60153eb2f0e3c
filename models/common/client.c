/* client.c — helpers every broker family's client models share (see client.h). */
#include "client.h"

#include <gsl/gsl_randist.h>

int64_t client_draw_duration(const scn_dist *dist, gsl_rng *rng)
{
    double value_us = 0;
    switch (dist->kind) {
    case SCN_DIST_CONST: return dist->a_us;
    case SCN_DIST_EXP: value_us = gsl_ran_exponential(rng, (double)dist->a_us); break;
    case SCN_DIST_UNIFORM:
        value_us = gsl_ran_flat(rng, (double)dist->a_us, (double)dist->b_us);
        break;
    case SCN_DIST_NORMAL:
        value_us = (double)dist->a_us + gsl_ran_gaussian(rng, (double)dist->b_us);
        break;
    }
    return value_us < 0 ? 0 : (int64_t)(value_us + 0.5);
}

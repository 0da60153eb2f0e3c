/* time.h — simulated time constants: every time in brokerlab is an integer number of
 * microseconds (`*_us`). */
#ifndef BL_TIME_H
#define BL_TIME_H

#define TIME_US_PER_MS  1000LL
#define TIME_US_PER_S   1000000LL
#define TIME_US_PER_DAY (86400LL * TIME_US_PER_S)

#endif

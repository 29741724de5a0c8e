/* core/clock.h -- the one monotonic clock of oz (server, C client, ozctl
 * and ozbench): deadlines, durations and rates are measured with it, never
 * with the wall clock, which may jump. */
#ifndef OZ_CORE_CLOCK_H
#define OZ_CORE_CLOCK_H

#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC (an arbitrary origin, never going back). */
int64_t oz_now_ns(void);

/* Microseconds on the same clock. */
int64_t oz_now_us(void);

#endif

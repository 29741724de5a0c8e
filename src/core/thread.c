/* core/thread.c -- see thread.h. */
#include <sys/prctl.h>

#include "core/thread.h"

void
oz_thread_name(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

/* core/thread.h -- names for oz's own threads, so top -H, perf and gdb
 * tell the writer from the checkpointer from nng's threads. */
#ifndef OZ_CORE_THREAD_H
#define OZ_CORE_THREAD_H

/* Names the calling thread (at most 15 bytes are kept). */
void oz_thread_name(const char *name);

#endif /* OZ_CORE_THREAD_H */

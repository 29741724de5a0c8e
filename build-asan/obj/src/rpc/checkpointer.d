build-asan/obj/src/rpc/checkpointer.o: src/rpc/checkpointer.c \
 src/core/log.h src/core/thread.h src/rpc/checkpointer.h \
 src/store/store.h include/oz/status.h
src/core/log.h:
src/core/thread.h:
src/rpc/checkpointer.h:
src/store/store.h:
include/oz/status.h:

build-asan/obj/src/service/metadata.o: src/service/metadata.c \
 src/service/service.h src/core/arena.h include/oz/status.h \
 build-asan/gen/oz/rpc/v1/rpc.pb-c.h src/store/store.h
src/service/service.h:
src/core/arena.h:
include/oz/status.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:

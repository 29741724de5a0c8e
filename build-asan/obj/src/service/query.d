build-asan/obj/src/service/query.o: src/service/query.c src/core/log.h \
 build-asan/gen/oz/v1/admin_service.pb-c.h src/service/service.h \
 src/core/arena.h include/oz/status.h build-asan/gen/oz/rpc/v1/rpc.pb-c.h \
 src/store/store.h src/service/validate.h src/store/query.h
src/core/log.h:
build-asan/gen/oz/v1/admin_service.pb-c.h:
src/service/service.h:
src/core/arena.h:
include/oz/status.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
src/service/validate.h:
src/store/query.h:

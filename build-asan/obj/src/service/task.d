build-asan/obj/src/service/task.o: src/service/task.c \
 build-asan/gen/oz/v1/task_service.pb-c.h \
 build-asan/gen/google/protobuf/empty.pb-c.h \
 build-asan/gen/google/protobuf/field_mask.pb-c.h \
 build-asan/gen/google/protobuf/wrappers.pb-c.h \
 build-asan/gen/oz/v1/resources.pb-c.h \
 build-asan/gen/google/protobuf/timestamp.pb-c.h src/service/convert.h \
 src/service/service.h src/core/arena.h include/oz/status.h \
 build-asan/gen/oz/rpc/v1/rpc.pb-c.h src/store/store.h \
 src/store/task_store.h src/store/list.h src/store/user_store.h \
 src/service/paging.h src/service/validate.h
build-asan/gen/oz/v1/task_service.pb-c.h:
build-asan/gen/google/protobuf/empty.pb-c.h:
build-asan/gen/google/protobuf/field_mask.pb-c.h:
build-asan/gen/google/protobuf/wrappers.pb-c.h:
build-asan/gen/oz/v1/resources.pb-c.h:
build-asan/gen/google/protobuf/timestamp.pb-c.h:
src/service/convert.h:
src/service/service.h:
src/core/arena.h:
include/oz/status.h:
build-asan/gen/oz/rpc/v1/rpc.pb-c.h:
src/store/store.h:
src/store/task_store.h:
src/store/list.h:
src/store/user_store.h:
src/service/paging.h:
src/service/validate.h:

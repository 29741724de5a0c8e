build-asan/obj/src/service/paging.o: src/service/paging.c \
 src/service/paging.h src/core/arena.h include/oz/status.h \
 src/store/list.h src/store/store.h src/service/validate.h
src/service/paging.h:
src/core/arena.h:
include/oz/status.h:
src/store/list.h:
src/store/store.h:
src/service/validate.h:

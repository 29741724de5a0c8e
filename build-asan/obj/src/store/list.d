build-asan/obj/src/store/list.o: src/store/list.c src/store/keyset.h \
 src/store/db.h src/core/arena.h src/store/store.h include/oz/status.h \
 src/store/list.h
src/store/keyset.h:
src/store/db.h:
src/core/arena.h:
src/store/store.h:
include/oz/status.h:
src/store/list.h:

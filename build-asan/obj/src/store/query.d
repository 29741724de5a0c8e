build-asan/obj/src/store/query.o: src/store/query.c src/store/db.h \
 src/core/arena.h src/store/store.h include/oz/status.h src/store/query.h
src/store/db.h:
src/core/arena.h:
src/store/store.h:
include/oz/status.h:
src/store/query.h:

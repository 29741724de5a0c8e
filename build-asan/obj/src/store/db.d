build-asan/obj/src/store/db.o: src/store/db.c src/core/log.h \
 src/store/db.h src/core/arena.h src/store/store.h include/oz/status.h
src/core/log.h:
src/store/db.h:
src/core/arena.h:
src/store/store.h:
include/oz/status.h:

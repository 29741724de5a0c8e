build-asan/obj/src/store/migrate.o: src/store/migrate.c src/store/db.h \
 src/core/arena.h src/store/store.h include/oz/status.h \
 src/store/migrate_impl.h src/store/migrate.h src/core/embed.h
src/store/db.h:
src/core/arena.h:
src/store/store.h:
include/oz/status.h:
src/store/migrate_impl.h:
src/store/migrate.h:
src/core/embed.h:

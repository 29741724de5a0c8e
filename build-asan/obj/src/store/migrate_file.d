build-asan/obj/src/store/migrate_file.o: src/store/migrate_file.c \
 src/store/migrate_impl.h src/store/migrate.h src/core/arena.h \
 src/core/embed.h src/store/store.h include/oz/status.h
src/store/migrate_impl.h:
src/store/migrate.h:
src/core/arena.h:
src/core/embed.h:
src/store/store.h:
include/oz/status.h:

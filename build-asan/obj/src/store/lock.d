build-asan/obj/src/store/lock.o: src/store/lock.c src/store/lock.h \
 include/oz/status.h src/store/store.h
src/store/lock.h:
include/oz/status.h:
src/store/store.h:

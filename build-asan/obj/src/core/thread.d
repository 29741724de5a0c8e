build-asan/obj/src/core/thread.o: src/core/thread.c src/core/thread.h
src/core/thread.h:

build-asan/obj/src/core/env.o: src/core/env.c src/core/env.h
src/core/env.h:

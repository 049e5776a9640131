// CHECK for fuzz targets: a violated property prints what and where, then aborts, which
// libFuzzer reports as a crash and saves the input. Header-only; thread-safe.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                         \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property violated: %s (%s)\n", __FILE__, __LINE__, \
                   what, #cond);                                                       \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

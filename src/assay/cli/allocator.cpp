// Allocator settings for verbs that run a model.
#include "assay/cli/commands.h"

#ifdef ASSAY_WITH_JEMALLOC
#include <sys/types.h>

#include <cstddef>

// jemalloc's control interface (declared here: <jemalloc/jemalloc.h> renames malloc itself).
extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_length, void* new_value,
                       std::size_t new_length);
#endif

namespace assay::cli {

void KeepFreedPagesForInference() {
#ifdef ASSAY_WITH_JEMALLOC
  ssize_t never = -1;
  // "arena.4096" addresses every existing arena; "arenas" sets the default for new ones.
  for (const char* name : {"arenas.dirty_decay_ms", "arenas.muzzy_decay_ms",
                           "arena.4096.dirty_decay_ms", "arena.4096.muzzy_decay_ms"}) {
    (void)mallctl(name, nullptr, nullptr, &never, sizeof never);
  }
#endif
}

}  // namespace assay::cli

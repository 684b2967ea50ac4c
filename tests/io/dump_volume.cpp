// Test helper: reads a volume with LoadVolume and prints its geometry as one
// JSON object, then its values, one per line. Usage: dump_volume FILE
#include <cstdio>

#include "assay/io/volume.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dump_volume FILE\n");
    return 2;
  }
  auto volume = assay::io::LoadVolume(argv[1]);
  if (!volume.ok()) {
    std::fprintf(stderr, "%s\n", volume.status().message().c_str());
    return 2;
  }
  const auto& v = *volume;
  std::printf(
      "{\"format\": \"%s\", \"size\": [%zu, %zu, %zu], \"components\": %zu, "
      "\"spacing\": [%.17g, %.17g, %.17g], \"origin\": [%.17g, %.17g, %.17g], \"direction\": [",
      v.format.c_str(), v.size[0], v.size[1], v.size[2], v.components, v.spacing[0], v.spacing[1],
      v.spacing[2], v.origin[0], v.origin[1], v.origin[2]);
  for (std::size_t i = 0; i < 9; ++i) std::printf("%s%.17g", i ? ", " : "", v.direction[i]);
  std::printf("]}\n");
  for (float value : v.values) std::printf("%.9g\n", static_cast<double>(value));
  return 0;
}

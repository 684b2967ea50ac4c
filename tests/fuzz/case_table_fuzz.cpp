// libFuzzer target: the CSV and JSON Lines case-table readers on arbitrary
// bytes (the first byte picks the format). Every record is read or refused
// with an error naming the line: no crash, no hang, no leak.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "assay/io/record_source.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool jsonl = (data[0] & 1) != 0;
  // In $TMPDIR, which run_fuzz.sh points into the build folder.
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("assay_fuzz_cases_" + std::to_string(::getpid()) + (jsonl ? ".jsonl" : ".csv")))
          .string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  auto source = assay::io::OpenRecordSource(path, {"truth", "score"});
  if (!source.ok()) {
    if (source.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (int records = 0; records < 100000; ++records) {
    auto more = (*source)->Next();
    if (!more.ok()) {
      if (more.status().message().find("line") == std::string::npos) __builtin_trap();
      break;
    }
    if (!*more) break;
    (void)(*source)->Value(0);
    (void)(*source)->Value(1);
  }
  return 0;
}

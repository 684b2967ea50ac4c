// libFuzzer target: the DICOM header reader on arbitrary bytes. Every input
// must give a header or a failure with a reason: no crash, no hang, no leak.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "assay/io/dicom_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // In $TMPDIR, which run_fuzz.sh points into the build folder.
  static const std::string path = (std::filesystem::temp_directory_path() /
                                   ("assay_fuzz_dicom_" + std::to_string(::getpid()) + ".dcm"))
                                      .string();
  static const auto attributes = assay::io::ResolveDicomAttributes(
      {"SOPInstanceUID", "Manufacturer", "PatientAge", "PixelSpacing", "Rows", "(0019,10ab)"});
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  // Runs on the main thread, whose stack run_fuzz.sh raises (DCMTK recurses per nesting level).
  const auto outcome = assay::io::ReadDicomHeader(path, *attributes);
  if (const auto* failure = std::get_if<assay::io::DicomReadFailure>(&outcome)) {
    if (assay::io::DicomFailureCode(failure->reason).empty()) __builtin_trap();
  }
  return 0;
}

// Test helper: decodes DICOM files with LoadDicomPixels and writes, per file,
// a line "path rows columns frames samples photometric" followed by the
// values as little-endian float32 into OUT.bin, so that a Python test can
// compare them with pydicom. Usage: dump_pixels modality|display OUT FILE...
#include <cstdio>
#include <fstream>
#include <string>

#include "assay/core/large_stack.h"
#include "assay/io/dicom_pixels.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: dump_pixels modality|display OUT FILE...\n");
    return 2;
  }
  const auto kind = std::string(argv[1]) == "display" ? assay::io::PixelValues::kDisplay
                                                      : assay::io::PixelValues::kModality;
  std::ofstream index(std::string(argv[2]) + ".txt");
  std::ofstream values(std::string(argv[2]) + ".bin", std::ios::binary);
  for (int i = 3; i < argc; ++i) {
    assay::RunWithLargeStack([&] {
      auto image = assay::io::LoadDicomPixels(argv[i], kind);
      if (!image.ok()) {
        index << argv[i] << "\terror\t" << image.status().message() << "\n";
        return;
      }
      index << argv[i] << "\tok\t" << image->rows << "\t" << image->columns << "\t" << image->frames
            << "\t" << image->samples << "\t" << image->photometric << "\n";
      values.write(reinterpret_cast<const char*>(image->values.data()),
                   static_cast<std::streamsize>(image->values.size() * sizeof(float)));
    });
  }
  return 0;
}

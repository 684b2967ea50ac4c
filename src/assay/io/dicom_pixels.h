// Decoding DICOM pixel data into model-ready values.
//
// Modality values are the stored values with the modality rescale applied
// (Rescale Slope and Intercept, e.g. Hounsfield units for CT), in double
// precision, before any display transform. Display values apply the VOI
// window stored in the file (its first Window Center/Width, else the minimum
// and maximum of each frame) and map to [0, 1], with MONOCHROME1 inverted so
// that 1 is always bright. Colour images come out as RGB in [0, 1].
//
// Transfer syntaxes: every uncompressed one, deflate, RLE, JPEG baseline,
// extended and lossless, JPEG-LS (DCMTK's codecs), and JPEG 2000 (OpenJPEG).
// Anything else is an error that names the syntax.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "assay/core/status.h"

namespace assay::io {

enum class PixelValues {
  kModality,  // stored values after the modality rescale
  kDisplay,   // after the VOI window, in [0, 1], MONOCHROME1 inverted
};

struct PixelImage {
  std::size_t rows = 0;
  std::size_t columns = 0;
  std::size_t frames = 0;
  std::size_t samples = 1;  // 1 for monochrome, 3 for RGB (interleaved)
  std::string photometric;  // as stored: MONOCHROME1, MONOCHROME2, RGB, YBR_FULL, ...
  std::string transfer_syntax_uid;
  // frames x rows x columns x samples, row-major.
  std::vector<float> values;
};

// Decodes every frame of the file at `path`. Errors (kInvalidInput) name the
// file and the reason: no pixel data, a transfer syntax assay cannot decode
// (named with its UID), pixel data shorter than its attributes say.
Result<PixelImage> LoadDicomPixels(const std::string& path, PixelValues kind);

}  // namespace assay::io

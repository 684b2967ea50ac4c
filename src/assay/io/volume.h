// Reading image volumes for model inputs: NIfTI (.nii, .nii.gz), NRRD
// (.nrrd, .nhdr), MetaImage (.mha, .mhd) and PNG, through ITK.
//
// Geometry is kept: spacing, origin and direction in ITK's patient coordinate
// convention (LPS, as DICOM), so a NIfTI file's RAS qform/sform comes out with
// its first two axes negated. 2D images are volumes of depth 1.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "assay/core/status.h"

namespace assay::io {

struct Volume {
  std::array<std::size_t, 3> size{1, 1, 1};                    // voxels along x (fastest), y, z
  std::size_t components = 1;                                  // e.g. 3 for an RGB PNG
  std::array<double, 3> spacing{1, 1, 1};                      // mm
  std::array<double, 3> origin{0, 0, 0};                       // mm, LPS
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major; columns are axes
  std::string format;  // "NIfTI", "NRRD", "MetaImage", "PNG"
  // x fastest, then y, then z; components interleaved.
  std::vector<float> values;
};

// True when assay was built with ITK (the CMake option ASSAY_WITH_ITK).
bool VolumesSupported();

// Reads the file at `path`. Errors (kInvalidInput) name the file: an unknown
// format, more than three dimensions, a file ITK cannot read (with its words),
// or a build without ITK.
Result<Volume> LoadVolume(const std::string& path);

}  // namespace assay::io

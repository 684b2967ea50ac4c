// JPEG 2000 pixel data (transfer syntaxes 1.2.840.10008.1.2.4.90-.93), which
// DCMTK's open-source codecs do not decode, decoded with OpenJPEG.
#pragma once

#include <string>

#include "assay/core/status.h"

class DcmDataset;

namespace assay::io {

// Replaces the encapsulated JPEG 2000 pixel data of `dataset` by its decoded,
// native form (and the attributes that describe it: Photometric
// Interpretation RGB for colour, Planar Configuration 0), so that DCMTK can
// render it as if it had been stored uncompressed. Errors name `path`.
Status DecodeJpeg2000PixelData(DcmDataset& dataset, const std::string& path);

}  // namespace assay::io

// Encoding a synthetic case as a DICOM file with DCMTK: a Digital X-Ray
// image (For Presentation), Explicit VR Little Endian, with a Part 10 meta
// header, the case's UIDs, patient, scanner and site attributes, and its
// 12-bit pixels. No date or time of writing goes into the file, so the bytes
// are a function of the case alone. Thread-safe: each call builds its own
// DCMTK objects.
#pragma once

#include <string>

#include "assay/core/status.h"
#include "assay/synth/case_plan.h"
#include "assay/synth/config.h"
#include "assay/synth/phantom.h"

namespace assay::synth {

// Digital X-Ray Image Storage - For Presentation.
inline constexpr const char* kDigitalXRayStorage = "1.2.840.10008.5.1.4.1.1.1.1";

// The bytes of the case's DICOM file; the attributes `plan.missing` marks are
// left out. kInternal when DCMTK cannot encode it; kIoError when DCMTK's data
// dictionary is not loaded.
Result<std::string> EncodeCase(const CohortConfig& config, const CasePlan& plan,
                               const Phantom& phantom);

// The byte count of the file's header: everything before the pixel data's value.
std::size_t HeaderBytes(std::size_t file_bytes, const Phantom& phantom);

}  // namespace assay::synth

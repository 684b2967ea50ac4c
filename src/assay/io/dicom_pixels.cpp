#include "assay/io/dicom_pixels.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK's headers
//
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimage/diregist.h>  // colour images
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <memory>
#include <mutex>
#include <utility>

#include "assay/io/jpeg2000.h"

namespace assay::io {
namespace {

// DCMTK's decoders are registered once per process (they are global).
void RegisterDecoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

bool IsJpeg2000(E_TransferSyntax syntax) {
  return syntax == EXS_JPEG2000LosslessOnly || syntax == EXS_JPEG2000 ||
         syntax == EXS_JPEG2000MulticomponentLosslessOnly || syntax == EXS_JPEG2000Multicomponent;
}

template <typename T>
void AppendAs(const void* data, std::size_t count, double slope, double intercept,
              std::vector<float>& out) {
  const T* values = static_cast<const T*>(data);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(static_cast<float>(static_cast<double>(values[i]) * slope + intercept));
  }
}

Status AppendInterData(const DiPixel& pixels, std::size_t count, double slope, double intercept,
                       std::vector<float>& out) {
  const void* data = pixels.getData();
  if (data == nullptr) return InvalidInput("no decoded pixel values");
  switch (pixels.getRepresentation()) {
    case EPR_Uint8:
      AppendAs<Uint8>(data, count, slope, intercept, out);
      break;
    case EPR_Sint8:
      AppendAs<Sint8>(data, count, slope, intercept, out);
      break;
    case EPR_Uint16:
      AppendAs<Uint16>(data, count, slope, intercept, out);
      break;
    case EPR_Sint16:
      AppendAs<Sint16>(data, count, slope, intercept, out);
      break;
    case EPR_Uint32:
      AppendAs<Uint32>(data, count, slope, intercept, out);
      break;
    case EPR_Sint32:
      AppendAs<Sint32>(data, count, slope, intercept, out);
      break;
  }
  return Status::Ok();
}

std::string Describe(E_TransferSyntax syntax) {
  const DcmXfer xfer(syntax);
  return fmt::format("{} ({})", xfer.getXferName(), xfer.getXferID());
}

// 32-bit pixels stored big endian with the VR OW: DCMTK swaps the bytes of
// each 16-bit word, which leaves the two words of every value in big-endian
// order; put them back in the machine's order.
void FixBigEndianWords(DcmDataset& dataset, E_TransferSyntax syntax) {
  Uint16 bits_allocated = 0;
  if (std::endian::native != std::endian::little || syntax != EXS_BigEndianExplicit ||
      dataset.findAndGetUint16(DCM_BitsAllocated, bits_allocated).bad() || bits_allocated != 32) {
    return;
  }
  DcmElement* element = nullptr;
  Uint16* words = nullptr;
  if (dataset.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr ||
      element->getVR() != EVR_OW || element->getUint16Array(words).bad() || words == nullptr) {
    return;
  }
  const std::size_t count = element->getLength() / 2;
  for (std::size_t i = 0; i + 1 < count; i += 2) std::swap(words[i], words[i + 1]);
}

}  // namespace

Result<PixelImage> LoadDicomPixels(const std::string& path, PixelValues kind) {
  RegisterDecoders();
  DcmFileFormat file;
  if (OFCondition loaded = file.loadFile(OFFilename(path.c_str())); loaded.bad()) {
    return InvalidInput(fmt::format("{}: cannot read: {}", path, loaded.text()));
  }
  DcmDataset* dataset = file.getDataset();
  if (!dataset->tagExistsWithValue(DCM_PixelData)) {
    return InvalidInput(fmt::format("{}: no pixel data", path));
  }
  PixelImage image;
  const E_TransferSyntax syntax = dataset->getOriginalXfer();
  image.transfer_syntax_uid = DcmXfer(syntax).getXferID();
  if (IsJpeg2000(syntax)) {
    ASSAY_RETURN_IF_ERROR(DecodeJpeg2000PixelData(*dataset, path));
  } else if (OFCondition decoded = dataset->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
             decoded.bad() || !dataset->canWriteXfer(EXS_LittleEndianExplicit)) {
    return InvalidInput(fmt::format("{}: pixel data in {} cannot be decoded: {}", path,
                                    Describe(syntax), decoded.bad() ? decoded.text() : "no codec"));
  }
  FixBigEndianWords(*dataset, syntax);
  OFString photometric;
  (void)dataset->findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  image.photometric = photometric.c_str();

  Float64 slope = 1.0;
  Float64 intercept = 0.0;
  const bool has_lut = dataset->tagExists(DCM_ModalityLUTSequence);
  if (dataset->findAndGetFloat64(DCM_RescaleSlope, slope).bad()) slope = 1.0;
  if (dataset->findAndGetFloat64(DCM_RescaleIntercept, intercept).bad()) intercept = 0.0;

  // The modality rescale is applied here in double precision; DCMTK's own
  // transform rounds to integers. A Modality LUT is applied by DCMTK.
  const unsigned long flags =
      kind == PixelValues::kModality && !has_lut ? CIF_IgnoreModalityTransformation : 0UL;
  // Native data sets keep their own transfer syntax; decoded ones are now explicit little endian.
  const E_TransferSyntax native =
      DcmXfer(syntax).isEncapsulated() || IsJpeg2000(syntax) ? EXS_LittleEndianExplicit : syntax;
  DicomImage decoded(dataset, native, flags);
  if (decoded.getStatus() != EIS_Normal) {
    return InvalidInput(fmt::format("{}: cannot decode the image: {}", path,
                                    DicomImage::getString(decoded.getStatus())));
  }
  image.rows = decoded.getHeight();
  image.columns = decoded.getWidth();
  image.frames = decoded.getFrameCount();
  const std::size_t pixels = image.rows * image.columns;

  if (decoded.isMonochrome()) {
    image.samples = 1;
    image.values.reserve(pixels * image.frames);
    if (kind == PixelValues::kModality) {
      const DiPixel* inter = decoded.getInterData();
      if (inter == nullptr || inter->getCount() < pixels * image.frames) {
        return InvalidInput(
            fmt::format("{}: pixel data shorter than Rows x Columns x frames", path));
      }
      ASSAY_RETURN_IF_ERROR(AppendInterData(*inter, pixels * image.frames, has_lut ? 1.0 : slope,
                                            has_lut ? 0.0 : intercept, image.values));
      return image;
    }
    for (unsigned long frame = 0; frame < image.frames; ++frame) {
      if (decoded.getWindowCount() > 0) {
        decoded.setWindow(0);
      } else {
        decoded.setMinMaxWindow(0);
      }
      const auto* output = static_cast<const Uint16*>(decoded.getOutputData(16, frame));
      if (output == nullptr) {
        return InvalidInput(fmt::format("{}: frame {} cannot be rendered", path, frame + 1));
      }
      for (std::size_t i = 0; i < pixels; ++i) {
        image.values.push_back(static_cast<float>(output[i] / 65535.0));
      }
    }
    return image;
  }

  // Colour: RGB, interleaved, at the stored bit depth (so that modality values
  // are the stored ones); display values scale that range to [0, 1].
  image.samples = 3;
  Uint16 bits_stored = 8;
  (void)dataset->findAndGetUint16(DCM_BitsStored, bits_stored);
  const int bits = bits_stored <= 8 ? 8 : bits_stored <= 16 ? 16 : 32;
  const double scale = kind == PixelValues::kDisplay ? 1.0 / (std::ldexp(1.0, bits) - 1.0) : 1.0;
  image.values.reserve(pixels * 3 * image.frames);
  for (unsigned long frame = 0; frame < image.frames; ++frame) {
    const void* output = decoded.getOutputData(bits, frame, 0);
    if (output == nullptr) {
      return InvalidInput(fmt::format("{}: frame {} cannot be rendered", path, frame + 1));
    }
    for (std::size_t i = 0; i < pixels * 3; ++i) {
      const double value = bits == 8    ? static_cast<const Uint8*>(output)[i]
                           : bits == 16 ? static_cast<const Uint16*>(output)[i]
                                        : static_cast<const Uint32*>(output)[i];
      image.values.push_back(static_cast<float>(value * scale));
    }
  }
  return image;
}

}  // namespace assay::io

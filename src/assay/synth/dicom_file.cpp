#include "assay/synth/dicom_file.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK's headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>
#include <fmt/format.h>

#include <mutex>
#include <utility>
#include <vector>

namespace assay::synth {
namespace {

// A decimal string (DS) of at most 16 characters.
std::string Decimal(double value) { return fmt::format("{:.6g}", value); }

// The attributes of the case, in the order they are put (DCMTK sorts by tag).
std::vector<std::pair<DcmTagKey, std::string>> Attributes(const CohortConfig& config,
                                                          const CasePlan& plan) {
  const SiteConfig& site = config.sites[plan.site];
  const ScannerConfig& scanner = site.scanners[plan.scanner];
  const std::string spacing = Decimal(scanner.pixel_spacing);
  std::vector<std::pair<DcmTagKey, std::string>> attributes = {
      {DCM_SOPClassUID, kDigitalXRayStorage},
      {DCM_SOPInstanceUID, plan.instance_uid},
      {DCM_StudyInstanceUID, plan.study_uid},
      {DCM_SeriesInstanceUID, plan.series_uid},
      {DCM_ImageType, "ORIGINAL\\PRIMARY"},
      {DCM_StudyDate, config.study_date},
      {DCM_SeriesDate, config.study_date},
      {DCM_ContentDate, config.study_date},
      {DCM_StudyTime, "090000"},
      {DCM_ContentTime, "090000"},
      {DCM_AccessionNumber, ""},
      {DCM_Modality, "DX"},
      {DCM_PresentationIntentType, "FOR PRESENTATION"},
      {DCM_Manufacturer, scanner.vendor},
      {DCM_InstitutionName, site.institution},
      {DCM_ReferringPhysicianName, ""},
      {DCM_StudyDescription, "SYNTHETIC CHEST"},
      {DCM_PatientName, ""},
      {DCM_PatientID, plan.patient_id},
      {DCM_PatientBirthDate, ""},
      {DCM_BodyPartExamined, "CHEST"},
      {DCM_StudyID, ""},
      {DCM_SeriesNumber, "1"},
      {DCM_InstanceNumber, "1"},
      {DCM_PatientOrientation, ""},
      {DCM_ImagerPixelSpacing, spacing + "\\" + spacing},
      {DCM_PixelSpacing, spacing + "\\" + spacing},
      {DCM_PhotometricInterpretation, "MONOCHROME2"},
      {DCM_PixelIntensityRelationship, "LOG"},
      {DCM_RescaleIntercept, "0"},
      {DCM_RescaleSlope, "1"},
      {DCM_RescaleType, "US"},
      {DCM_WindowCenter, Decimal(kDetectorLevel)},
      {DCM_WindowWidth, Decimal(2.0 * kDetectorScale * scanner.contrast)},
      {DCM_BurnedInAnnotation, "NO"},
  };
  // The attributes missing_metadata may leave out (kOptionalAttributes' order).
  const std::pair<DcmTagKey, std::string> optional[] = {
      {DCM_PatientAge, fmt::format("{:03}Y", plan.age)},
      {DCM_PatientSex, std::string(1, plan.sex)},
      {DCM_KVP, Decimal(scanner.kvp)},
      {DCM_ManufacturerModelName, scanner.model},
  };
  for (std::size_t i = 0; i < plan.missing.size(); ++i) {
    if (!plan.missing[i]) attributes.push_back(optional[i]);
  }
  return attributes;
}

Status PutImage(DcmDataset& dataset, const Phantom& phantom) {
  const auto size = static_cast<Uint16>(phantom.size);
  OFCondition status = dataset.putAndInsertUint16(DCM_Rows, size);
  if (status.good()) status = dataset.putAndInsertUint16(DCM_Columns, size);
  if (status.good()) status = dataset.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  if (status.good()) status = dataset.putAndInsertUint16(DCM_BitsAllocated, 16);
  if (status.good()) status = dataset.putAndInsertUint16(DCM_BitsStored, 12);
  if (status.good()) status = dataset.putAndInsertUint16(DCM_HighBit, 11);
  if (status.good()) status = dataset.putAndInsertUint16(DCM_PixelRepresentation, 0);
  if (status.good()) {
    status = dataset.putAndInsertUint16Array(DCM_PixelData, phantom.pixels.data(),
                                             static_cast<unsigned long>(phantom.pixels.size()));
  }
  if (status.bad()) {
    return Status(StatusCode::kInternal,
                  fmt::format("DCMTK cannot store the image: {}", status.text()));
  }
  return Status::Ok();
}

// Writes the whole file (meta header and data set) into a string.
Result<std::string> Encode(DcmFileFormat& file) {
  constexpr E_TransferSyntax kSyntax = EXS_LittleEndianExplicit;
  std::vector<char> chunk(1 << 16);
  DcmOutputBufferStream stream(chunk.data(), static_cast<offile_off_t>(chunk.size()));
  std::string bytes;
  file.transferInit();
  OFCondition status;
  do {
    status = file.write(stream, kSyntax, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_noChange, 0,
                        0, 0, EWM_createNewMeta);
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    bytes.append(static_cast<const char*>(data), static_cast<std::size_t>(length));
  } while (status == EC_StreamNotifyClient);
  file.transferEnd();
  if (status.bad()) {
    return Status(StatusCode::kInternal,
                  fmt::format("DCMTK cannot encode the file: {}", status.text()));
  }
  return bytes;
}

}  // namespace

Result<std::string> EncodeCase(const CohortConfig& config, const CasePlan& plan,
                               const Phantom& phantom) {
  static std::once_flag once;
  std::call_once(once, [] { OFLog::configure(OFLogger::OFF_LOG_LEVEL); });
  if (!dcmDataDict.isDictionaryLoaded()) {
    return IoError(
        "DCMTK's data dictionary is not loaded (is the dcmtk data package installed, or "
        "DCMDICTPATH set?)");
  }
  DcmFileFormat file;
  DcmDataset& dataset = *file.getDataset();
  for (const auto& [tag, value] : Attributes(config, plan)) {
    const OFCondition status = dataset.putAndInsertString(tag, value.c_str());
    if (status.bad()) {
      return Status(StatusCode::kInternal, fmt::format("DCMTK cannot store {}: {}",
                                                       DcmTag(tag).getTagName(), status.text()));
    }
  }
  ASSAY_RETURN_IF_ERROR(PutImage(dataset, phantom));
  return Encode(file);
}

std::size_t HeaderBytes(std::size_t file_bytes, const Phantom& phantom) {
  // Pixel data in explicit VR: tag (4), VR and reserved (4), length (4), then the values.
  const std::size_t pixels = phantom.pixels.size() * 2;
  return file_bytes > pixels + 12 ? file_bytes - pixels - 12 : 0;
}

}  // namespace assay::synth

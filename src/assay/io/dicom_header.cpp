#include "assay/io/dicom_header.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK's headers
//
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcobject.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace assay::io {
namespace {

// PS3.15 Annex E attributes that identify a person or lead to one directly
// (person names are refused by their value representation as well).
constexpr std::array<std::string_view, 40> kIdentifyingKeywords = {
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientInsurancePlanCodeSequence",
    "PatientComments",
    "MedicalRecordLocator",
    "MilitaryRank",
    "BranchOfService",
    "CountryOfResidence",
    "RegionOfResidence",
    "AccessionNumber",
    "StudyID",
    "ReferringPhysicianName",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansOfRecord",
    "RequestingPhysician",
    "OperatorsName",
    "ResponsiblePerson",
    "PersonName",
    "ContentCreatorName",
    "InstitutionAddress",
    "DeviceSerialNumber",
    "AdmissionID",
    "PerformedProcedureStepID",
    "ScheduledProcedureStepID",
    "RequestedProcedureID",
    "PatientReligiousPreference",
    "PatientState",
};

// Once per process: DCMTK's logger is silenced (the scan reports failures
// itself), and elements written with the unknown VR "UN" are read with their
// dictionary VR, as pydicom and the standard (PS3.5 6.2.2) allow.
void ConfigureDcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    dcmEnableUnknownVRConversion.set(OFTrue);
  });
}

std::optional<std::uint16_t> ParseHex16(std::string_view text) {
  if (text.size() != 4) return std::nullopt;
  std::uint16_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<DicomAttribute> ResolveOne(const std::string& name) {
  DcmTagKey key;
  if (!name.empty() && name.front() == '(') {
    // "(gggg,eeee)"
    if (name.size() != 11 || name[5] != ',' || name.back() != ')') {
      return InvalidInput(fmt::format("DICOM tag '{}': write a tag as (gggg,eeee) in hex", name));
    }
    auto group = ParseHex16(std::string_view(name).substr(1, 4));
    auto element = ParseHex16(std::string_view(name).substr(6, 4));
    if (!group || !element) {
      return InvalidInput(fmt::format("DICOM tag '{}': write a tag as (gggg,eeee) in hex", name));
    }
    key = DcmTagKey(*group, *element);
  } else {
    DcmTag found;
    if (DcmTag::findTagFromName(name.c_str(), found).bad()) {
      return InvalidInput(fmt::format(
          "DICOM attribute '{}': not a keyword of the DICOM data dictionary (name a tag as "
          "(gggg,eeee) instead)",
          name));
    }
    key = found;
  }
  DcmTag tag(key);
  const std::string keyword = tag.getTagName() ? tag.getTagName() : "";
  if (IsIdentifyingDicomAttribute(keyword) || tag.getEVR() == EVR_PN) {
    return InvalidInput(fmt::format(
        "DICOM attribute '{}' ({}) identifies a person; assay never writes it out (patients are "
        "linked by pseudonym)",
        name, keyword.empty() ? name : keyword));
  }
  std::string label = keyword;
  if (label.empty() || label == DcmTag_ERROR_TagName) {
    label = fmt::format("({:04x},{:04x})", key.getGroup(), key.getElement());
  }
  return DicomAttribute{label, key.getGroup(), key.getElement()};
}

std::optional<std::string> Text(DcmItem& item, const DcmTagKey& key) {
  OFString value;
  if (item.findAndGetOFStringArray(key, value, OFFalse).bad()) return std::nullopt;
  std::string text(value.c_str(), value.length());
  // Trailing padding (space, NUL) is not part of the value (PS3.5 6.2).
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(text.begin());
  return text;
}

bool HasPreamble(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 132> head{};
  if (!in.read(head.data(), head.size())) return false;
  return std::string_view(head.data() + 128, 4) == "DICM";
}

// A data set without a Part 10 header starts with a group-0008 tag in either byte order.
bool LooksLikeRawDataset(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 2> head{};
  if (!in.read(reinterpret_cast<char*>(head.data()), head.size())) return false;
  return (head[0] == 0x08 && head[1] == 0x00) || (head[0] == 0x00 && head[1] == 0x08);
}

// An upper bound of the nesting depth DCMTK would recurse to: the number of
// sequence item tags (FFFE,E000), in either byte order, before the first pixel
// data tag. Counting stops once it passes `limit`.
std::size_t CountItemTags(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string block(std::size_t{1} << 16, '\0');
  std::string carry;
  std::size_t count = 0;
  while (in && count <= limit) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const std::string text = carry + block.substr(0, static_cast<std::size_t>(in.gcount()));
    std::size_t end = text.size();
    for (std::string_view pixel_tag :
         {std::string_view("\xE0\x7F\x10\x00", 4), std::string_view("\x7F\xE0\x00\x10", 4)}) {
      end = std::min(end, text.find(pixel_tag));
    }
    for (std::string_view item_tag :
         {std::string_view("\xFE\xFF\x00\xE0", 4), std::string_view("\xFF\xFE\xE0\x00", 4)}) {
      for (std::size_t at = text.find(item_tag); at < end; at = text.find(item_tag, at + 4)) {
        if (at + 4 > carry.size()) ++count;  // not counted in the previous block
      }
    }
    if (end != text.size()) break;
    carry = text.substr(text.size() - std::min<std::size_t>(3, text.size()));
  }
  return count;
}

DicomReadFailure Failure(DicomFailureReason reason, std::string message) {
  return DicomReadFailure{reason, std::move(message)};
}

}  // namespace

const std::vector<std::string>& StandardDicomKeywords() {
  static const std::vector<std::string> keywords = {
      "SOPClassUID",
      "SOPInstanceUID",
      "SeriesInstanceUID",
      "StudyInstanceUID",
      "Modality",
      "Manufacturer",
      "ManufacturerModelName",
      "SoftwareVersions",
      "InstitutionName",
      "StationName",
      "BodyPartExamined",
      "ProtocolName",
      "SeriesDescription",
      "KVP",
      "SliceThickness",
      "PixelSpacing",
      "Rows",
      "Columns",
      "BitsStored",
      "PhotometricInterpretation",
      "MagneticFieldStrength",
      "ConvolutionKernel",
      "ContrastBolusAgent",
      "ViewPosition",
      "PatientAge",
      "PatientSex",
      "StudyDate",
  };
  return keywords;
}

bool IsIdentifyingDicomAttribute(std::string_view keyword) {
  return std::find(kIdentifyingKeywords.begin(), kIdentifyingKeywords.end(), keyword) !=
         kIdentifyingKeywords.end();
}

Result<std::vector<DicomAttribute>> ResolveDicomAttributes(const std::vector<std::string>& names) {
  ConfigureDcmtk();
  if (!dcmDataDict.isDictionaryLoaded()) {
    return IoError(
        "DCMTK's data dictionary is not loaded (is the dcmtk data package installed, or "
        "DCMDICTPATH set?)");
  }
  std::vector<DicomAttribute> attributes;
  attributes.reserve(names.size());
  for (const auto& name : names) {
    auto attribute = ResolveOne(name);
    if (!attribute.ok()) return attribute.status();
    attributes.push_back(std::move(attribute).value());
  }
  return attributes;
}

std::string_view DicomFailureCode(DicomFailureReason reason) {
  switch (reason) {
    case DicomFailureReason::kCannotOpen:
      return "cannot_open";
    case DicomFailureReason::kEmpty:
      return "empty_file";
    case DicomFailureReason::kNotDicom:
      return "not_dicom";
    case DicomFailureReason::kTruncated:
      return "truncated";
    case DicomFailureReason::kMalformed:
      return "malformed";
  }
  return "malformed";
}

DicomHeaderOutcome ReadDicomHeader(const std::string& path,
                                   const std::vector<DicomAttribute>& attributes) {
  ConfigureDcmtk();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Failure(DicomFailureReason::kCannotOpen, "not a regular file");
  }
  const auto size = std::filesystem::file_size(path, error);
  if (error) return Failure(DicomFailureReason::kCannotOpen, error.message());
  if (size == 0) return Failure(DicomFailureReason::kEmpty, "the file is empty");

  const bool preamble = HasPreamble(path);
  if (CountItemTags(path, kMaxSequenceItems) > kMaxSequenceItems) {
    return Failure(DicomFailureReason::kMalformed,
                   fmt::format("more than {} sequence items before the pixel data; assay does not "
                               "parse nesting that deep",
                               kMaxSequenceItems));
  }
  DcmFileFormat file;
  const OFCondition loaded =
      file.loadFileUntilTag(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                            ERM_autoDetect, DCM_PixelData);
  if (loaded.bad()) {
    if (!preamble && !LooksLikeRawDataset(path)) {
      return Failure(DicomFailureReason::kNotDicom,
                     "no DICOM preamble and no data set at the start of the file");
    }
    const std::string text = loaded.text();
    const bool truncated = loaded == EC_StreamNotifyClient || loaded == EC_EndOfStream ||
                           text.find("end of stream") != std::string::npos ||
                           text.find("Premature") != std::string::npos;
    return Failure(truncated ? DicomFailureReason::kTruncated : DicomFailureReason::kMalformed,
                   text);
  }
  DcmDataset* dataset = file.getDataset();
  if (dataset == nullptr) return Failure(DicomFailureReason::kMalformed, "no data set");
  if (!preamble && !dataset->tagExists(DCM_SOPClassUID) &&
      !dataset->tagExists(DCM_SOPInstanceUID)) {
    return Failure(DicomFailureReason::kNotDicom,
                   "no DICOM preamble and no SOP Class or SOP Instance UID");
  }
  // Values are written as UTF-8; a data set in another character set is
  // converted where DCMTK's character set support allows it.
  OFString charset;
  if (dataset->findAndGetOFStringArray(DCM_SpecificCharacterSet, charset).good() &&
      !charset.empty() && charset != "ISO_IR 192") {
    (void)dataset->convertToUTF8();  // left as stored when the conversion is unavailable
  }

  DicomHeader header;
  header.has_preamble = preamble;
  header.values.reserve(attributes.size());
  for (const auto& attribute : attributes) {
    header.values.push_back(Text(*dataset, DcmTagKey(attribute.group, attribute.element)));
  }
  OFString syntax;
  if (file.getMetaInfo() != nullptr &&
      file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, syntax).good() &&
      !syntax.empty()) {
    header.transfer_syntax_uid = syntax.c_str();
  } else {
    header.transfer_syntax_uid = DcmXfer(dataset->getOriginalXfer()).getXferID();
  }
  while (!header.transfer_syntax_uid.empty() &&
         (header.transfer_syntax_uid.back() == '\0' || header.transfer_syntax_uid.back() == ' ')) {
    header.transfer_syntax_uid.pop_back();
  }
  header.patient_id = Text(*dataset, DCM_PatientID);
  header.accession_number = Text(*dataset, DCM_AccessionNumber);
  return header;
}

}  // namespace assay::io

#include "assay/io/dicom_header.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK's headers
//
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcobject.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
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

std::optional<std::string> Text(DcmElement& element) {
  if (!element.isLeaf()) return std::nullopt;
  std::string text;
  char* raw = nullptr;
  Uint32 length = 0;
  if (element.isaString() && element.getString(raw, length).good()) {
    // Text VRs: the stored value, several values already joined by '\'.
    if (raw != nullptr) text.assign(raw, length);
  } else {
    OFString value;
    if (element.getOFStringArray(value).bad()) return std::nullopt;
    text.assign(value.c_str(), value.length());
  }
  // Trailing padding (space, NUL) is not part of the value (PS3.5 6.2).
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(text.begin());
  return text;
}

// What one pass over the start of a file tells before DCMTK reads it.
struct FileStart {
  bool opened = false;
  bool preamble = false;     // "DICM" at offset 128 (a Part 10 file)
  bool raw_dataset = false;  // starts with a group-0008 tag in either byte order
  // An upper bound of the nesting depth DCMTK would recurse to: the number of
  // sequence item tags (FFFE,E000), in either byte order, before the first
  // pixel data tag; counting stops once it passes the limit.
  std::size_t item_tags = 0;
  // The bytes read, up to the block holding the first pixel data tag (or the
  // whole file), so that DCMTK can parse the header from memory; empty when
  // the header is longer than kMemoryHeaderBytes.
  std::string bytes;
  bool pixel_tag_seen = false;
  bool whole_file = false;
  std::string open_error;  // why the file could not be opened (opened is false)
  std::string read_error;  // why reading stopped early
};

constexpr std::size_t kMemoryHeaderBytes = std::size_t{4} << 20;

// Closes a POSIX file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads with POSIX calls rather than a stream: one open and no locale set-up
// per file (a scan opens tens of thousands).
FileStart ReadFileStart(const std::string& path, std::size_t item_limit) {
  FileStart start;
  // Non-blocking, so that opening a FIFO does not wait for a writer; fstat then tells its type.
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.get() < 0) {
    start.open_error = std::strerror(errno);
    return start;
  }
  struct stat status {};
  if (::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
    start.open_error = "not a regular file";
    return start;
  }
  start.opened = true;
  // Most headers end within the first 4 KiB; longer ones are read on in 64 KiB blocks.
  constexpr std::size_t kFirstBlock = std::size_t{1} << 12;
  constexpr std::size_t kNextBlock = std::size_t{1} << 16;
  constexpr std::string_view kPixelTags[] = {std::string_view("\xE0\x7F\x10\x00", 4),
                                             std::string_view("\x7F\xE0\x00\x10", 4)};
  constexpr std::string_view kItemTags[] = {std::string_view("\xFE\xFF\x00\xE0", 4),
                                            std::string_view("\xFF\xFE\xE0\x00", 4)};
  std::string& bytes = start.bytes;
  std::size_t searched = 0;  // bytes before this offset were searched (a tag may straddle it)
  bool keep = true;          // bytes are kept while they fit in kMemoryHeaderBytes
  bool at_end = false;
  while (!at_end && start.item_tags <= item_limit) {
    const std::size_t before = bytes.size();
    const std::size_t block = before == 0 ? kFirstBlock : kNextBlock;
    bytes.resize(before + block);
    std::size_t filled = 0;
    while (filled < block) {
      const ssize_t got = ::read(file.get(), bytes.data() + before + filled, block - filled);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        at_end = got == 0;
        if (got < 0) start.read_error = std::strerror(errno);
        break;
      }
      filled += static_cast<std::size_t>(got);
    }
    bytes.resize(before + filled);
    if (!start.read_error.empty()) break;
    if (before == 0) {
      start.preamble = bytes.size() >= 132 && bytes.compare(128, 4, "DICM") == 0;
      start.raw_dataset = bytes.size() >= 2 && ((bytes[0] == 0x08 && bytes[1] == 0x00) ||
                                                (bytes[0] == 0x00 && bytes[1] == 0x08));
    }
    const std::string_view text(bytes);
    std::size_t end = text.size();
    for (std::string_view tag : kPixelTags) end = std::min(end, text.find(tag, searched));
    for (std::string_view tag : kItemTags) {
      for (std::size_t at = text.find(tag, searched); at < end; at = text.find(tag, at + 4)) {
        ++start.item_tags;
      }
    }
    if (end != text.size()) {
      start.pixel_tag_seen = true;
      break;
    }
    searched = bytes.size() >= 3 ? bytes.size() - 3 : 0;
    if (keep && bytes.size() > kMemoryHeaderBytes) keep = false;
    if (!keep) {  // keep only the last three bytes, for a tag across blocks
      bytes.erase(0, searched);
      searched = 0;
    }
  }
  start.whole_file = at_end;
  if (!keep) bytes.clear();
  return start;
}

// Reads the header from the bytes already in memory when they hold all of
// it, otherwise from the file.
OFCondition LoadHeader(DcmFileFormat& file, const std::string& path, const FileStart& start,
                       const DcmTagKey& stop) {
  if (!start.bytes.empty() && (start.pixel_tag_seen || start.whole_file)) {
    DcmInputBufferStream stream;
    stream.setBuffer(start.bytes.data(), static_cast<offile_off_t>(start.bytes.size()));
    stream.setEos();
    file.transferInit();
    const OFCondition read =
        file.readUntilTag(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, stop);
    file.transferEnd();
    // The pixel tag seen may have been bytes inside a value; then the file decides.
    if (read.good() || start.whole_file) return read;
    (void)file.clear();
  }
  return file.loadFileUntilTag(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange,
                               DCM_MaxReadLength, ERM_autoDetect, stop);
}

// Where parsing can stop: just after the last attribute wanted (the data set is
// in tag order), and never later than the pixel data.
DcmTagKey StopTag(const std::vector<DicomAttribute>& attributes) {
  DcmTagKey last = DCM_AccessionNumber;
  for (const DcmTagKey& key : {DCM_PatientID, DCM_SOPInstanceUID, DCM_SOPClassUID}) {
    if (last < key) last = key;
  }
  for (const auto& attribute : attributes) {
    const DcmTagKey key(attribute.group, attribute.element);
    if (last < key) last = key;
  }
  const DcmTagKey next =
      last.getElement() == 0xFFFF
          ? DcmTagKey(static_cast<Uint16>(last.getGroup() + 1), 0)
          : DcmTagKey(last.getGroup(), static_cast<Uint16>(last.getElement() + 1));
  return DCM_PixelData < next ? DCM_PixelData : next;
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
    case DicomFailureReason::kNoInstance:
      return "no_instance";
  }
  return "malformed";
}

DicomHeaderOutcome ReadDicomHeader(const std::string& path,
                                   const std::vector<DicomAttribute>& attributes) {
  ConfigureDcmtk();
  const FileStart start = ReadFileStart(path, kMaxSequenceItems);
  if (!start.opened) return Failure(DicomFailureReason::kCannotOpen, start.open_error);
  if (!start.read_error.empty()) return Failure(DicomFailureReason::kCannotOpen, start.read_error);
  if (start.whole_file && start.bytes.empty()) {
    return Failure(DicomFailureReason::kEmpty, "the file is empty");
  }
  const bool preamble = start.preamble;
  if (start.item_tags > kMaxSequenceItems) {
    return Failure(DicomFailureReason::kMalformed,
                   fmt::format("more than {} sequence items before the pixel data; assay does not "
                               "parse nesting that deep",
                               kMaxSequenceItems));
  }
  DcmFileFormat file;
  const OFCondition loaded = LoadHeader(file, path, start, StopTag(attributes));
  if (loaded.bad()) {
    if (!preamble && !start.raw_dataset) {
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
  if (!dataset->tagExists(DCM_SOPClassUID) && !dataset->tagExists(DCM_SOPInstanceUID)) {
    if (!preamble) {
      return Failure(DicomFailureReason::kNotDicom,
                     "no DICOM preamble and no SOP Class or SOP Instance UID");
    }
    // Parsing stops after the last attribute wanted, so damage early in the data set can
    // end it quietly; without the SOP UIDs there is no instance to account for.
    return Failure(DicomFailureReason::kNoInstance,
                   "the data set holds no SOP Class or SOP Instance UID (a DICOMDIR, or a "
                   "file damaged early in its data set)");
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
  header.values.resize(attributes.size());
  // One walk over the data set's top-level elements (kept in tag order by
  // DCMTK) instead of one search per attribute.
  std::vector<std::pair<DcmTagKey, std::size_t>> wanted;
  wanted.reserve(attributes.size() + 2);
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    wanted.emplace_back(DcmTagKey(attributes[i].group, attributes[i].element), i);
  }
  constexpr std::size_t kPatientId = ~std::size_t{0};
  constexpr std::size_t kAccession = ~std::size_t{0} - 1;
  wanted.emplace_back(DCM_PatientID, kPatientId);
  wanted.emplace_back(DCM_AccessionNumber, kAccession);
  std::sort(wanted.begin(), wanted.end());
  for (DcmObject* object = dataset->nextInContainer(nullptr); object != nullptr;
       object = dataset->nextInContainer(object)) {
    const DcmTagKey key = object->getTag().getXTag();
    auto [first, last] =
        std::equal_range(wanted.begin(), wanted.end(), std::make_pair(key, std::size_t{0}),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto it = first; it != last; ++it) {
      auto text = Text(*static_cast<DcmElement*>(object));
      if (it->second == kPatientId) {
        header.patient_id = std::move(text);
      } else if (it->second == kAccession) {
        header.accession_number = std::move(text);
      } else {
        header.values[it->second] = std::move(text);
      }
    }
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
  return header;
}

}  // namespace assay::io

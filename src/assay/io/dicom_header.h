// Reading DICOM headers with DCMTK, stopping before the pixel data.
//
// A DicomHeader holds the text of the attributes the caller asked for (by
// keyword such as "Manufacturer", or by tag "(0018,0050)"), the transfer
// syntax, and the patient id and accession number kept apart so that callers
// can pseudonymise them and never write them out. A file that cannot be read
// is not an error of the caller: ReadDicomHeader returns a DicomReadFailure
// with a reason code and DCMTK's message, so that a scan accounts for it.
// Thread-safe: each call reads its own file.
//
//   auto attributes = ResolveDicomAttributes({"Manufacturer", "(0018,0050)"});
//   DicomHeaderOutcome outcome = ReadDicomHeader("a/b.dcm", *attributes);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "assay/core/status.h"

namespace assay::io {

// One attribute to extract: its keyword (or "(gggg,eeee)" when the data
// dictionary has none) and its tag.
struct DicomAttribute {
  std::string name;
  std::uint16_t group = 0;
  std::uint16_t element = 0;
};

// The attributes every scan extracts, in inventory order (UIDs, acquisition,
// patient age and sex, dates, image geometry).
const std::vector<std::string>& StandardDicomKeywords();

// Resolves keywords and "(gggg,eeee)" tags against DCMTK's data dictionary.
// Refuses, naming it, an unknown keyword, a malformed tag, and any attribute
// that identifies a person (PS3.15 Annex E direct identifiers, and every
// attribute whose value representation is a person name).
Result<std::vector<DicomAttribute>> ResolveDicomAttributes(const std::vector<std::string>& names);

// True when `name` (a keyword) is an attribute assay never writes out.
bool IsIdentifyingDicomAttribute(std::string_view keyword);

struct DicomHeader {
  // One entry per requested attribute; multiple values joined by '\' as in
  // the DICOM encoding; nullopt when the attribute is absent.
  std::vector<std::optional<std::string>> values;
  std::string transfer_syntax_uid;
  bool has_preamble = false;  // "DICM" at offset 128 (a Part 10 file)
  // Kept for pseudonyms only; never to be written out.
  std::optional<std::string> patient_id;
  std::optional<std::string> accession_number;
};

// Why a file could not be read.
enum class DicomFailureReason {
  kCannotOpen,  // missing, unreadable, a directory
  kEmpty,       // zero bytes
  kNotDicom,    // neither a Part 10 file nor a data set with SOP attributes
  kTruncated,   // the stream ended inside an element
  kMalformed,   // DCMTK refused the encoding (bad lengths, bad VR, nesting too deep)
  kNoInstance,  // a DICOM file whose data set has no SOP UIDs (a DICOMDIR, early damage)
};

// The reason code as written in inventories and case flows ("not_dicom", ...).
std::string_view DicomFailureCode(DicomFailureReason reason);

struct DicomReadFailure {
  DicomFailureReason reason = DicomFailureReason::kMalformed;
  std::string message;  // DCMTK's words, for the reader of the audit
};

using DicomHeaderOutcome = std::variant<DicomHeader, DicomReadFailure>;

// DCMTK parses nested sequences recursively. A file with more sequence items
// than this before its pixel data is refused as malformed, so that the
// recursion stays within a kLargeStackBytes stack (about 2 KB a level, more
// under sanitizers); real headers, enhanced multi-frame ones included, hold
// far fewer.
inline constexpr std::size_t kMaxSequenceItems = 50000;

// Reads the header of the file at `path`, never its pixel data. Call it on a
// thread with a large stack (RunWithLargeStack, assay/core/large_stack.h).
DicomHeaderOutcome ReadDicomHeader(const std::string& path,
                                   const std::vector<DicomAttribute>& attributes);

}  // namespace assay::io

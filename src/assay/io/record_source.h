// Streaming readers of case tables: CSV (RFC 4180) and JSON Lines.
//
// A RecordSource yields, record by record, the values of the columns the
// caller asked for, with the line each record starts on, so that every error
// can name file, line and column. Values are text; a null or absent value is
// std::nullopt. Readers stream: memory does not grow with the file.
// Not thread-safe; one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assay/core/status.h"

namespace assay::io {

class RecordSource {
 public:
  virtual ~RecordSource() = default;

  // Reads the next record. Returns false at end of input, an error naming the
  // line for malformed input (unbalanced quotes, wrong field count, bad JSON).
  virtual Result<bool> Next() = 0;

  // Value of the i-th requested column in the current record.
  virtual std::optional<std::string_view> Value(std::size_t column) const = 0;

  // First line of the current record (1-based, header included for CSV).
  virtual std::uint64_t line() const = 0;

  const std::string& path() const { return path_; }

 protected:
  explicit RecordSource(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

// Opens `path` and resolves `columns` against its header (CSV) or its first
// record (JSON Lines). The format follows the extension: `.jsonl`/`.ndjson`
// are JSON Lines, anything else CSV. Fails when the file cannot be read, is
// empty, or lacks one of the columns (the message lists the columns found).
Result<std::unique_ptr<RecordSource>> OpenRecordSource(const std::string& path,
                                                       const std::vector<std::string>& columns);

}  // namespace assay::io

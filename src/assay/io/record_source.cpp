#include "assay/io/record_source.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace assay::io {
namespace {

constexpr std::size_t kBlockSize = 1 << 20;

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += "'" + name + "'";
  }
  return joined;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Reads a file in blocks and hands out bytes one at a time.
class ByteStream {
 public:
  explicit ByteStream(std::ifstream file) : file_(std::move(file)) { buffer_.resize(kBlockSize); }

  // Returns the next byte or -1 at end of file.
  int Get() {
    if (position_ == filled_ && !Refill()) return -1;
    return static_cast<unsigned char>(buffer_[position_++]);
  }
  int Peek() {
    if (position_ == filled_ && !Refill()) return -1;
    return static_cast<unsigned char>(buffer_[position_]);
  }

  // Takes the bytes up to the next comma, line break or quote that are
  // already buffered (possibly none): the fast path through unquoted fields.
  std::string_view TakeOrdinaryRun() {
    const char* begin = buffer_.data() + position_;
    const char* end = buffer_.data() + filled_;
    const char* p = begin;
    while (p < end && *p != ',' && *p != '\n' && *p != '\r' && *p != '"') ++p;
    position_ += static_cast<std::size_t>(p - begin);
    return {begin, static_cast<std::size_t>(p - begin)};
  }

 private:
  bool Refill() {
    file_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    filled_ = static_cast<std::size_t>(file_.gcount());
    position_ = 0;
    return filled_ > 0;
  }

  std::ifstream file_;
  std::vector<char> buffer_;
  std::size_t position_ = 0;
  std::size_t filled_ = 0;
};

// RFC 4180 CSV; hand-written because the Debian-packaged CSV libraries do not
// report record line numbers, which every error message here needs.
class CsvSource final : public RecordSource {
 public:
  CsvSource(std::string path, std::ifstream file)
      : RecordSource(std::move(path)), bytes_(std::move(file)) {}

  Status Init(const std::vector<std::string>& columns) {
    auto has_header = ReadRecordFields();
    if (!has_header.ok()) return has_header.status();
    if (!*has_header) return InvalidInput(fmt::format("{}: the file is empty", path()));
    header_.assign(fields_.begin(), fields_.begin() + static_cast<std::ptrdiff_t>(field_count_));
    if (!header_.empty() && header_[0].starts_with("\xEF\xBB\xBF")) header_[0].erase(0, 3);

    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < header_.size(); ++i) {
      if (!index.emplace(header_[i], i).second) {
        return InvalidInput(
            fmt::format("{} line 1: column '{}' appears twice in the header", path(), header_[i]));
      }
    }
    for (const auto& column : columns) {
      auto found = index.find(column);
      if (found == index.end()) {
        return InvalidInput(fmt::format("{}: no column '{}'; the header has {}", path(), column,
                                        JoinNames(header_)));
      }
      selected_.push_back(found->second);
    }
    return Status::Ok();
  }

  Result<bool> Next() override {
    for (;;) {
      auto read = ReadRecordFields();
      if (!read.ok() || !*read) return read;
      // A blank line (one empty field) is not a record.
      if (field_count_ == 1 && fields_[0].empty() && header_.size() > 1) continue;
      if (field_count_ != header_.size()) {
        return InvalidInput(fmt::format("{} line {}: {} fields, but the header has {}", path(),
                                        record_line_, field_count_, header_.size()));
      }
      return true;
    }
  }

  std::optional<std::string_view> Value(std::size_t column) const override {
    return std::string_view(fields_[selected_[column]]);
  }

  std::uint64_t line() const override { return record_line_; }

 private:
  // Parses one record into fields_. Returns false at end of file.
  Result<bool> ReadRecordFields() {
    field_count_ = 0;
    record_line_ = next_line_;
    int c = bytes_.Get();
    if (c < 0) return false;

    std::string* field = StartField();
    for (;;) {
      if (c == '"' && field->empty() && !field_quoted_) {
        field_quoted_ = true;
        ASSAY_RETURN_IF_ERROR(ReadQuoted(*field));
        c = bytes_.Get();
        if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
          return InvalidInput(fmt::format("{} line {}: text after a closing quote in field {}",
                                          path(), next_line_, field_count_));
        }
        continue;
      }
      if (c < 0 || c == '\n' || c == '\r') {
        if (c == '\r' && bytes_.Peek() == '\n') bytes_.Get();
        if (c >= 0) ++next_line_;
        break;
      }
      if (c == ',') {
        field = StartField();
      } else {
        field->push_back(static_cast<char>(c));
      }
      field->append(bytes_.TakeOrdinaryRun());
      c = bytes_.Get();
    }
    return true;
  }

  std::string* StartField() {
    if (field_count_ == fields_.size()) fields_.emplace_back();
    std::string* field = &fields_[field_count_++];
    field->clear();
    field_quoted_ = false;
    return field;
  }

  Status ReadQuoted(std::string& field) {
    const std::uint64_t opened_on = next_line_;
    for (;;) {
      int c = bytes_.Get();
      if (c < 0) {
        return InvalidInput(
            fmt::format("{} line {}: a quoted field is never closed", path(), opened_on));
      }
      if (c == '"') {
        if (bytes_.Peek() != '"') return Status::Ok();
        bytes_.Get();
      }
      if (c == '\n') ++next_line_;
      field.push_back(static_cast<char>(c));
    }
  }

  ByteStream bytes_;
  // fields_ keeps its strings between records, so reading does not allocate
  // per field; only the first field_count_ belong to the current record.
  std::vector<std::string> fields_;
  std::size_t field_count_ = 0;
  bool field_quoted_ = false;
  std::vector<std::string> header_;
  std::vector<std::size_t> selected_;
  std::uint64_t next_line_ = 1;
  std::uint64_t record_line_ = 1;
};

class JsonLinesSource final : public RecordSource {
 public:
  JsonLinesSource(std::string path, std::ifstream file)
      : RecordSource(std::move(path)), file_(std::move(file)) {}

  Status Init(const std::vector<std::string>& columns) {
    columns_ = columns;
    values_.resize(columns.size());
    auto first = Next();
    if (!first.ok()) return first.status();
    if (!*first) return InvalidInput(fmt::format("{}: the file is empty", path()));
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (!present_[i]) {
        return InvalidInput(
            fmt::format("{} line {}: no key '{}' in the first record", path(), line_, columns[i]));
      }
    }
    replay_first_ = true;
    return Status::Ok();
  }

  Result<bool> Next() override {
    if (replay_first_) {
      replay_first_ = false;
      return true;
    }
    std::string text;
    for (;;) {
      if (!std::getline(file_, text)) return false;
      ++line_;
      if (text.find_first_not_of(" \t\r") != std::string::npos) break;
    }
    nlohmann::json record = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) {
      return InvalidInput(fmt::format("{} line {}: not a JSON object", path(), line_));
    }
    present_.assign(columns_.size(), false);
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      auto found = record.find(columns_[i]);
      values_[i].reset();
      if (found == record.end()) continue;
      present_[i] = true;
      if (found->is_null()) continue;
      if (found->is_string()) {
        values_[i] = found->get<std::string>();
      } else if (found->is_number() || found->is_boolean()) {
        values_[i] = found->dump();
      } else {
        return InvalidInput(fmt::format("{} line {}: key '{}' holds an array or object", path(),
                                        line_, columns_[i]));
      }
    }
    return true;
  }

  std::optional<std::string_view> Value(std::size_t column) const override {
    if (!values_[column]) return std::nullopt;
    return std::string_view(*values_[column]);
  }

  std::uint64_t line() const override { return line_; }

 private:
  std::ifstream file_;
  std::vector<std::string> columns_;
  std::vector<std::optional<std::string>> values_;
  std::vector<bool> present_;
  std::uint64_t line_ = 0;
  bool replay_first_ = false;
};

}  // namespace

Result<std::unique_ptr<RecordSource>> OpenRecordSource(const std::string& path,
                                                       const std::vector<std::string>& columns) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return IoError(fmt::format("{}: cannot open the file for reading", path));

  if (EndsWith(path, ".jsonl") || EndsWith(path, ".ndjson")) {
    auto source = std::make_unique<JsonLinesSource>(path, std::move(file));
    ASSAY_RETURN_IF_ERROR(source->Init(columns));
    return std::unique_ptr<RecordSource>(std::move(source));
  }
  auto source = std::make_unique<CsvSource>(path, std::move(file));
  ASSAY_RETURN_IF_ERROR(source->Init(columns));
  return std::unique_ptr<RecordSource>(std::move(source));
}

}  // namespace assay::io

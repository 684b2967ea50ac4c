#include "assay/model/predictions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_map>

#include "assay/io/csv_writer.h"
#include "assay/io/record_source.h"

namespace assay::model {

Result<ImageList> ReadImageList(const std::string& csv, const std::string& root,
                                const std::string& path_column, const std::string& key_column) {
  auto source = io::OpenRecordSource(csv, {path_column, key_column});
  if (!source.ok()) return source.status();
  const std::filesystem::path base =
      root.empty() ? std::filesystem::path(csv).parent_path() : std::filesystem::path(root);
  ImageList list;
  while (true) {
    auto more = (*source)->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const auto path = (*source)->Value(0);
    if (!path || path->empty()) {
      return InvalidInput(
          fmt::format("{} line {}: column '{}' is empty", csv, (*source)->line(), path_column));
    }
    const auto key = (*source)->Value(1);
    if (!key || key->empty()) {
      ++list.without_key;
      continue;
    }
    const std::filesystem::path listed(*path);
    ImageInput input;
    input.path = listed.is_absolute() ? listed.string() : (base / listed).string();
    input.key = std::string(*path);
    list.images.push_back(std::move(input));
    list.keys.emplace_back(*key);
  }
  // A wrong root makes every image unreadable: say so once, not per image.
  std::error_code error;
  const bool any = std::any_of(list.images.begin(), list.images.end(), [&](const ImageInput& in) {
    return std::filesystem::exists(in.path, error);
  });
  if (!list.images.empty() && !any) {
    return InvalidInput(fmt::format(
        "{}: none of its {} image paths exists under {} (an inventory's paths are relative to "
        "the folder that was scanned: give that folder as the root)",
        csv, list.images.size(), base.empty() ? std::string(".") : base.string()));
  }
  return list;
}

Result<Aggregate> ParseAggregate(const std::string& name) {
  if (name == "max") return Aggregate::kMax;
  if (name == "mean") return Aggregate::kMean;
  return InvalidInput(fmt::format("unknown aggregate '{}' (max or mean)", name));
}

namespace {

// Sums of the defined quality measures of a case's images.
struct QualitySum {
  double noise = 0, sharpness = 0;
  std::size_t noise_count = 0, sharpness_count = 0;
  void Add(const ImageQuality& q) {
    if (std::isfinite(q.noise)) {
      noise += q.noise;
      ++noise_count;
    }
    if (std::isfinite(q.sharpness)) {
      sharpness += q.sharpness;
      ++sharpness_count;
    }
  }
  ImageQuality Mean() const {
    ImageQuality q;
    if (noise_count > 0) q.noise = noise / static_cast<double>(noise_count);
    if (sharpness_count > 0) q.sharpness = sharpness / static_cast<double>(sharpness_count);
    return q;
  }
};

}  // namespace

std::vector<CasePrediction> AggregateByKey(const ImageList& list,
                                           const std::vector<ImageResult>& results,
                                           Aggregate aggregate) {
  std::vector<CasePrediction> cases;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::size_t> failures;
  std::vector<QualitySum> quality;
  for (std::size_t i = 0; i < list.images.size(); ++i) {
    auto [it, inserted] = index.try_emplace(list.keys[i], cases.size());
    if (inserted) {
      CasePrediction prediction;
      prediction.key = list.keys[i];
      prediction.ok = true;
      cases.push_back(std::move(prediction));
      failures.push_back(0);
      quality.emplace_back();
    }
    CasePrediction& prediction = cases[it->second];
    const ImageResult& result = results[i];
    ++prediction.images;
    quality[it->second].Add(result.quality);
    if (!result.error.empty()) {
      if (failures[it->second]++ == 0) prediction.detail = result.error;
      prediction.ok = false;
      continue;
    }
    const bool first = prediction.images - failures[it->second] == 1;
    if (aggregate == Aggregate::kMax) {
      prediction.score = first ? result.score : std::max(prediction.score, result.score);
    } else {
      prediction.score += result.score;
    }
    if (!result.embedding.empty()) {
      if (prediction.embedding.empty()) prediction.embedding.assign(result.embedding.size(), 0.0f);
      for (std::size_t d = 0; d < result.embedding.size(); ++d) {
        prediction.embedding[d] += result.embedding[d];
      }
    }
  }
  for (std::size_t c = 0; c < cases.size(); ++c) {
    CasePrediction& prediction = cases[c];
    prediction.quality = quality[c].Mean();
    const std::size_t scored = prediction.images - failures[c];
    if (aggregate == Aggregate::kMean && scored > 0) {
      prediction.score /= static_cast<double>(scored);
    }
    for (float& value : prediction.embedding) value /= static_cast<float>(scored);
    if (!prediction.ok && failures[c] > 1) {
      prediction.detail +=
          fmt::format(" (and {} more of the case's {} images)", failures[c] - 1, prediction.images);
    }
    if (!prediction.ok) prediction.score = 0;
  }
  return cases;
}

std::string PredictionsCsv(const std::vector<CasePrediction>& predictions,
                           const std::string& key_column, const std::string& score_column) {
  std::string csv =
      io::CsvRow({key_column, score_column, "output_status", "output_detail", "images"});
  for (const CasePrediction& p : predictions) {
    csv += io::CsvRow({p.key, p.ok ? fmt::format("{:.17g}", p.score) : "", p.ok ? "ok" : "failed",
                       p.detail, std::to_string(p.images)});
  }
  return csv;
}

std::string EmbeddingsCsv(const std::vector<CasePrediction>& predictions,
                          const std::string& key_column) {
  std::size_t dimensions = 0;
  for (const CasePrediction& p : predictions) dimensions = std::max(dimensions, p.embedding.size());
  std::vector<std::string> header{key_column};
  for (std::size_t d = 0; d < dimensions; ++d) header.push_back(fmt::format("embedding_{}", d));
  std::string csv = io::CsvRow(header);
  for (const CasePrediction& p : predictions) {
    std::vector<std::string> row{p.key};
    for (std::size_t d = 0; d < dimensions; ++d) {
      row.push_back(d < p.embedding.size() ? fmt::format("{:.9g}", p.embedding[d]) : "");
    }
    csv += io::CsvRow(row);
  }
  return csv;
}

}  // namespace assay::model

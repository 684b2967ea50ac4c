// From an image list to a predictions case table: which files to run, how
// image scores become case scores, and the CSV every analysis reads.
//
// The image list is a CSV with a path column and a key column: an inventory
// written by `assay scan` (path, SOPInstanceUID, StudyInstanceUID, ...) or any
// table of image files. Several images with one key (e.g. the views of a
// study) make one case: its score is the maximum (or mean) of theirs, and
// the case has no score when any of its images has none, with the reason.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "assay/core/status.h"
#include "assay/model/inference.h"

namespace assay::model {

struct ImageList {
  std::vector<ImageInput> images;  // path resolved, key = the path as listed
  std::vector<std::string> keys;   // the case key of each image
  std::size_t without_key = 0;     // rows whose key is empty (unreadable files)
};

// Reads `csv`. Relative paths are resolved against `root` (default: the
// CSV's folder). Errors: a missing column (the message lists those found),
// a row without a path.
Result<ImageList> ReadImageList(const std::string& csv, const std::string& root,
                                const std::string& path_column, const std::string& key_column);

enum class Aggregate { kMax, kMean };
Result<Aggregate> ParseAggregate(const std::string& name);  // max | mean

struct CasePrediction {
  std::string key;
  double score = 0;  // valid when ok
  bool ok = false;
  std::string detail;            // why there is no score
  std::size_t images = 0;        // images of the case
  std::vector<float> embedding;  // mean of the images' embeddings
  ImageQuality quality;          // mean over the images where it is defined
};

// One prediction per distinct key, in order of first appearance.
std::vector<CasePrediction> AggregateByKey(const ImageList& list,
                                           const std::vector<ImageResult>& results,
                                           Aggregate aggregate);

// CSV with columns <key_column>, <score_column>, output_status (ok | failed),
// output_detail, images; scores with 17 significant digits.
std::string PredictionsCsv(const std::vector<CasePrediction>& predictions,
                           const std::string& key_column,
                           const std::string& score_column = "score");

// CSV with columns <key_column>, embedding_0 .. embedding_{d-1}; cases without
// an embedding have empty cells.
std::string EmbeddingsCsv(const std::vector<CasePrediction>& predictions,
                          const std::string& key_column);

}  // namespace assay::model

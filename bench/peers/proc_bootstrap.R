# Peer of bench/bootstrap_bench: times R pROC's stratified bootstrap interval
# of the AUC, ci.auc(method = "bootstrap", boot.stratified = TRUE).
#
# Usage: Rscript --vanilla proc_bootstrap.R DIR REPLICATES
# Reads DIR/scores.f64 (float64) and DIR/truth.u8 (uint8, 1 = positive),
# builds the ROC curve (not timed), then times ci.auc with boot.n = REPLICATES
# and prints, as the last line of standard output, a JSON object with the AUC,
# the percentile interval, the replicates run and the wall and CPU seconds
# they took.
args <- commandArgs(trailingOnly = TRUE)
directory <- args[1]
replicates <- as.integer(args[2])
suppressMessages(library(pROC))

scores_path <- file.path(directory, "scores.f64")
truth_path <- file.path(directory, "truth.u8")
n <- file.size(truth_path)
scores <- readBin(scores_path, what = "double", n = n, size = 8)
truth <- readBin(truth_path, what = "integer", n = n, size = 1, signed = FALSE)

curve <- roc(truth, scores, levels = c(0, 1), direction = "<", quiet = TRUE)
set.seed(20240101)
timing <- system.time(
  interval <- ci.auc(curve, method = "bootstrap", boot.n = replicates, boot.stratified = TRUE,
                     conf.level = 0.95, progress = "none")
)
# ci.auc's middle value is the median of the replicates, not the AUC.
cat(sprintf(paste0('{"tool": "R pROC %s ci.auc bootstrap", "auc": %.17g, "lower": %.17g, ',
                   '"median": %.17g, "upper": %.17g, "replicates": %d, "seconds": %.6f, ',
                   '"cpu_seconds": %.6f, "cases": %d}\n'),
            as.character(packageVersion("pROC")), as.numeric(auc(curve)),
            as.numeric(interval[1]), as.numeric(interval[2]), as.numeric(interval[3]), replicates,
            timing[["elapsed"]], timing[["user.self"]] + timing[["sys.self"]], n))

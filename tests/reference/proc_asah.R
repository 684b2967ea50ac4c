# Reference values from R's pROC (Robin et al. 2011) on its aSAH data set
# (113 patients after subarachnoid haemorrhage; outcome Good/Poor).
#
# Usage: Rscript --vanilla proc_asah.R OUTDIR
# Writes OUTDIR/asah.csv (the data, so that the C++ tests analyse exactly the
# same cases) and OUTDIR/proc_asah.json (the values pROC computes on them).
# JSON is written by hand (jsonlite is not installed) with 17 significant
# digits, so every double survives the round trip exactly.
suppressPackageStartupMessages(library(pROC))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: proc_asah.R OUTDIR")
outdir <- args[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

data(aSAH)
asah <- aSAH
write.csv(asah, file.path(outdir, "asah.csv"), row.names = FALSE)

# --- a minimal JSON writer --------------------------------------------------
# NA (e.g. pROC's McClish correction of a curve below the diagonal) becomes null.
num <- function(x) {
  x <- as.numeric(x)
  stopifnot(all(is.finite(x) | is.na(x)))
  ifelse(is.na(x), "null", sprintf("%.17g", x))
}
arr <- function(x) paste0("[", paste(num(x), collapse = ","), "]")
obj <- function(...) {
  fields <- list(...)
  paste0("{", paste(sprintf("\"%s\":%s", names(fields), unlist(fields)), collapse = ","), "}")
}
objs <- function(items) paste0("[", paste(unlist(items), collapse = ","), "]")

# --- one score --------------------------------------------------------------
outcome <- asah$outcome
scores <- list(
  s100b = asah$s100b,
  ndka = asah$ndka,
  wfns = as.numeric(as.character(asah$wfns))  # ordered factor 1..5 as numbers
)
thresholds <- list(
  s100b = c(0.05, 0.1, 0.205, 0.3, 0.5, 1.0),
  ndka = c(5, 10, 11.08, 20, 50),
  wfns = c(1.5, 2, 3, 4.5, 5)
)
fit <- function(score) roc(outcome, score, levels = c("Good", "Poor"), direction = "<", quiet = TRUE)

describe <- function(name) {
  score <- scores[[name]]
  r <- fit(score)
  ci95 <- as.numeric(ci.auc(r, conf.level = 0.95, method = "delong"))
  ci90 <- as.numeric(ci.auc(r, conf.level = 0.90, method = "delong"))
  pauc_spec <- auc(r, partial.auc = c(1, 0.8), partial.auc.focus = "specificity",
                   partial.auc.correct = TRUE)
  pauc_spec_raw <- auc(r, partial.auc = c(1, 0.8), partial.auc.focus = "specificity",
                       partial.auc.correct = FALSE)
  pauc_sens <- suppressWarnings(auc(r, partial.auc = c(1, 0.9), partial.auc.focus = "sensitivity",
                                    partial.auc.correct = TRUE))
  pauc_sens_raw <- auc(r, partial.auc = c(1, 0.9), partial.auc.focus = "sensitivity",
                       partial.auc.correct = FALSE)
  at <- coords(r, thresholds[[name]], input = "threshold",
               ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  best <- coords(r, "best", best.method = "youden",
                 ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  stopifnot(nrow(best) == 1)
  coord_items <- lapply(seq_len(nrow(at)), function(i) {
    obj(threshold = num(at$threshold[i]), sensitivity = num(at$sensitivity[i]),
        specificity = num(at$specificity[i]))
  })
  # The empirical curve, end points included, from the highest threshold
  # (+Inf: nothing called positive) down to -Inf, as assay orders it.
  order_down <- order(r$thresholds, decreasing = TRUE)
  obj(
    n_positive = num(length(r$cases)),
    n_negative = num(length(r$controls)),
    auc = num(as.numeric(auc(r))),
    variance = num(var(r, method = "delong")),
    ci95 = arr(ci95[c(1, 3)]),
    ci90 = arr(ci90[c(1, 3)]),
    pauc_specificity_1_08 = num(as.numeric(pauc_spec)),
    pauc_specificity_1_08_raw = num(as.numeric(pauc_spec_raw)),
    pauc_sensitivity_1_09 = num(as.numeric(pauc_sens)),
    pauc_sensitivity_1_09_raw = num(as.numeric(pauc_sens_raw)),
    coords = objs(coord_items),
    youden = obj(threshold = num(best$threshold), sensitivity = num(best$sensitivity),
                 specificity = num(best$specificity)),
    curve_sensitivity = arr(r$sensitivities[order_down]),
    curve_specificity = arr(r$specificities[order_down])
  )
}

# --- paired DeLong ------------------------------------------------------------
compare <- function(first, second) {
  t <- roc.test(fit(scores[[first]]), fit(scores[[second]]), method = "delong", paired = TRUE)
  obj(
    auc_first = num(t$estimate[1]),
    auc_second = num(t$estimate[2]),
    z = num(t$statistic),
    p_value = num(t$p.value),
    ci95 = arr(as.numeric(t$conf.int))
  )
}

# Stratified bootstrap percentile interval of s100b's standardized partial
# AUC (specificity 1-0.8), 2000 replicates. R's generator is not assay's, so
# the C++ test only asks for agreement within Monte Carlo error.
pauc_bootstrap <- function() {
  r <- roc(outcome, scores$s100b, levels = c("Good", "Poor"), direction = "<", quiet = TRUE,
           partial.auc = c(1, 0.8), partial.auc.focus = "specificity", partial.auc.correct = TRUE)
  set.seed(20240101)
  ci <- as.numeric(ci.auc(r, method = "bootstrap", boot.n = 2000, boot.stratified = TRUE,
                          conf.level = 0.95, progress = "none"))
  obj(replicates = num(2000), ci95 = arr(ci[c(1, 3)]))
}

# The data themselves (truth 1 = Poor), for tests that need the scores only.
data_json <- obj(
  truth = arr(as.integer(outcome == "Poor")),
  s100b = arr(scores$s100b),
  ndka = arr(scores$ndka),
  wfns = arr(scores$wfns)
)

json <- obj(
  proc_version = sprintf("\"%s\"", as.character(packageVersion("pROC"))),
  data = data_json,
  s100b = describe("s100b"),
  ndka = describe("ndka"),
  wfns = describe("wfns"),
  s100b_vs_wfns = compare("s100b", "wfns"),
  s100b_vs_ndka = compare("s100b", "ndka"),
  s100b_pauc_specificity_1_08_bootstrap = pauc_bootstrap()
)
writeLines(json, file.path(outdir, "proc_asah.json"))

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan + libFuzzer)
# and runs each for a bounded time from a small seed corpus. Fails on any crash,
# leak, hang (over 10 s for one input) or sanitizer report.
# Usage: tests/fuzz/run_fuzz.sh BUILD_DIR [SECONDS_PER_TARGET, default 30]
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
seconds=${2:-30}
mkdir -p "$out/tmp"
export TMPDIR="$out/tmp"  # the targets write each input there
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$source_dir/src" -DNDEBUG)

clang++ "${flags[@]}" "$source_dir/tests/fuzz/dicom_header_fuzz.cpp" \
  "$source_dir/src/assay/io/dicom_header.cpp" -ldcmdata -loflog -lofstd -lfmt \
  -o "$out/dicom_header_fuzz"
clang++ "${flags[@]}" "$source_dir/tests/fuzz/case_table_fuzz.cpp" \
  "$source_dir/src/assay/io/record_source.cpp" -lfmt -o "$out/case_table_fuzz"

# Seeds: real headers shipped with pydicom, and small case tables.
mkdir -p "$out/dicom_seeds" "$out/case_seeds"
pydicom_files=/usr/lib/python3/dist-packages/pydicom/data/test_files
for name in CT_small.dcm MR_small.dcm MR_small_implicit.dcm MR_small_bigendian.dcm \
            rtplan.dcm nested_priv_SQ.dcm no_meta_group_length.dcm; do
  head -c 8192 "$pydicom_files/$name" > "$out/dicom_seeds/$name"
done
printf '0truth,score\nyes,0.9\nno,"0.1"\n' > "$out/case_seeds/a.csv"
printf '1{"truth": "yes", "score": 0.9}\n{"truth": "no", "score": null}\n' > "$out/case_seeds/b.jsonl"

# A header parsed from memory lets DCMTK reserve an element's claimed length (up to
# 4 GiB of address space, never touched) before it finds the stream too short; here
# allocations over 64 MiB fail at once (DCMTK then reports the element as unreadable),
# which keeps the sanitizer from mapping gigabytes per input.
run() {
  local target=$1 seeds=$2 log="$out/$1.log" status=0
  mkdir -p "$out/${target}_corpus"
  # A 1 GiB main-thread stack, as assay gives its reader threads (DCMTK recurses per nesting level).
  (ulimit -s 1048576 && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=64 "$out/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/${target}_crash_" \
    "$out/${target}_corpus" "$seeds") >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "$target failed (exit $status); the input is saved as $out/${target}_crash_*:"
    tail -40 "$log"
    return 1
  fi
}
run dicom_header_fuzz "$out/dicom_seeds"
run case_table_fuzz "$out/case_seeds"
echo "fuzzing: no crash in ${seconds} s per target"

#!/usr/bin/env bash
# Style checks over the tracked C++ sources (git ls-files *.cpp *.hpp).
#   tools/lint.sh           clang-format --dry-run -Werror against .clang-format (CI runs this)
#   tools/lint.sh --tidy    clang-tidy with .clang-tidy (bugprone, performance) on every tracked
#                           .cpp, from a compile database of the release preset configured
#                           without unity builds in build/tidy (the release build's database
#                           lists the unity files, which hold most sources, not the sources);
#                           manual: about one build's worth of CPU, so not in CI
# Exit status: 0 clean, 1 findings, 2 missing tool or compile database.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
case ${1:-} in
  "")
    command -v clang-format >/dev/null || { echo "lint.sh: clang-format not installed" >&2; exit 2; }
    if ! clang-format --dry-run -Werror "${sources[@]}"; then
      echo "lint.sh: run clang-format -i on the files above" >&2
      exit 1
    fi
    echo "lint.sh: clang-format clean (${#sources[@]} files)"
    ;;
  --tidy)
    command -v run-clang-tidy >/dev/null || { echo "lint.sh: run-clang-tidy not installed" >&2; exit 2; }
    cmake --preset release -B build/tidy -DCMAKE_UNITY_BUILD=OFF >/dev/null ||
      { echo "lint.sh: configuring build/tidy failed (cmake --preset release)" >&2; exit 2; }
    mapfile -t units < <(git ls-files '*.cpp')
    run-clang-tidy -quiet -p build/tidy -j "$(nproc)" "${units[@]/#/$PWD/}"
    ;;
  *) echo "usage: tools/lint.sh [--tidy]" >&2; exit 2 ;;
esac

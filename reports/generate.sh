#!/usr/bin/env bash
# Regenerates the committed compliance reports (run as root, from anywhere):
#
#     bash reports/generate.sh
#
# Builds ocicheck, runs the whole suite against every runtime available here (without a
# baseline: a compliance report shows the real outcomes) with `--report reports/<runtime>`, then
# compares them in reports/comparison.{md,html,json}. Runtimes: the reference runtime (once
# `ocicheck runtime` exists), runc and crun from apt (`apt-get install runc crun`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

cargo build --locked --quiet
bin=$repo/target/x86_64-unknown-linux-gnu/debug/ocicheck
jobs=${JOBS:-2}
results=()

# run NAME [ocicheck run options...]: one runtime's report directory.
run() {
    local name=$1
    shift
    echo "== $name"
    rm -rf "reports/$name"
    # Exit status 1 only says that some case failed: that is what the report is for.
    "$bin" run --jobs "$jobs" --report "reports/$name" "$@" || [ $? -eq 1 ]
    # Runtime paths inside this checkout are written relative to it.
    find "reports/$name" -type f -exec sed -i "s|$repo/||g" {} +
    results+=("reports/$name/results.json")
}

if "$bin" runtime --help >/dev/null 2>&1; then
    run reference
else
    echo "== reference runtime: skipped (\`ocicheck runtime\` does not exist yet)"
fi
if command -v runc >/dev/null; then
    run runc --runtime runc
else
    echo "== runc: skipped (not installed)"
fi
if command -v crun >/dev/null; then
    # crun 1.8.1 rejects configs whose ociVersion is 1.2.0 or newer ("unknown version
    # specified"), so it is judged by the rules of 1.1.0, the newest release it accepts.
    # The wrapper makes crun usable on hosts with hybrid cgroups; the baseline marks the two
    # outcomes it causes (hook namespaces) as xfail, with that reason.
    run crun --runtime reports/wrappers/crun --spec-version 1.1.0 \
        --baseline reports/wrappers/crun.baseline
else
    echo "== crun: skipped (not installed)"
fi

[ ${#results[@]} -gt 0 ] || { echo "no runtime to report on" >&2; exit 1; }
for format in md html json; do
    "$bin" report --format "$format" -o "reports/comparison.$format" "${results[@]}"
done
echo "== wrote reports/comparison.{md,html,json} (${#results[@]} runtimes)"

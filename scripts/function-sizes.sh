#!/usr/bin/env bash
# Prints each deployable function's size: the arm64 `bootstrap` and, for a release build, its
# zip as Lambda gets it (zipping the unoptimised check build's 31 binaries would add a minute to
# `make test` for figures nobody deploys).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${LAMBDA_PROFILE:-release}
echo "arm64 functions as built by the last \`make lambda-build\` (profile $profile):"
printf '%-16s %12s %12s\n' function "bootstrap" "zipped"
for dir in target/lambda/*/; do
  name=$(basename "$dir")
  [ -f "functions/$name/Cargo.toml" ] || continue
  zipped=-
  if [ "$profile" = release ]; then
    zipped=$(python3 -c 'import io, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.write(sys.argv[1], "bootstrap")
print(len(buffer.getvalue()))' "$dir/bootstrap")
  fi
  printf '%-16s %12s %12s\n' "$name" "$(stat -c %s "$dir/bootstrap")" "$zipped"
done

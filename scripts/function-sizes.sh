#!/usr/bin/env bash
# Prints each deployable function's size: the arm64 `bootstrap` and its zip, as Lambda gets it.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "arm64 functions as built by the last \`make lambda-build\` (profile ${LAMBDA_PROFILE:-release}):"
printf '%-16s %12s %12s\n' function "bootstrap" "zipped"
for dir in target/lambda/*/; do
  name=$(basename "$dir")
  [ -f "functions/$name/Cargo.toml" ] || continue
  zipped=$(python3 -c 'import io, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.write(sys.argv[1], "bootstrap")
print(len(buffer.getvalue()))' "$dir/bootstrap")
  printf '%-16s %12s %12s\n' "$name" "$(stat -c %s "$dir/bootstrap")" "$zipped"
done

#!/usr/bin/env bash
# `make deploy`: builds the functions (arm64, release) and the site, deploys the stack with SAM
# (guided the first time, from samconfig.toml after), points the site at the API, uploads it and
# invalidates the distribution's cache. STACK_NAME (default rolechat) names the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/aws-stack.sh

require_aws_cli
make --no-print-directory lambda-build site-build
sam build --template-file template.yaml

if [ -f samconfig.toml ]; then
  sam deploy --stack-name "$STACK"
else
  echo "First deploy: SAM asks for the region and the parameters, and keeps the answers in samconfig.toml."
  sam deploy --guided --stack-name "$STACK" --capabilities CAPABILITY_IAM
fi
stack_region

api_url=$(stack_output ApiUrl)
site_url=$(stack_output SiteUrl)
bucket=$(stack_output SiteBucketName)
distribution=$(stack_output SiteDistributionId)
key_secret=$(stack_output OpenAiApiKeySecret)

# The site reads the API's address at run time, so one build serves every stack.
printf '{"api_base_url": "%s"}\n' "$api_url" > frontend/dist/config.json
# The distribution's CSP may name only the region's API domain (naming this API there would
# make a dependency cycle); a second policy in the page narrows connect-src to this API alone.
# Browsers enforce both, so the page may connect to its own origin and this API, and nothing else.
api_origin=$(printf '%s' "$api_url" | sed -E 's|^(https://[^/]+).*|\1|')
sed -i "s|<head>|<head>\n    <meta http-equiv=\"Content-Security-Policy\" content=\"connect-src 'self' $api_origin\">|" \
  frontend/dist/index.html
grep -q "connect-src 'self' $api_origin" frontend/dist/index.html
# Hashed assets never change under their name; everything else is revalidated on each visit.
aws s3 sync frontend/dist/assets "s3://$bucket/assets" --region "$REGION" --delete \
  --cache-control "public, max-age=31536000, immutable"
aws s3 sync frontend/dist "s3://$bucket" --region "$REGION" --delete --exclude "assets/*" \
  --exclude "vad/*" --cache-control "no-cache"
# The voice detector's files, with the types the browser insists on (a module, WebAssembly).
for file in frontend/dist/vad/*; do
  case "$file" in
    *.wasm) type=application/wasm ;;
    *.mjs | *.js) type=text/javascript ;;
    *) type=application/octet-stream ;;
  esac
  aws s3 cp "$file" "s3://$bucket/vad/$(basename "$file")" --region "$REGION" \
    --content-type "$type" --cache-control "public, max-age=86400"
done
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" \
  --query Invalidation.Id --output text >/dev/null

# The model's key: asked for once (or taken from OPENAI_API_KEY), never a parameter or a file.
# A stack on Bedrock with no speech server has no key to keep.
if [ -n "$key_secret" ] && [ "$key_secret" != None ] \
  && ! aws secretsmanager get-secret-value --region "$REGION" --secret-id "$key_secret" >/dev/null 2>&1; then
  key=${OPENAI_API_KEY:-}
  if [ -z "$key" ] && [ -t 0 ]; then
    read -r -s -p "The model's API key (input hidden; empty to set it later): " key
    echo
  fi
  if [ -n "$key" ]; then
    aws secretsmanager put-secret-value --region "$REGION" --secret-id "$key_secret" \
      --secret-string "$key" >/dev/null
    echo "The model's API key is stored in $key_secret."
  else
    echo "No model API key yet: the tutor answers 500 until you run"
    echo "  aws secretsmanager put-secret-value --region $REGION --secret-id $key_secret --secret-string '<key>'"
  fi
fi

echo
echo "Rolechat is up."
echo "  site: $site_url"
echo "  API:  $api_url"

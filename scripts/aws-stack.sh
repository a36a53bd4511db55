# Shared by deploy.sh and destroy.sh: which stack, which region, and its outputs.
STACK=${STACK_NAME:-rolechat}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}

require_aws_cli() {
  if ! command -v aws >/dev/null; then
    echo "The AWS CLI is needed (https://docs.aws.amazon.com/cli/), with credentials for your account." >&2
    exit 1
  fi
}

# The region: the environment's, else the one `sam deploy --guided` kept in samconfig.toml.
stack_region() {
  if [ -z "$REGION" ] && [ -f samconfig.toml ]; then
    REGION=$(sed -n 's/^region *= *"\(.*\)"/\1/p' samconfig.toml | head -n 1)
  fi
  if [ -z "$REGION" ]; then
    echo "Set AWS_REGION (or deploy once with \`make deploy\`, which keeps it in samconfig.toml)." >&2
    exit 1
  fi
}

stack_output() {
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

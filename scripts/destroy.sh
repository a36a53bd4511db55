#!/usr/bin/env bash
# `make destroy`: removes the stack and what it created. The users' and rooms' tables are kept
# (their data outlives the stack) unless DELETE_TABLES=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/aws-stack.sh

require_aws_cli
stack_region

bucket=$(stack_output SiteBucketName)
echo "Emptying the site bucket $bucket ..."
aws s3 rm "s3://$bucket" --recursive --region "$REGION" >/dev/null

tables=("$STACK-sessions")
[ "${DELETE_TABLES:-0}" = 1 ] && tables+=("$STACK-users" "$STACK-rooms")
for table in "${tables[@]}"; do
  aws dynamodb update-table --region "$REGION" --table-name "$table" \
    --no-deletion-protection-enabled >/dev/null
done

sam delete --stack-name "$STACK" --region "$REGION" --no-prompts

if [ "${DELETE_TABLES:-0}" = 1 ]; then
  for table in "$STACK-users" "$STACK-rooms"; do
    aws dynamodb delete-table --region "$REGION" --table-name "$table" >/dev/null
    echo "Deleted the table $table."
  done
else
  echo "Kept the tables $STACK-users and $STACK-rooms (DELETE_TABLES=1 deletes them too)."
fi

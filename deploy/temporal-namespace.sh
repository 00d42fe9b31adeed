#!/bin/sh
# Creates the namespace and the invoice search attributes once the server answers (idempotent).
set -eu
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do echo "waiting for Temporal"; sleep 2; done
temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NAMESPACE" --retention 90d --address "$TEMPORAL_ADDRESS"
for sa in CustomerId=Keyword InvoiceStatus=Keyword DunningStage=Keyword AmountDueCents=Int DueDate=Datetime PolicyName=Keyword PolicyVersion=Int NeedsAttention=KeywordList; do
  temporal operator search-attribute create --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" \
    --name "${sa%%=*}" --type "${sa##*=}" 2>/dev/null || true
done

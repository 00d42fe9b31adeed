#!/bin/sh
# Creates the namespace and the invoice search attributes once the server answers (idempotent).
set -eu
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do echo "waiting for Temporal"; sleep 2; done
temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NAMESPACE" --retention 90d --address "$TEMPORAL_ADDRESS"
# The engine's search attributes (src/temporal/search-attributes.ts; a test keeps this list and docs/operations.md in step).
for sa in CustomerId=Keyword InvoiceStatus=Keyword DunningStage=Keyword AmountDueCents=Int DueDate=Datetime PolicyName=Keyword \
  PolicyVersion=Int NeedsAttention=KeywordList InvoiceNumber=Keyword Currency=Keyword CustomerName=Text Disputed=Bool \
  PromisedDate=Datetime NextActionAt=Datetime Overdue=Keyword CreditHold=Bool DunningPaused=Bool OverdueCents=Int; do
  temporal operator search-attribute create --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" \
    --name "${sa%%=*}" --type "${sa##*=}" 2>/dev/null || true
done

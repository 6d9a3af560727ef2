#!/usr/bin/env bash
# Sends one signed "referral joined" webhook to a running bridge, as a referral platform would.
# Usage: scripts/send-referral.sh [CODE] [URL]   (dev secret by default; set WEBHOOK_SECRET=whsec_... to override;
#        EMAIL=... and PHONE=... for the referred person's, CAMPAIGN=... for another campaign than 17)
set -euo pipefail
code=${1:-DANA-$RANDOM}
url=${2:-http://127.0.0.1:8080/webhooks/referrals}
secret=${WEBHOOK_SECRET:-whsec_ZGV2LW9ubHktd2ViaG9vay1zZWNyZXQ=}
email=${EMAIL:-dana.whitfield@example.com}
phone=${PHONE:-+1 918 555 $(printf %04d $((RANDOM % 10000)))}
campaign=${CAMPAIGN:-17}
id="msg_${code}"
ts=$(date +%s)
body=$(cat <<JSON
{"type":"referral.joined","created_at":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","data":{"id":84211,"first_name":"Dana","last_name":"Whitfield","email":"${email}","phone":"${phone}","code":"${code}","referral_link":"https://refer.example.com/r/${code}","source":"referral landing page","campaign":{"id":${campaign},"name":"Spring HVAC tune-up"},"referred_by":{"id":80007,"first_name":"Sam","last_name":"Ortiz","email":"sam.ortiz@example.com","code":"SAM-55XA"},"fields":{"street":"12 Elm St","city":"Tulsa","state":"OK","zip":"74103","service_needed":"AC not cooling"}}}
JSON
)
key_hex=$(printf '%s' "${secret#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')
sig=$(printf '%s.%s.%s' "$id" "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:${key_hex}" -binary | base64)
curl -sS -w '\nHTTP %{http_code}\n' -X POST "$url" -H 'Content-Type: application/json' \
  -H "webhook-id: ${id}" -H "webhook-timestamp: ${ts}" -H "webhook-signature: v1,${sig}" --data-binary "$body"

-- Latest referrals first (route api-referral-list, sort=joined). Parameters from reports.listQuery.
SELECT id, code, campaign_id, state, not_qualified_reason, booking_id, job_id, customer_id, milestone, joined_at,
       qualified_at, notified_at
FROM referral
WHERE (CAST(:#campaign AS TEXT) IS NULL OR campaign_id = :#campaign)
  AND (CAST(:#state AS TEXT) IS NULL OR state = :#state)
ORDER BY joined_at DESC, id DESC
LIMIT :#limit OFFSET :#offset

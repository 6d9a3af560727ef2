-- Latest referrals first (route api-referral-list, sort=joined). Parameters from reports.listQuery.
SELECT id, code, campaign_id, state, booking_id, job_id, milestone, joined_at, qualified_at, notified_at
FROM referral
WHERE (CAST(:#campaign AS TEXT) IS NULL OR campaign_id = :#campaign)
ORDER BY joined_at DESC, id DESC
LIMIT :#limit

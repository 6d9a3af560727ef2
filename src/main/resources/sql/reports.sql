-- Named queries of the report API.

-- name: summary
-- (from, to, campaign, campaign): per campaign, referrals who joined in [from, to)
SELECT campaign_id,
       count(*)                                                               AS joined,
       count(*) FILTER (WHERE booking_id IS NOT NULL)                         AS booked,
       count(*) FILTER (WHERE job_id IS NOT NULL)                             AS became_jobs,
       count(*) FILTER (WHERE state IN ('qualified', 'platform_notified'))    AS qualified,
       count(*) FILTER (WHERE notified_at IS NOT NULL)                        AS platform_notified,
       count(*) FILTER (WHERE state = 'not_qualified')                        AS not_qualified,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(EPOCH FROM qualified_at - joined_at))
           FILTER (WHERE state IN ('qualified', 'platform_notified'))         AS median_seconds_to_qualify
FROM referral
WHERE joined_at >= ? AND joined_at < ? AND (CAST(? AS TEXT) IS NULL OR campaign_id = ?)
GROUP BY campaign_id
ORDER BY campaign_id

-- name: list-by-joined
-- (campaign, campaign, limit)
SELECT id, code, campaign_id, state, booking_id, job_id, milestone, joined_at, qualified_at, notified_at
FROM referral WHERE (CAST(? AS TEXT) IS NULL OR campaign_id = ?)
ORDER BY joined_at DESC, id DESC LIMIT ?

-- name: list-by-qualified
-- (campaign, campaign, limit)
SELECT id, code, campaign_id, state, booking_id, job_id, milestone, joined_at, qualified_at, notified_at
FROM referral WHERE qualified_at IS NOT NULL AND (CAST(? AS TEXT) IS NULL OR campaign_id = ?)
ORDER BY qualified_at DESC, id DESC LIMIT ?

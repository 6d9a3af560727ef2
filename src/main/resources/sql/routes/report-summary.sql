-- Per campaign, the referrals who joined in [from, to) (route api-report-summary). Parameters from reports.summaryQuery.
SELECT campaign_id,
       count(*)                                                               AS joined,
       count(*) FILTER (WHERE booking_id IS NOT NULL)                         AS booked,
       count(*) FILTER (WHERE job_id IS NOT NULL)                             AS became_jobs,
       count(*) FILTER (WHERE state IN ('qualified', 'platform_notified'))    AS qualified,
       count(*) FILTER (WHERE notified_at IS NOT NULL)                        AS platform_notified,
       count(*) FILTER (WHERE state = 'not_qualified')                        AS not_qualified,
       round(count(*) FILTER (WHERE state IN ('qualified', 'platform_notified'))::numeric / count(*), 4)
                                                                              AS qualification_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(EPOCH FROM qualified_at - joined_at))
           FILTER (WHERE state IN ('qualified', 'platform_notified'))         AS median_seconds_to_qualify
FROM referral
WHERE joined_at >= :#from AND joined_at < :#to AND (CAST(:#campaign AS TEXT) IS NULL OR campaign_id = :#campaign)
GROUP BY campaign_id
ORDER BY campaign_id

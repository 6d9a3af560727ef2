-- Per campaign, the referrals who joined in [from, to) (route api-report-summary). Parameters from reports.summaryQuery.
-- revenue: the sum of the active invoices of the referred jobs, as decimals.
SELECT r.campaign_id,
       count(*)                                                                 AS joined,
       count(*) FILTER (WHERE r.booking_id IS NOT NULL)                         AS booked,
       count(*) FILTER (WHERE r.job_id IS NOT NULL)                             AS became_jobs,
       count(*) FILTER (WHERE r.state IN ('qualified', 'platform_notified'))    AS qualified,
       count(*) FILTER (WHERE r.notified_at IS NOT NULL)                        AS platform_notified,
       count(*) FILTER (WHERE r.state = 'not_qualified')                        AS not_qualified,
       count(*) FILTER (WHERE r.customer_id IS NOT NULL)                        AS existing_customers,
       count(*) FILTER (WHERE r.job_id IS NOT NULL AND r.matched_by IS NULL)    AS matched_by_booking,
       count(*) FILTER (WHERE r.matched_by = 'email')                           AS matched_by_email,
       count(*) FILTER (WHERE r.matched_by = 'phone')                           AS matched_by_phone,
       count(*) FILTER (WHERE r.matched_by = 'code-field')                      AS matched_by_code_field,
       count(*) FILTER (WHERE r.state = 'pending_review')                       AS pending_review,
       count(*) FILTER (WHERE r.state = 'qualified')                            AS qualified_not_yet_told,
       count(*) FILTER (WHERE r.state = 'unqualified')                          AS clawed_back,
       round(count(*) FILTER (WHERE r.state IN ('qualified', 'platform_notified'))::numeric / count(*), 4)
                                                                                AS qualification_rate,
       coalesce(sum(rev.total), 0)                                              AS revenue,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(EPOCH FROM r.qualified_at - r.joined_at))
           FILTER (WHERE r.state IN ('qualified', 'platform_notified'))         AS median_seconds_to_qualify
FROM referral r
LEFT JOIN LATERAL (SELECT sum(i.total) AS total FROM job_invoice i
                   WHERE i.connection = r.connection AND i.job_id = r.job_id AND i.active) rev ON true
WHERE r.joined_at >= :#from AND r.joined_at < :#to
  AND (CAST(:#campaign AS TEXT) IS NULL OR r.campaign_id = :#campaign)
GROUP BY r.campaign_id
ORDER BY r.campaign_id

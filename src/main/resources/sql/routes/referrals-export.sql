-- Referrals with their state, milestone, job, revenue and referrer, for the CSV export (route api-referrals-csv),
-- oldest first. Parameters from reports.dashboardQuery. At most 100,000 rows per request (the answer is built in
-- memory): a larger program exports by period (from, to); reports.csv says when the limit cut the export. The referrer
-- is read where the referral's platform puts it; for a platform no longer configured, not at all (never the payload).
SELECT r.code, r.campaign_id, r.state, r.joined_at, r.qualified_at, r.notified_at, r.milestone, r.booking_id, r.job_id,
       (SELECT sum(i.total) FROM job_invoice i
        WHERE i.connection = r.connection AND i.job_id = r.job_id AND i.active) AS revenue,
       jsonb_extract_path_text(r.payload, VARIADIC NULLIF(ARRAY(
               SELECT e FROM jsonb_array_elements_text(CAST(:#referrers AS JSONB) -> r.platform) WITH ORDINALITY AS p(e, n)
               ORDER BY n), CAST('{}' AS TEXT[]))) AS referrer_email,
       r.not_qualified_reason
FROM referral r
WHERE r.joined_at >= :#from AND r.joined_at < :#to
  AND (CAST(:#campaign AS TEXT) IS NULL OR r.campaign_id = :#campaign)
ORDER BY r.joined_at, r.id
LIMIT 100001

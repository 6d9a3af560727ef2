-- The program's dashboard (route api-report-dashboard): referrals who joined in [from, to), and customers enrolled as
-- referrers in [from, to) (by the time their enrolment was done), one JSON document.
-- Parameters from reports.dashboardQuery; referrers: per platform, the path of the referrer's email in its webhook (no
-- #>> operator: camel-sql takes # for a parameter).
WITH r AS (
    SELECT r.id, r.campaign_id, r.state, r.booking_id, r.job_id, r.joined_at, r.qualified_at, r.notified_at,
           jsonb_extract_path_text(r.payload, VARIADIC NULLIF(ARRAY(
               SELECT e FROM jsonb_array_elements_text(CAST(:#referrers AS JSONB) -> r.platform) WITH ORDINALITY AS p(e, n)
               ORDER BY n), CAST('{}' AS TEXT[]))) AS referrer,
           (SELECT sum(i.total) FROM job_invoice i
            WHERE i.connection = r.connection AND i.job_id = r.job_id AND i.active) AS revenue
    FROM referral r
    WHERE r.joined_at >= :#from AND r.joined_at < :#to
      AND (CAST(:#campaign AS TEXT) IS NULL OR r.campaign_id = :#campaign)
), q AS (
    SELECT extract(EPOCH FROM qualified_at - joined_at) AS seconds FROM r
    WHERE state IN ('qualified', 'platform_notified') AND qualified_at IS NOT NULL
), weeks AS (
    SELECT date_trunc('week', joined_at) AS week, count(*) AS joined,
           count(*) FILTER (WHERE state IN ('qualified', 'platform_notified')) AS qualified
    FROM r GROUP BY 1
)
SELECT CAST(json_build_object(
    'funnel', json_build_array(
        json_build_object('step', 'joined', 'count', (SELECT count(*) FROM r)),
        json_build_object('step', 'booked', 'count', (SELECT count(*) FROM r WHERE booking_id IS NOT NULL)),
        json_build_object('step', 'job', 'count', (SELECT count(*) FROM r WHERE job_id IS NOT NULL)),
        json_build_object('step', 'qualified', 'count',
                          (SELECT count(*) FROM r WHERE state IN ('qualified', 'platform_notified'))),
        json_build_object('step', 'told', 'count', (SELECT count(*) FROM r WHERE notified_at IS NOT NULL))),
    'revenue', (SELECT CAST(coalesce(sum(revenue), 0) AS TEXT) FROM r),
    'rewards_triggered', (SELECT count(*) FROM r WHERE notified_at IS NOT NULL AND state = 'platform_notified'),
    'seconds_to_qualify', json_build_object(
        'median', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM q),
        'p90', (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FROM q)),
    'top_referrers', (SELECT coalesce(json_agg(t ORDER BY t.referrals DESC, t.referrer), '[]'::json) FROM (
        SELECT referrer, count(*) AS referrals,
               count(*) FILTER (WHERE state IN ('qualified', 'platform_notified')) AS qualified
        FROM r WHERE referrer IS NOT NULL GROUP BY referrer ORDER BY count(*) DESC, referrer LIMIT 10) t),
    'weeks', (SELECT coalesce(json_agg(json_build_object('week', to_char(week, 'YYYY-MM-DD'), 'joined', joined,
                                                          'qualified', qualified) ORDER BY week), '[]'::json)
              FROM weeks),
    'enrolments', (SELECT coalesce(json_agg(json_build_object('campaign', campaign_id, 'enrolled', enrolled,
                                                               'skipped', skipped) ORDER BY campaign_id), '[]'::json)
                   FROM (SELECT campaign_id, count(*) FILTER (WHERE state = 'enrolled') AS enrolled,
                                count(*) FILTER (WHERE state = 'skipped') AS skipped
                         FROM enrolment
                         WHERE done_at >= :#from AND done_at < :#to
                           AND (CAST(:#campaign AS TEXT) IS NULL OR campaign_id = :#campaign)
                         GROUP BY campaign_id) e),
    'review_queue', (SELECT count(*) FROM match_review),
    'dead_letters', (SELECT count(*) FROM dead_letter WHERE replayed_at IS NULL)
) AS TEXT) AS dashboard

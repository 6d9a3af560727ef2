-- Open dead letters, oldest first (route admin-dead-letters-list). At most 200: an operator replays them in turn.
SELECT d.id, d.route_id, d.outbox_id, d.referral_id, d.enrolment_id, r.code, d.cause, d.attempts, d.failed_at
FROM dead_letter d LEFT JOIN referral r ON r.id = d.referral_id
WHERE d.replayed_at IS NULL
ORDER BY d.id
LIMIT 200

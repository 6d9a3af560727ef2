-- Phone-in jobs that fit several open referrals: linked to none, with the candidates (route api-match-reviews).
SELECT connection, job_id, candidates, matched_by, created_at
FROM match_review
ORDER BY created_at, job_id
LIMIT 200

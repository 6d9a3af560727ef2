-- Named queries of the cluster-wide request budget (servicetitan/RequestBudget).

-- name: ensure
-- (connection)
INSERT INTO request_budget (connection) VALUES (?) ON CONFLICT (connection) DO NOTHING

-- name: take-slots
-- (seconds the slots take, connection): the connection's next slots, reserved for this node. Answers when the last of
-- them ends, in seconds from now by the database's clock (so the nodes' own clocks do not matter). A budget left idle
-- does not pile up: the next slot is never earlier than now.
UPDATE request_budget SET next_slot = greatest(next_slot, clock_timestamp()) + make_interval(secs => ?)
WHERE connection = ?
RETURNING CAST(extract(EPOCH FROM (next_slot - clock_timestamp())) AS DOUBLE PRECISION) AS ends_in

-- name: pause
-- (seconds, connection): ServiceTitan said to wait (429 with Retry-After): no node's call before then
UPDATE request_budget SET next_slot = greatest(next_slot, clock_timestamp() + make_interval(secs => ?))
WHERE connection = ?

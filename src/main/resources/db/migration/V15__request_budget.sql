-- One request budget per ServiceTitan connection, shared by every node: the time of the connection's next free request
-- slot. A node reserves slots (one per call, or a slice of several) by moving it on, so all nodes together keep to the
-- connection's rate, however many there are.
CREATE TABLE request_budget (
    connection TEXT        PRIMARY KEY,
    next_slot  TIMESTAMPTZ NOT NULL DEFAULT now()
);

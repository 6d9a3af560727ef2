package io.referralbridge.sandbox;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a sandbox keeps its state. Tests keep it in memory ({@link #NONE}); the dev profile keeps it in the embedded
 * database ({@link JdbcSandboxStore}), so that after a restart the sandbox's ids and feeds still agree with the bridge's
 * data.
 */
public interface SandboxStore {

    /** The latest version of one record (a booking, a job, a platform user), by kind and id. */
    void save(String kind, String id, ObjectNode body);

    /** One entry of an export feed. */
    void appendChange(long seq, String feed, ObjectNode snapshot);

    /** Every record of a kind, oldest first. */
    List<ObjectNode> records(String kind);

    /** Every feed entry, by sequence. */
    List<Change> changes();

    record Change(long seq, String feed, ObjectNode snapshot) {
    }

    SandboxStore NONE = new SandboxStore() {
        @Override
        public void save(String kind, String id, ObjectNode body) {
        }

        @Override
        public void appendChange(long seq, String feed, ObjectNode snapshot) {
        }

        @Override
        public List<ObjectNode> records(String kind) {
            return List.of();
        }

        @Override
        public List<Change> changes() {
            return List.of();
        }
    };
}

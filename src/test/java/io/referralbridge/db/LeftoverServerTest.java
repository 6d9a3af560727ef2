package io.referralbridge.db;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import io.referralbridge.config.ConfigurationException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dev profile's embedded PostgreSQL on its data directory: a directory a running bridge holds is never taken by a
 * second one (startup names it); a server left running on it is stopped by the next start; a stale pid file is left to
 * PostgreSQL.
 */
class LeftoverServerTest {

    @Test
    void aDataDirectoryThatARunningBridgeHoldsIsNamedNotTaken(@TempDir Path dir) {
        Path data = dir.resolve("postgres");
        try (Database.DataDirLock held = Database.DataDirLock.take(data)) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> Database.DataDirLock.take(data));
            assertTrue(e.getMessage().contains("is in use by another bridge"), e.getMessage());
        }
        Database.DataDirLock.take(data).close(); // free again once that bridge stopped
    }

    @Test
    void aServerLeftOnTheDirectoryIsStopped(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("postgres");
        EmbeddedPostgres pg = Database.embeddedPostgres().setDataDirectory(data).setCleanDataDirectory(false).start();
        try {
            Database.stopLeftover(data); // as the next start does, holding the directory's lock
            assertThrows(java.sql.SQLException.class, () -> pg.getPostgresDatabase().getConnection(), "stopped");
        } finally {
            try {
                pg.close();
            } catch (Exception e) {
                // stopped already
            }
        }
    }

    @Test
    void aStalePidFileIsLeftAlone(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("postmaster.pid"), "999999999\n" + dir + "\n");
        assertDoesNotThrow(() -> Database.stopLeftover(dir));
        Files.writeString(dir.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n");
        assertDoesNotThrow(() -> Database.stopLeftover(dir), "a live process that is not PostgreSQL");
    }
}

package io.referralbridge.db;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's PostgreSQL: an external server (prod) or an embedded one the process starts itself (dev, tests), pooled
 * by HikariCP and migrated by Flyway before any route starts.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final EmbeddedPostgres embedded;
    private final HikariDataSource dataSource;
    private final DataDirLock dataDirLock;

    private Database(EmbeddedPostgres embedded, HikariDataSource dataSource, DataDirLock dataDirLock) {
        this.embedded = embedded;
        this.dataSource = dataSource;
        this.dataDirLock = dataDirLock;
    }

    /** True when {@code t} says the database cannot be reached (no connection from the pool, or SQLSTATE class 08). */
    public static boolean isUnavailable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLTransientConnectionException) {
                return true;
            }
            if (c instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }

    public static Database open(Settings settings) {
        EmbeddedPostgres embedded = null;
        String url;
        String user;
        String password;
        DataDirLock lock = null;
        if (settings.getBoolean("bridge.db.embedded", false)) {
            lock = settings.optional("bridge.db.embedded.data-dir").map(dir -> DataDirLock.take(Path.of(dir)
                    .toAbsolutePath())).orElse(null);
            try {
                embedded = startEmbedded(settings);
            } catch (RuntimeException e) {
                closeQuietly(lock);
                throw e;
            }
            url = embedded.getJdbcUrl("postgres", "postgres");
            user = "postgres";
            password = "postgres";
        } else {
            url = settings.required("bridge.db.url");
            user = settings.required("bridge.db.username");
            password = settings.required("bridge.db.password");
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("bridge-db");
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        // PostgreSQL's error Detail and Where lines quote the data (a webhook's JSON, a phone number); they would reach
        // the logs with any exception. The driver leaves them out of its messages with this.
        config.addDataSourceProperty("logServerErrorDetail", "false");
        config.setMaximumPoolSize(settings.getInt("bridge.db.pool-size"));
        config.setConnectionTimeout(settings.getLong("bridge.db.connection-timeout-ms"));
        // Start even if the database is briefly away; requests fail fast with 503 until it is back.
        config.setInitializationFailTimeout(settings.getLong("bridge.db.initialization-fail-timeout-ms"));
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(config);
        } catch (RuntimeException e) {
            if (embedded != null) {
                closeQuietly(embedded);
            }
            closeQuietly(lock);
            throw e;
        }
        Database db = new Database(embedded, ds, lock);
        try {
            requireDurableCommits(ds, user);
            migrate(ds);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    public static void migrate(DataSource ds) {
        Flyway.configure()
                .dataSource(ds)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    /**
     * A 2xx to a webhook promises that the referral is stored, so a commit must be on disk before it returns. A server
     * that acknowledges commits earlier (synchronous_commit or fsync off) could lose answered webhooks in a crash.
     */
    static void requireDurableCommits(DataSource ds, String user) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('synchronous_commit'), current_setting('fsync')")) {
            rs.next();
            if ("off".equals(rs.getString(1))) {
                throw new ConfigurationException("PostgreSQL setting synchronous_commit is 'off' for user '" + user
                        + "': a commit could be lost after the bridge answered the webhook. Set it to 'on' (ALTER ROLE "
                        + user + " SET synchronous_commit = on)");
            }
            if ("off".equals(rs.getString(2))) {
                throw new ConfigurationException("PostgreSQL setting fsync is 'off': a commit could be lost after the "
                        + "bridge answered the webhook. Set it to 'on' in postgresql.conf");
            }
        } catch (SQLException e) {
            throw new Tx.DatabaseException(e);
        }
    }

    /** The embedded server (dev, tests, benchmark): durable commits, as the bridge demands of any database. */
    public static EmbeddedPostgres.Builder embeddedPostgres() {
        // The library starts PostgreSQL with fsync and synchronous_commit off, for speed; that would make a 2xx a
        // promise the database does not keep, and every figure measured on it flattering.
        return EmbeddedPostgres.builder().setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
    }

    private static EmbeddedPostgres startEmbedded(Settings settings) {
        try {
            EmbeddedPostgres.Builder builder = embeddedPostgres()
                    .setPGStartupWait(Duration.ofSeconds(60));
            int port = settings.getInt("bridge.db.embedded.port", 0);
            if (port > 0) {
                builder.setPort(port);
            }
            settings.optional("bridge.db.embedded.data-dir").ifPresent(dir -> {
                stopLeftover(Path.of(dir).toAbsolutePath());
                builder.setDataDirectory(Path.of(dir).toAbsolutePath()).setCleanDataDirectory(false);
            });
            // Stopped by the bridge after Camel (Resources), not by a JVM shutdown hook that races Camel's own stop.
            builder.setRegisterShutdownHook(false);
            EmbeddedPostgres pg = builder.start();
            LOG.info("Embedded PostgreSQL started on port {}", pg.getPort());
            return pg;
        } catch (IOException e) {
            throw new IllegalStateException("Could not start the embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    /**
     * A bridge killed hard (kill -9) leaves its embedded PostgreSQL running on the data directory, and the next start
     * would wait for it in vain: that server, named by the directory's postmaster.pid, is asked to stop first. Called
     * with the directory's lock held ({@link DataDirLock}), so no running bridge owns that server.
     */
    static void stopLeftover(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        long pid;
        try {
            pid = Long.parseLong(java.nio.file.Files.readAllLines(pidFile).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return; // no server, or not one this can name
        }
        // Its own server only: a PostgreSQL whose command line names this directory (after a reboot the pid may be
        // another program's, even another PostgreSQL's).
        java.util.Optional<ProcessHandle> server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.contains("postgres")).orElse(false))
                .filter(h -> h.info().commandLine().map(c -> c.contains(dataDir.toString())).orElse(false));
        if (server.isEmpty()) {
            return; // a stale pid file: PostgreSQL handles that itself
        }
        LOG.warn("An embedded PostgreSQL (pid {}) left running by an earlier bridge holds {}: stopping it", pid, dataDir);
        server.get().destroy(); // SIGTERM: its clients are gone, so it shuts down cleanly
        try {
            server.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("The embedded PostgreSQL (pid " + pid + ") left running on " + dataDir
                    + " did not stop within 30 s; stop it, then start the bridge again", e);
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * A connection of its own, outside the pool, for a session that waits for notices ({@code LISTEN}): a pooled one
     * would be taken from the requests for good. The caller closes it.
     */
    public java.sql.Connection unpooledConnection() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", dataSource.getUsername());
        p.setProperty("password", dataSource.getPassword());
        p.setProperty("logServerErrorDetail", "false");
        p.setProperty("connectTimeout", "5");
        // A silently dropped connection shows within a minute, not after the kernel's retries (about 15 minutes).
        p.setProperty("socketTimeout", "60");
        p.setProperty("tcpKeepAlive", "true");
        try {
            return java.sql.DriverManager.getConnection(dataSource.getJdbcUrl(), p);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            closeQuietly(embedded);
        }
        closeQuietly(dataDirLock);
    }

    private static void closeQuietly(DataDirLock lock) {
        if (lock != null) {
            lock.close();
        }
    }

    /**
     * The embedded server's data directory, held by one bridge at a time: a lock on {@code <dir>.lock}, which the
     * operating system frees when the process ends, however it ends. Whoever takes it knows that a server still running
     * on the directory was left by a bridge that died ({@link #stopLeftover}).
     */
    static final class DataDirLock implements AutoCloseable {
        private final java.nio.channels.FileChannel channel;
        private final java.nio.channels.FileLock lock;

        private DataDirLock(java.nio.channels.FileChannel channel, java.nio.channels.FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        static DataDirLock take(Path dataDir) {
            Path file = dataDir.resolveSibling(dataDir.getFileName() + ".lock");
            java.nio.channels.FileChannel channel = null;
            try {
                java.nio.file.Files.createDirectories(file.getParent());
                channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.WRITE);
                java.nio.channels.FileLock lock = channel.tryLock();
                if (lock != null) {
                    return new DataDirLock(channel, lock);
                }
            } catch (java.nio.channels.OverlappingFileLockException e) {
                // held by this process already: in use, as below
            } catch (IOException e) {
                throw new IllegalStateException("Could not lock " + file + ": " + e.getMessage(), e);
            }
            try {
                channel.close();
            } catch (IOException | RuntimeException e) {
                // nothing more to free
            }
            throw new ConfigurationException("The embedded PostgreSQL's data directory " + dataDir + " is in use by "
                    + "another bridge (" + file + " is locked): stop that one first, or set "
                    + "bridge.db.embedded.data-dir to another directory");
        }

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                LOG.warn("Could not free the data directory's lock: {}", e.getMessage());
            }
        }
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException e) {
            LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}

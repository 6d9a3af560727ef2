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

    private Database(EmbeddedPostgres embedded, HikariDataSource dataSource) {
        this.embedded = embedded;
        this.dataSource = dataSource;
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
        if (settings.getBoolean("bridge.db.embedded", false)) {
            embedded = startEmbedded(settings);
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
            throw e;
        }
        Database db = new Database(embedded, ds);
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
            settings.optional("bridge.db.embedded.data-dir").ifPresent(dir -> builder
                    .setDataDirectory(Path.of(dir).toAbsolutePath())
                    .setCleanDataDirectory(false));
            // Stopped by the bridge after Camel (Resources), not by a JVM shutdown hook that races Camel's own stop.
            builder.setRegisterShutdownHook(false);
            EmbeddedPostgres pg = builder.start();
            LOG.info("Embedded PostgreSQL started on port {}", pg.getPort());
            return pg;
        } catch (IOException e) {
            throw new IllegalStateException("Could not start the embedded PostgreSQL: " + e.getMessage(), e);
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
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException e) {
            LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}

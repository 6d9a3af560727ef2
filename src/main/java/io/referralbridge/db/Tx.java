package io.referralbridge.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

/** One JDBC transaction: committed when the work returns, rolled back when it throws. */
public final class Tx {

    @FunctionalInterface
    public interface Work<T> {
        T run(Tx tx) throws Exception;
    }

    private final Connection connection;

    private Tx(Connection connection) {
        this.connection = connection;
    }

    public static <T> T run(DataSource ds, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(new Tx(c));
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            } catch (Exception e) {
                rollbackQuietly(c, e);
                throw new IllegalStateException(e);
            }
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    public int update(String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(sql, params)) {
            return ps.executeUpdate();
        }
    }

    /**
     * The rows of the statement's first result set. Statements before it in {@code sql} (e.g. a {@code SET LOCAL}) are
     * sent in the same round trip.
     */
    public List<Map<String, Object>> query(String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(sql, params); ResultSet rs = firstResultSet(ps)) {
            List<Map<String, Object>> rows = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= n; i++) {
                    Object value = rs.getObject(i);
                    // Timestamps leave the database as ISO-8601 instants, ready for JSON.
                    row.put(rs.getMetaData().getColumnLabel(i),
                            value instanceof java.sql.Timestamp t ? t.toInstant().toString() : value);
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private static ResultSet firstResultSet(PreparedStatement ps) throws SQLException {
        boolean isResultSet = ps.execute();
        while (!isResultSet) {
            if (ps.getUpdateCount() == -1) {
                throw new SQLException("The statement returned no result set"); // not ps: it shows the parameters
            }
            isResultSet = ps.getMoreResults();
        }
        return ps.getResultSet();
    }

    public java.sql.Array array(String type, Object[] values) throws SQLException {
        return connection.createArrayOf(type, values);
    }

    public Map<String, Object> one(String sql, Object... params) throws SQLException {
        List<Map<String, Object>> rows = query(sql, params);
        return rows.isEmpty() ? null : rows.get(0);
    }

    private PreparedStatement prepare(String sql, Object... params) throws SQLException {
        PreparedStatement ps = connection.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            if (params[i] == null) {
                ps.setNull(i + 1, Types.NULL);
            } else {
                ps.setObject(i + 1, params[i]);
            }
        }
        return ps;
    }

    /** A database failure, unchecked so routes can map it (e.g. to 503 when the database is away). */
    public static final class DatabaseException extends RuntimeException {
        public DatabaseException(SQLException cause) {
            super(cause.getMessage(), cause);
        }
    }
}

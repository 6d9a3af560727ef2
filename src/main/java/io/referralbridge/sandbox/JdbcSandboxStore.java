package io.referralbridge.sandbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The sandboxes' state in schema {@code sandbox} of the bridge's own (embedded) database. The schema is created here,
 * not by the bridge's Flyway migrations: it belongs to the dev sandbox, not to the product.
 */
public final class JdbcSandboxStore implements SandboxStore {

    private final DataSource dataSource;
    private final ObjectMapper json = new ObjectMapper();

    public JdbcSandboxStore(DataSource dataSource) {
        this.dataSource = dataSource;
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute("create schema if not exists sandbox");
            st.execute("create table if not exists sandbox.record (kind text not null, id text not null, "
                    + "body jsonb not null, position bigserial, primary key (kind, id))");
            st.execute("create table if not exists sandbox.change (seq bigint primary key, feed text not null, "
                    + "snapshot jsonb not null)");
        } catch (SQLException e) {
            throw new IllegalStateException("Sandbox schema could not be created: " + e.getMessage(), e);
        }
    }

    @Override
    public void save(String kind, String id, ObjectNode body) {
        update("insert into sandbox.record (kind, id, body) values (?, ?, ?::jsonb) "
                + "on conflict (kind, id) do update set body = excluded.body", kind, id, text(body));
    }

    @Override
    public void appendChange(long seq, String feed, ObjectNode snapshot) {
        update("insert into sandbox.change (seq, feed, snapshot) values (?, ?, ?::jsonb) on conflict do nothing",
                seq, feed, text(snapshot));
    }

    @Override
    public List<ObjectNode> records(String kind) {
        List<ObjectNode> out = new ArrayList<>();
        query("select body from sandbox.record where kind = ? order by position", kind,
                rs -> out.add((ObjectNode) json.readTree(rs.getString(1))));
        return out;
    }

    @Override
    public List<Change> changes() {
        List<Change> out = new ArrayList<>();
        query("select seq, feed, snapshot from sandbox.change order by seq", null,
                rs -> out.add(new Change(rs.getLong(1), rs.getString(2), (ObjectNode) json.readTree(rs.getString(3)))));
        return out;
    }

    private interface RowReader {
        void read(ResultSet rs) throws SQLException, JsonProcessingException;
    }

    private void query(String sql, String param, RowReader reader) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) {
                ps.setString(1, param);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    reader.read(rs);
                }
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("Sandbox state could not be read: " + e.getMessage(), e);
        }
    }

    private void update(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Sandbox state could not be written: " + e.getMessage(), e);
        }
    }

    private String text(ObjectNode body) {
        try {
            return json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

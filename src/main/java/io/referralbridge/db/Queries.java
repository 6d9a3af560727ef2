package io.referralbridge.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named SQL statements kept in {@code src/main/resources/sql/*.sql}, each introduced by a {@code -- name: x} line, so
 * that SQL lives in SQL files and Java refers to it by name.
 */
public final class Queries {

    private final String file;
    private final Map<String, String> byName;

    private Queries(String file, Map<String, String> byName) {
        this.file = file;
        this.byName = byName;
    }

    public static Queries load(String resource) {
        try (InputStream in = Queries.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("SQL file not found on the classpath: " + resource);
            }
            return new Queries(resource, parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + resource, e);
        }
    }

    static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String name = null;
        StringBuilder sql = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.trim();
            if (trimmed.startsWith("-- name:")) {
                if (name != null) {
                    out.put(name, sql.toString().trim());
                }
                name = trimmed.substring("-- name:".length()).trim();
                sql.setLength(0);
            } else if (name != null && !trimmed.startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        if (name != null) {
            out.put(name, sql.toString().trim());
        }
        return out;
    }

    public String get(String name) {
        String sql = byName.get(name);
        if (sql == null) {
            throw new IllegalArgumentException("No query named '" + name + "' in " + file);
        }
        return sql;
    }
}

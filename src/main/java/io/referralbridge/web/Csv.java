package io.referralbridge.web;

import java.util.List;
import java.util.Map;

/**
 * CSV as spreadsheets read it (RFC 4180: quoted when needed, CRLF rows). A value that a spreadsheet would run as a
 * formula (starting with =, +, -, @, tab or CR; a referred person's name is whatever they typed) is prefixed with a
 * quote mark, so opening the export never runs anything. Timestamps as ISO instants.
 */
public final class Csv {

    private Csv() {
    }

    public static String write(List<String> columns, List<Map<String, Object>> rows) {
        StringBuilder out = new StringBuilder();
        line(out, columns.stream().map(c -> (Object) c).toList());
        for (Map<String, Object> row : rows) {
            line(out, columns.stream().map(row::get).toList());
        }
        return out.toString();
    }

    private static void line(StringBuilder out, List<Object> values) {
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(cell(values.get(i)));
        }
        out.append("\r\n");
    }

    static String cell(Object value) {
        if (value == null) {
            return "";
        }
        String v = value instanceof java.sql.Timestamp t ? t.toInstant().toString()
                : value instanceof java.math.BigDecimal d ? d.toPlainString() : value.toString();
        if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 && !(value instanceof Number)) {
            v = "'" + v;
        }
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
            v = "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }
}

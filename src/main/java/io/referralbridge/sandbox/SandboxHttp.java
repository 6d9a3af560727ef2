package io.referralbridge.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;

/** What the sandboxes share to read requests and write answers. */
public final class SandboxHttp {

    private SandboxHttp() {
    }

    /** An answer: status, JSON body (or none) and extra headers. */
    public static final class Reply {
        public final int status;
        public final JsonNode body;
        public final Map<String, String> headers = new LinkedHashMap<>();

        public Reply(int status, JsonNode body) {
            this.status = status;
            this.body = body;
        }

        public Reply header(String name, String value) {
            headers.put(name, value);
            return this;
        }
    }

    /** A request the sandbox refuses with 400, with the fields at fault. */
    public static final class BadRequest extends RuntimeException {
        public final Map<String, List<String>> errors;

        public BadRequest(String message, Map<String, List<String>> errors) {
            super(message);
            this.errors = errors;
        }
    }

    public static void send(HttpExchange ex, Reply reply, ObjectMapper json) throws IOException {
        byte[] bytes = reply.body == null ? new byte[0] : json.writeValueAsBytes(reply.body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        reply.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.sendResponseHeaders(reply.status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The body as a JSON object, or a 400. */
    public static JsonNode object(byte[] body, ObjectMapper json) {
        try {
            JsonNode n = json.readTree(body);
            if (n == null || !n.isObject()) {
                throw new BadRequest("The request body must be a JSON object", null);
            }
            return n;
        } catch (IOException e) {
            throw new BadRequest("The request body is not valid JSON", null);
        }
    }

    public static Matcher match(String regex, String s) {
        Matcher m = Pattern.compile(regex).matcher(s);
        return m.matches() ? m : null;
    }

    /** A query string or form body, decoded. */
    public static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int i = pair.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? pair : pair.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(pair.substring(i + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }
}

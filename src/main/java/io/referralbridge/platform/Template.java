package io.referralbridge.platform;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.referralbridge.config.ConfigurationException;

/**
 * A URL or a JSON body of a platform call, with {@code {variable}} placeholders filled from the stored referral. A URL's
 * values are percent-encoded (except {@code {baseUrl}}). A body is JSON written with its placeholders as strings: a
 * string that is exactly one placeholder takes the value's own type (true, 250.00, text) and is left out when the value
 * is absent (an optional field: the revenue of a job not invoiced); placeholders inside a longer string are replaced as
 * text. Jackson writes the result, so a name with quotes or any script is escaped, never interpreted. Hand-written
 * rather than a template engine: the whole language is "{name}", and a body must stay valid JSON whatever the values.
 */
public final class Template {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String key;
    private final String url;
    private final JsonNode body;

    private Template(String key, String url, JsonNode body) {
        this.key = key;
        this.url = url;
        this.body = body;
    }

    /** A URL template; every placeholder must be one of {@code allowed}, or startup stops naming it and the setting. */
    public static Template url(String key, String text, Set<String> allowed) {
        check(key, text, allowed);
        return new Template(key, text, null);
    }

    /** A JSON body template (null or blank: no body). */
    public static Template body(String key, String text, Set<String> allowed) {
        if (text == null || text.isBlank()) {
            return null;
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigurationException("Invalid setting '" + key + "': not JSON (" + e.getOriginalMessage()
                    + ")");
        }
        check(key, text, allowed);
        return new Template(key, null, parsed);
    }

    private static void check(String key, String text, Set<String> allowed) {
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            if (!allowed.contains(m.group(1))) {
                throw new ConfigurationException("Invalid setting '" + key + "': unknown variable {" + m.group(1)
                        + "}; this call knows " + String.join(", ", sorted(allowed)));
            }
        }
    }

    private static Set<String> sorted(Set<String> names) {
        return new java.util.TreeSet<>(names);
    }

    /** The placeholders used. */
    public Set<String> variables() {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(url != null ? url : body.toString());
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The URL with its values, percent-encoded as path or query text. */
    public String url(Map<String, Object> values) {
        Matcher m = PLACEHOLDER.matcher(url);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Object v = values.get(m.group(1));
            if (v == null) {
                throw new io.referralbridge.campaign.MappingException("No value for {" + m.group(1) + "} in " + key);
            }
            String text = m.group(1).equals("baseUrl") ? v.toString()
                    : URLEncoder.encode(v.toString(), StandardCharsets.UTF_8).replace("+", "%20")
                            .replace(".", "%2E"); // "." and ".." would move the path the key is sent to
            m.appendReplacement(out, Matcher.quoteReplacement(text));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The body with its values. */
    public JsonNode body(Map<String, Object> values) {
        return fill(body.deepCopy(), values);
    }

    private static JsonNode fill(JsonNode node, Map<String, Object> values) {
        if (node instanceof ObjectNode o) {
            Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                JsonNode filled = fill(f.getValue(), values);
                if (filled == null) {
                    fields.remove();
                } else {
                    f.setValue(filled);
                }
            }
            return o;
        }
        if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode filled = fill(a.get(i), values);
                a.set(i, filled == null ? JsonNodeFactory.instance.nullNode() : filled);
            }
            return a;
        }
        if (node instanceof TextNode t) {
            Matcher whole = PLACEHOLDER.matcher(t.textValue());
            if (whole.matches()) {
                return typed(values.get(whole.group(1)));
            }
            Matcher m = PLACEHOLDER.matcher(t.textValue());
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                Object v = values.get(m.group(1));
                m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : v.toString()));
            }
            m.appendTail(out);
            return TextNode.valueOf(out.toString().strip()); // "{firstName} {lastName}" without a last name
        }
        return node;
    }

    private static JsonNode typed(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Boolean b) {
            return JsonNodeFactory.instance.booleanNode(b);
        }
        if (v instanceof BigDecimal d) {
            return JsonNodeFactory.instance.numberNode(d);
        }
        if (v instanceof Number n) {
            return JsonNodeFactory.instance.numberNode(n.longValue());
        }
        return TextNode.valueOf(v.toString());
    }
}

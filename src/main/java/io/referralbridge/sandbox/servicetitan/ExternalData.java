package io.referralbridge.sandbox.servicetitan;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.SandboxHttp.BadRequest;

/**
 * externalData of jobs and customers, as ServiceTitan keeps it: key/value pairs per application GUID, written by a PATCH
 * with {@code {applicationGuid, patchMode: Merge|Replace, externalData: [{key, value}]}} and answered only to a read
 * that names the GUID ({@code externalDataApplicationGuid}). Kept on the record under a field the answers leave out.
 */
final class ExternalData {

    private static final String STORED = "_externalData";

    private ExternalData() {
    }

    /** Applies a PATCH's externalData to the record; 400 for a missing or malformed GUID, patch mode or pair. */
    static void patch(ObjectNode record, JsonNode request) {
        String guid = request.path("applicationGuid").asText("");
        try {
            UUID.fromString(guid);
        } catch (IllegalArgumentException e) {
            throw invalid("externalData.applicationGuid", "The value '" + guid + "' is not a valid GUID.");
        }
        String mode = request.path("patchMode").asText("Replace");
        if (!mode.equals("Merge") && !mode.equals("Replace")) {
            throw invalid("externalData.patchMode", "The value '" + mode + "' is not valid (Merge, Replace).");
        }
        if (!request.path("externalData").isArray()) {
            throw invalid("externalData.externalData", "The externalData field is required.");
        }
        ObjectNode all = record.has(STORED) ? (ObjectNode) record.get(STORED) : record.putObject(STORED);
        ArrayNode pairs = mode.equals("Replace") || !all.has(guid) ? all.putArray(guid) : (ArrayNode) all.get(guid);
        for (JsonNode pair : request.path("externalData")) {
            String key = pair.path("key").asText("");
            if (key.isBlank()) {
                throw invalid("externalData.externalData.key", "The Key field is required.");
            }
            for (int i = pairs.size() - 1; i >= 0; i--) {
                if (pairs.get(i).path("key").asText().equals(key)) {
                    pairs.remove(i);
                }
            }
            pairs.addObject().put("key", key).put("value", pair.path("value").asText(""));
        }
    }

    /** The record as answered: without the stored pairs, with those of the GUID the read names (if any). */
    static ObjectNode answer(ObjectNode record, String guid) {
        ObjectNode copy = record.deepCopy();
        JsonNode all = copy.remove(STORED);
        if (guid != null) {
            JsonNode pairs = all == null ? null : all.get(guid);
            copy.set("externalData", pairs == null ? copy.arrayNode() : pairs.deepCopy());
        }
        return copy;
    }

    /** The record with the pairs of every application, by GUID (the sandbox's own view, for people and tests). */
    static ObjectNode everything(ObjectNode record) {
        ObjectNode copy = record.deepCopy();
        JsonNode all = copy.remove(STORED);
        copy.set("externalData", all == null ? copy.objectNode() : all);
        return copy;
    }

    static BadRequest invalid(String field, String message) {
        return new BadRequest("One or more validation errors occurred.", Map.of(field, List.of(message)));
    }
}

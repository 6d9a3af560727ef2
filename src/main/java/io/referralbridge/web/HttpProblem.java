package io.referralbridge.web;

/**
 * A request the bridge refuses, with the HTTP status, a stable error code and a detail for the caller. Thrown before
 * anything is written, so a refused request leaves no trace in the database.
 */
public class HttpProblem extends RuntimeException {

    private final int status;
    private final String error;

    public HttpProblem(int status, String error, String detail) {
        super(detail);
        this.status = status;
        this.error = error;
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public String detail() {
        return getMessage();
    }

    /** The {error, detail} body of every refusal, for answers written outside the routes (the server's own handlers). */
    public String json() {
        return new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("error", error)
                .put("detail", detail()).toString();
    }

    /** Ends the answer with this refusal. */
    public void answer(io.vertx.core.http.HttpServerResponse response) {
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(json());
    }

    public static HttpProblem badRequest(String error, String detail) {
        return new HttpProblem(400, error, detail);
    }

    public static HttpProblem unprocessable(String error, String detail) {
        return new HttpProblem(422, error, detail);
    }

    public static HttpProblem unauthorized(String error, String detail) {
        return new HttpProblem(401, error, detail);
    }

    public static HttpProblem notFound(String detail) {
        return new HttpProblem(404, "not_found", detail);
    }

    public static HttpProblem conflict(String detail) {
        return new HttpProblem(409, "conflict", detail);
    }
}

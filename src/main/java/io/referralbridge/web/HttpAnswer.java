package io.referralbridge.web;

/** A response body that knows its HTTP status. */
public interface HttpAnswer {
    int httpStatus();
}

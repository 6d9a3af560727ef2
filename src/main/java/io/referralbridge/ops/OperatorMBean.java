package io.referralbridge.ops;

/**
 * The operator's tasks over JMX (Hawtio: JMX > referral-bridge > operations), the same as the admin HTTP endpoints.
 * A blank connection means every ServiceTitan connection. Answers are JSON text.
 */
public interface OperatorMBean {

    String pollNow(String connection) throws Exception;

    String pausePolling(String connection) throws Exception;

    String resumePolling(String connection) throws Exception;

    String listDeadLetters() throws Exception;

    String replayDeadLetter(long id) throws Exception;

    String startEnrolmentBackfill(String campaign, String from, String to) throws Exception;

    String enrolmentBackfills() throws Exception;
}

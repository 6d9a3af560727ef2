package io.referralbridge.servicetitan;

/**
 * ServiceTitan refused a connection's credentials: its token endpoint turned the client down (a regenerated secret, a
 * disconnected app). Nothing a task did: its queue waits as for an outage, spending no attempts, until they work again.
 */
public final class CredentialsRefused extends Exception {

    public CredentialsRefused(String connection, String answer, Throwable cause) {
        super("ServiceTitan refused the client credentials of connection '" + connection + "' (" + answer
                + "); the tasks wait until the client id and secret work again", cause);
    }
}

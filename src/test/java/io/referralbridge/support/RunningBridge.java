package io.referralbridge.support;

import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One bridge for a test class: started before its first test (with these settings over the test defaults), stopped
 * after its last. {@code @RegisterExtension static final RunningBridge RUNNING = new RunningBridge(Map.of(), b ->
 * bridge = b);}
 */
public final class RunningBridge implements BeforeAllCallback, AfterAllCallback {

    private final Map<String, String> settings;
    private final Consumer<BridgeUnderTest> started;
    private BridgeUnderTest bridge;

    public RunningBridge(Map<String, String> settings, Consumer<BridgeUnderTest> started) {
        this.settings = settings;
        this.started = started;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        bridge = BridgeUnderTest.start(settings);
        started.accept(bridge);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (bridge != null) {
            bridge.close();
        }
    }
}

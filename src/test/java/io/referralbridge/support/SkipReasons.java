package io.referralbridge.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Says why a test did not run. Surefire's console shows only "Skipped: 1"; every test class gets this extension
 * (junit-platform.properties), which writes the reason to {@code target/test-skips.txt}, and the build prints that
 * file after the tests (maven-antrun-plugin in the pom).
 */
public final class SkipReasons implements TestWatcher {

    static final Path FILE = Path.of("target", "test-skips.txt");

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        write(context, cause == null ? "aborted" : cause.getMessage());
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        write(context, reason.orElse("disabled"));
    }

    private static synchronized void write(ExtensionContext context, String reason) {
        String line = "SKIPPED " + context.getRequiredTestClass().getSimpleName() + "." + context.getDisplayName()
                + ": " + reason + System.lineSeparator();
        System.out.print(line);
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("Could not record the skip: " + e);
        }
    }
}

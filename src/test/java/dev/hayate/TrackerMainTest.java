package dev.hayate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command-line flags that print and exit (the ones that start a tracker are covered by the loopback tests). */
class TrackerMainTest {

    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            TrackerMain.main(args);
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintTheVersionWhenAskedForIt() {
        assertEquals("hayate " + TrackerMain.version(), run("--version").strip());
    }

    @Test
    void shouldListEveryKeyWhenAskedForHelp() {
        String help = run("--help");
        for (String key : ConfigLoader.DEFAULTS.keySet()) {
            assertTrue(help.contains("  " + key + " (default '"), key);
        }
    }

    @Test
    void shouldPrintEveryKeyWithOverridesAppliedWhenAskedForTheConfig() {
        String printed = run("--print-config", "--admin.port=7071", "--admin.enabled=false");
        assertEquals(ConfigLoader.DEFAULTS.size(), printed.strip().split("\n").length, printed);
        assertTrue(printed.contains("\nadmin.port=7071\n"), printed);
        assertTrue(printed.contains("\nadmin.enabled=false\n"), printed);
        assertTrue(printed.contains("\nadmin.host=127.0.0.1\n"), printed);
    }
}

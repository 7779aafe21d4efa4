package net.openhft.chronicle.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hayate.swarm.ChronicleSwarmStore;
import dev.hayate.swarm.SwarmOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Guards the checked-in {@code VanillaGlobalMutableState$$Native} (see its header): it must be exactly what the
 * pinned chronicle-values generates, and with it on the class path opening a store must not start javac.
 */
class VanillaGlobalMutableStateNativeTest {

    private static final Path SOURCE =
            Path.of("src/main/java/net/openhft/chronicle/hash/VanillaGlobalMutableState$$Native.java");

    @Test
    void shouldMatchWhatThePinnedChronicleValuesGeneratesWhenCheckedIn() throws Exception {
        Class<?> valueModel = Class.forName("net.openhft.chronicle.values.ValueModel");
        Object model = valueModel.getMethod("acquire", Class.class).invoke(null, VanillaGlobalMutableState.class);
        Method generate = Class.forName("net.openhft.chronicle.values.Generators")
                .getDeclaredMethod("generateNativeClass", valueModel, String.class);
        generate.setAccessible(true);
        String generated = (String) generate.invoke(null, model, "VanillaGlobalMutableState$$Native");

        String checkedIn = Files.readString(SOURCE, StandardCharsets.UTF_8);
        String body = checkedIn.substring(checkedIn.indexOf("package net.openhft.chronicle.hash;"));
        assertEquals(
                generated.strip(),
                body.strip(),
                "chronicle-values now generates another VanillaGlobalMutableState$$Native: replace the body of "
                        + SOURCE + " (below its header comment) with:\n" + generated);
    }

    @Test
    void shouldOpenAStoreWithoutCompilingClassesWhenTheNativeClassIsShipped() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access")) {
                command.add(arg);
            }
        }
        command.addAll(List.of(
                "-Xmx128m",
                "-Xlog:class+load=info:stdout",
                "-cp",
                System.getProperty("java.class.path"),
                OpenStore.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines;
        try (var in = p.getInputStream()) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertEquals(0, p.exitValue(), () -> "child failed: " + tail(lines));
        assertTrue(lines.contains(OpenStore.OPENED), () -> "the store did not open: " + tail(lines));
        long javacClasses =
                lines.stream().filter(l -> l.contains(" com.sun.tools.javac.")).count();
        // Compiling the class loads ~1,100 javac classes; Chronicle's compiler set-up alone loads a handful.
        assertTrue(
                javacClasses < 100,
                javacClasses + " javac classes loaded while opening a store: Chronicle compiled a class at run time");
    }

    private static String tail(List<String> lines) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** Child JVM: opens and closes a small in-memory store. */
    public static final class OpenStore {
        static final String OPENED = "hayate-test: store opened";

        public static void main(String[] args) throws IOException {
            try (ChronicleSwarmStore store = ChronicleSwarmStore.open(new SwarmOptions(1000, 100, null, 60_000, 50))) {
                System.out.println(OPENED + " " + store.torrentCount());
            }
            System.out.println(OPENED);
        }
    }
}

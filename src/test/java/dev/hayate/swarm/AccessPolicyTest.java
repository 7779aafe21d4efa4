package dev.hayate.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessPolicyTest {
    private static final String A = "0123456789abcdef0123456789abcdef01234567";
    private static final String B = "FEDCBA9876543210FEDCBA9876543210FEDCBA98";
    private static final String C = "00000000000000000000000000000000000000ff";

    @TempDir
    Path dir;

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void shouldServeOnlyListedTorrentsWhenModeIsAllow() throws IOException {
        Path file = write("allow", "# torrents we host\n" + A + "\n\n  " + B + "  # upper case is fine\n");
        AccessPolicy p = AccessPolicy.load(AccessPolicy.Mode.ALLOW, file);
        assertEquals(2, p.size());
        assertTrue(p.allows(hex(A)));
        assertTrue(p.allows(hex(B)));
        assertFalse(p.allows(hex(C)));
        // At an offset, as in a scrape's packed hashes.
        byte[] packed = new byte[60];
        System.arraycopy(hex(C), 0, packed, 0, 20);
        System.arraycopy(hex(B), 0, packed, 20, 20);
        assertFalse(p.allows(packed, 0));
        assertTrue(p.allows(packed, 20));
        assertFalse(p.allows(packed, 40));
    }

    @Test
    void shouldRefuseOnlyListedTorrentsWhenModeIsDeny() throws IOException {
        AccessPolicy p = AccessPolicy.load(AccessPolicy.Mode.DENY, write("deny", A + "\n"));
        assertFalse(p.allows(hex(A)));
        assertTrue(p.allows(hex(B)));
        assertTrue(p.allows(new byte[20]));
    }

    @Test
    void shouldServeEverythingAndReadNothingWhenModeIsOff() {
        AccessPolicy p = AccessPolicy.load(AccessPolicy.Mode.OFF, dir.resolve("does-not-exist"));
        assertSame(AccessPolicy.OPEN, p);
        assertTrue(p.allows(hex(A)));
        assertFalse(p.reloadIfChanged());
    }

    @Test
    void shouldFailNamingTheLineWhenALineIsNotAnInfoHash() throws IOException {
        for (String bad :
                new String[] {A.substring(1), A + "0", A.replace('a', 'g'), "0x" + A.substring(2), A + " extra"}) {
            Path file = write("bad", "# ok\n" + B + "\n" + bad + "\n");
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> AccessPolicy.load(AccessPolicy.Mode.ALLOW, file));
            assertTrue(e.getMessage().contains("line 3"), e.getMessage());
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class,
                () -> AccessPolicy.load(AccessPolicy.Mode.DENY, dir.resolve("missing")));
        assertTrue(missing.getMessage().contains("cannot read"), missing.getMessage());
    }

    @Test
    void shouldSwapInTheNewListWhenTheFileChangesAndKeepTheOldOneWhenTheEditIsBad() throws IOException {
        Path file = write("allow", A + "\n");
        AccessPolicy p = AccessPolicy.load(AccessPolicy.Mode.ALLOW, file);
        assertFalse(p.reloadIfChanged(), "unchanged");
        assertFalse(p.allows(hex(B)));

        Files.writeString(file, A + "\n" + B + "\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 2_000));
        assertTrue(p.reloadIfChanged());
        assertTrue(p.allows(hex(B)));
        assertEquals(2, p.size());

        Files.writeString(file, A + "\nnot a hash\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 4_000));
        assertFalse(p.reloadIfChanged(), "a bad edit is not loaded");
        assertTrue(p.allows(hex(B)), "the previous list stays in force");
        assertEquals(2, p.size());
    }

    @Test
    void shouldFindEveryMemberAndNoStrangerWhenTheListIsLarge() throws IOException {
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder();
        byte[][] members = new byte[5_000][20];
        for (byte[] m : members) {
            random.nextBytes(m);
            sb.append(HexFormat.of().formatHex(m)).append('\n');
        }
        // Duplicates count once.
        sb.append(HexFormat.of().formatHex(members[0])).append('\n');
        AccessPolicy p = AccessPolicy.load(AccessPolicy.Mode.ALLOW, write("big", sb.toString()));
        assertEquals(members.length, p.size());
        for (byte[] m : members) {
            assertTrue(p.allows(m));
        }
        byte[] stranger = new byte[20];
        for (int i = 0; i < 5_000; i++) {
            random.nextBytes(stranger);
            assertFalse(p.allows(stranger));
        }
    }
}

package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which torrents the tracker serves ({@code access.mode}, {@code access.file}): every torrent, only listed ones
 * (allow), or all but listed ones (deny). The adapters ask {@link #allows} before they touch the store.
 *
 * <p>The list is an immutable {@link HashSet20} swapped atomically through a volatile field, so a lookup on an IO
 * thread takes no lock and allocates nothing, and a reload never shows a half-read file. {@link #reloadIfChanged()}
 * is called on a scheduled thread; it re-reads the file when its modification time or size changed. A file that
 * fails to parse at start-up stops start-up (naming the line); a bad edit later is logged and the previous list is
 * kept, so a typo never opens or closes the tracker to everything.
 *
 * <p>It lives in {@code swarm} because it is announce policy (STYLE: "swarm state and policy"); it reads one small
 * file with the JDK and imports nothing from the adapters or {@code config}.
 */
public final class AccessPolicy {
    private static final Logger LOG = LoggerFactory.getLogger("hayate.access");
    private static final int HASH_LENGTH = AnnounceRequest.INFO_HASH_LENGTH;

    /** {@code access.mode}. */
    public enum Mode {
        OFF,
        ALLOW,
        DENY
    }

    /** Serves every torrent; never reloads. */
    public static final AccessPolicy OPEN = new AccessPolicy(Mode.OFF, null, HashSet20.EMPTY, 0, -1);

    private final Mode mode;
    private final Path file;
    private volatile HashSet20 list;
    private long lastModifiedMillis;
    private long lastSize;

    private AccessPolicy(Mode mode, Path file, HashSet20 list, long lastModifiedMillis, long lastSize) {
        this.mode = mode;
        this.file = file;
        this.list = list;
        this.lastModifiedMillis = lastModifiedMillis;
        this.lastSize = lastSize;
    }

    /**
     * Reads {@code file} for {@code mode} ({@link Mode#OFF} reads nothing).
     *
     * @throws IllegalArgumentException naming the file and line when it cannot be read or a line is not a hash
     */
    public static AccessPolicy load(Mode mode, Path file) {
        if (mode == Mode.OFF) {
            return OPEN;
        }
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            HashSet20 list = parse(file, Files.readAllLines(file, StandardCharsets.ISO_8859_1));
            AccessPolicy policy = new AccessPolicy(
                    mode, file, list, attributes.lastModifiedTime().toMillis(), attributes.size());
            LOG.info(
                    "access list {} ({} mode): {} info_hashes",
                    file,
                    mode.name().toLowerCase(),
                    list.size());
            return policy;
        } catch (IOException e) {
            throw new IllegalArgumentException("access.file " + file + ": cannot read: " + e);
        }
    }

    public Mode mode() {
        return mode;
    }

    /** How many info_hashes the current list holds. */
    public int size() {
        return list.size();
    }

    /** Whether the torrent {@code hashes[offset, offset + 20)} may be served. Allocation-free, lock-free. */
    public boolean allows(byte[] hashes, int offset) {
        switch (mode) {
            case ALLOW:
                return list.contains(hashes, offset);
            case DENY:
                return !list.contains(hashes, offset);
            default:
                return true;
        }
    }

    public boolean allows(byte[] infoHash) {
        return allows(infoHash, 0);
    }

    /**
     * Re-reads the file if its modification time or size changed since the last read. Logs one line on a reload, or
     * a warning (keeping the previous list) when the new file cannot be read or has a bad line. Called from one
     * scheduled thread only.
     *
     * @return true when a new list is now in use
     */
    public boolean reloadIfChanged() {
        if (mode == Mode.OFF) {
            return false;
        }
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            long modified = attributes.lastModifiedTime().toMillis();
            long size = attributes.size();
            if (modified == lastModifiedMillis && size == lastSize) {
                return false;
            }
            lastModifiedMillis = modified;
            lastSize = size;
            HashSet20 next = parse(file, Files.readAllLines(file, StandardCharsets.ISO_8859_1));
            list = next;
            LOG.info("access list {} reloaded: {} info_hashes", file, next.size());
            return true;
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn(
                    "access list {} not reloaded, keeping the previous {} info_hashes: {}",
                    file,
                    list.size(),
                    e.getMessage());
            return false;
        }
    }

    /** One info_hash per line as 40 hex digits; {@code #} starts a comment; blank lines are ignored. */
    static HashSet20 parse(Path file, List<String> lines) {
        byte[] hashes = new byte[lines.size() * HASH_LENGTH];
        int count = 0;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (text.isEmpty()) {
                continue;
            }
            if (text.length() != 2 * HASH_LENGTH) {
                throw badLine(file, n + 1, line);
            }
            for (int i = 0; i < HASH_LENGTH; i++) {
                int hi = Character.digit(text.charAt(2 * i), 16);
                int lo = Character.digit(text.charAt(2 * i + 1), 16);
                if (hi < 0 || lo < 0) {
                    throw badLine(file, n + 1, line);
                }
                hashes[count * HASH_LENGTH + i] = (byte) (hi << 4 | lo);
            }
            count++;
        }
        return new HashSet20(Arrays.copyOf(hashes, count * HASH_LENGTH), count);
    }

    private static IllegalArgumentException badLine(Path file, int lineNumber, String line) {
        String shown = line.length() > 60 ? line.substring(0, 60) + "..." : line;
        return new IllegalArgumentException("access.file " + file + " line " + lineNumber + ": '" + shown
                + "' is not an info_hash (40 hex digits, optionally followed by a # comment)");
    }

    /**
     * An immutable open-addressing set of 20-byte keys in one flat array (linear probing, load at most 1/2).
     * {@link #contains} allocates nothing.
     */
    static final class HashSet20 {
        static final HashSet20 EMPTY = new HashSet20(new byte[0], 0);

        private final byte[] slots;
        private final boolean[] used;
        private final int mask;
        private final int size;

        HashSet20(byte[] hashes, int count) {
            int capacity = Integer.highestOneBit(Math.max(2, count) * 2 - 1) << 1;
            slots = new byte[capacity * HASH_LENGTH];
            used = new boolean[capacity];
            mask = capacity - 1;
            int distinct = 0;
            for (int k = 0; k < count; k++) {
                int at = k * HASH_LENGTH;
                int slot = slot(hashes, at);
                while (used[slot] && !equalAt(slot, hashes, at)) {
                    slot = (slot + 1) & mask;
                }
                if (!used[slot]) {
                    used[slot] = true;
                    System.arraycopy(hashes, at, slots, slot * HASH_LENGTH, HASH_LENGTH);
                    distinct++;
                }
            }
            size = distinct;
        }

        int size() {
            return size;
        }

        boolean contains(byte[] hashes, int offset) {
            int slot = slot(hashes, offset);
            while (used[slot]) {
                if (equalAt(slot, hashes, offset)) {
                    return true;
                }
                slot = (slot + 1) & mask;
            }
            return false;
        }

        private boolean equalAt(int slot, byte[] hashes, int offset) {
            return Arrays.equals(
                    slots, slot * HASH_LENGTH, slot * HASH_LENGTH + HASH_LENGTH, hashes, offset, offset + HASH_LENGTH);
        }

        private int slot(byte[] hashes, int offset) {
            // info_hashes are SHA-1 output: their first bytes are already uniformly distributed, but a hostile list
            // is not, so mix all of one word anyway.
            int h = (hashes[offset] & 0xFF) << 24
                    | (hashes[offset + 1] & 0xFF) << 16
                    | (hashes[offset + 2] & 0xFF) << 8
                    | (hashes[offset + 3] & 0xFF);
            h ^= (hashes[offset + 16] & 0xFF) << 24
                    | (hashes[offset + 17] & 0xFF) << 16
                    | (hashes[offset + 18] & 0xFF) << 8
                    | (hashes[offset + 19] & 0xFF);
            h *= 0x9E3779B9;
            return (h ^ (h >>> 16)) & mask;
        }
    }
}

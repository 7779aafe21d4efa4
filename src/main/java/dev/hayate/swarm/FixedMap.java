package dev.hayate.swarm;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * A Chronicle map of fixed-size byte keys and values, read and written through a caller's off-heap staging buffers.
 * Measured on this machine: passing {@code byte[]} keys or values to Chronicle allocates 192 B per key or value
 * wrapped (its on-heap marshalling); passing a native {@link BytesStore} range allocates nothing. So each call stages
 * the key (and value) into the caller's {@link Staging} and queries with that. Allocation-free.
 */
final class FixedMap implements AutoCloseable {
    final ChronicleMap<byte[], byte[]> map;
    private final int keyLength;
    private final int valueLength;

    /** Off-heap buffers owned by one thread (Chronicle bytes are single-threaded by default). */
    static final class Staging {
        final BytesStore<?, Void> key = BytesStore.nativeStoreWithFixedCapacity(StoreLayout.PEER_KEY_LENGTH);
        final BytesStore<?, Void> value = BytesStore.nativeStoreWithFixedCapacity(StoreLayout.PAGE_LENGTH);
    }

    FixedMap(ChronicleMap<byte[], byte[]> map, int keyLength, int valueLength) {
        this.map = map;
        this.keyLength = keyLength;
        this.valueLength = valueLength;
    }

    /** Copies the value of {@code key} into {@code value}; false (value untouched) when absent. */
    boolean get(Staging st, byte[] key, byte[] value) {
        st.key.write(0, key, 0, keyLength);
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(st.key, 0, keyLength)) {
            MapEntry<byte[], byte[]> e = c.entry();
            if (e == null) {
                return false;
            }
            Data<byte[]> d = e.value();
            d.bytes().read(d.offset(), value, 0, valueLength);
            return true;
        }
    }

    /** Inserts or overwrites (in place: sizes are fixed). Throws IllegalStateException when the map is full. */
    void put(Staging st, byte[] key, byte[] value) {
        st.key.write(0, key, 0, keyLength);
        st.value.write(0, value, 0, valueLength);
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(st.key, 0, keyLength)) {
            c.updateLock().lock();
            MapEntry<byte[], byte[]> e = c.entry();
            Data<byte[]> data = c.wrapValueBytesAsData(st.value, 0, valueLength);
            if (e != null) {
                c.replaceValue(e, data);
            } else {
                c.insert(c.absentEntry(), data);
            }
        }
    }

    void remove(Staging st, byte[] key) {
        st.key.write(0, key, 0, keyLength);
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(st.key, 0, keyLength)) {
            c.updateLock().lock();
            MapEntry<byte[], byte[]> e = c.entry();
            if (e != null) {
                c.remove(e);
            }
        }
    }

    @Override
    public void close() {
        map.close();
    }
}

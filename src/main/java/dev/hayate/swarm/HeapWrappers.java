package dev.hayate.swarm;

import net.openhft.chronicle.bytes.BytesStore;

/**
 * The {@link BytesStore} wrappers of the few heap arrays one thread passes to one Chronicle map, found by identity,
 * so that handing an array to Chronicle allocates nothing after the first time (round-robin eviction). Shared by the
 * store's data accesses ({@link ReusedByteArrayAccess}, {@link SwarmValue.Access}). Not thread-safe: Chronicle gives
 * each thread its own data access ({@code copy()}).
 */
final class HeapWrappers {
    private final byte[][] arrays;
    private final BytesStore<?, ?>[] stores;
    private int nextVictim;

    HeapWrappers(int capacity) {
        arrays = new byte[capacity][];
        stores = new BytesStore<?, ?>[capacity];
    }

    BytesStore<?, ?> wrapperOf(byte[] array) {
        for (int i = 0; i < arrays.length; i++) {
            if (arrays[i] == array) {
                return stores[i];
            }
        }
        int i = nextVictim;
        nextVictim = (i + 1) % arrays.length;
        arrays[i] = array;
        stores[i] = BytesStore.wrap(array);
        return stores[i];
    }
}

package dev.hayate.swarm;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.AbstractData;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.serialization.DataAccess;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.wire.WireIn;
import net.openhft.chronicle.wire.WireOut;

/**
 * A reusable buffer for one swarm map value of variable size (see {@link StoreLayout}): {@link #bytes} holds the value
 * in its first {@link #length} bytes. With {@link Reader} and {@link Access}, Chronicle reads into and writes from the
 * same per-thread buffer every time, so get and put allocate nothing after warm-up (a {@code byte[]} value would need
 * an array of each exact size).
 *
 * <p>Public only because Chronicle instantiates the reader and access by name when it reads a persisted map's
 * header; not an API.
 */
public final class SwarmValue {
    final byte[] bytes = new byte[StoreLayout.MAX_SWARM_VALUE];
    int length;

    /** Reads a stored value into the buffer passed as {@code using}. */
    public static final class Reader implements SizedReader<SwarmValue> {
        @Override
        public SwarmValue read(Bytes<?> in, long size, SwarmValue using) {
            if (using == null) {
                using = new SwarmValue(); // only off the hot path (map views), never by the store's get
            }
            if (size > using.bytes.length) {
                throw new IllegalStateException("swarm value of " + size + " bytes: not a format-2 store");
            }
            in.read(using.bytes, 0, (int) size);
            using.length = (int) size;
            return using;
        }

        @Override
        public void writeMarshallable(WireOut wire) {
            // no configuration
        }

        @Override
        public void readMarshallable(WireIn wire) {
            // no configuration
        }
    }

    /** Exposes a buffer's first {@code length} bytes to Chronicle, through one heap wrapper per buffer. */
    public static final class Access extends AbstractData<SwarmValue> implements DataAccess<SwarmValue> {
        /** More than the distinct buffers one thread passes to one map (two). */
        private static final int CACHE_SIZE = 4;

        private transient HeapWrappers wrappers;
        private transient SwarmValue value;
        private transient BytesStore<?, ?> bytesStore;

        public Access() {
            initTransients();
        }

        private void initTransients() {
            wrappers = new HeapWrappers(CACHE_SIZE);
            value = null;
            bytesStore = null;
        }

        @Override
        public RandomDataInput bytes() {
            return bytesStore;
        }

        @Override
        public long offset() {
            return 0;
        }

        @Override
        public long size() {
            return value.length;
        }

        @Override
        public SwarmValue get() {
            return value;
        }

        @Override
        public SwarmValue getUsing(SwarmValue using) {
            if (using == null) {
                using = new SwarmValue();
            }
            System.arraycopy(value.bytes, 0, using.bytes, 0, value.length);
            using.length = value.length;
            return using;
        }

        @Override
        public Data<SwarmValue> getData(SwarmValue instance) {
            value = instance;
            bytesStore = wrappers.wrapperOf(instance.bytes);
            return this;
        }

        @Override
        public void uninit() {
            value = null;
            bytesStore = null;
        }

        @Override
        public DataAccess<SwarmValue> copy() {
            return new Access();
        }

        @Override
        public void writeMarshallable(WireOut wire) {
            // no configuration
        }

        @Override
        public void readMarshallable(WireIn wire) {
            initTransients();
        }
    }
}

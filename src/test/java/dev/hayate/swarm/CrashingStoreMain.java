package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceEvent;
import java.nio.file.Path;
import java.util.concurrent.locks.Lock;
import net.openhft.chronicle.map.ExternalMapQueryContext;

/**
 * Child JVM of {@link PersistenceTest}: fills a persisted store, then waits to be killed with SIGKILL (never closing
 * the store). Arguments: store directory, peer count, mode.
 *
 * <ul>
 *   <li>{@code stream}: says READY, then keeps announcing, so the kill lands mid-announce sometimes.
 *   <li>{@code damage}: leaves the store damaged the way a crash can, then says DAMAGED and hangs: it holds the write
 *       lock of the swarm map segment of torrent {@value #LOCKED_TORRENT}, and an announce of a new peer into the big
 *       swarm of torrent {@value #BIG_TORRENT} stops after writing the peer's block, before its swarm entry (the
 *       swarm's count) is written.
 * </ul>
 */
public final class CrashingStoreMain {
    static final int BIG_TORRENT = 100;
    static final int BIG_SWARM = 2000;
    static final int LOCKED_TORRENT = 3;
    /** The peer whose announce is cut short in damage mode. */
    static final int CUT_PEER = 900_000;

    public static void main(String[] args) throws Exception {
        int peers = Integer.parseInt(args[1]);
        String mode = args.length > 2 ? args[2] : "stream";
        ChronicleSwarmStore store = ChronicleSwarmStore.open(PersistenceTest.options(Path.of(args[0])));
        Announces a = new Announces(store);
        PersistenceTest.fill(a, peers);
        if (mode.equals("damage")) {
            for (int n = 0; n < BIG_SWARM; n++) {
                a.peer(BIG_TORRENT, 500_000 + n).left(n % 2).send(0);
            }
            byte[] locked = new byte[20];
            Announces.infoHash(locked, LOCKED_TORRENT);
            ExternalMapQueryContext<byte[], SwarmValue, ?> c = store.swarmsMap().queryContext(locked);
            Lock lock = c.writeLock();
            lock.lock(); // held until the kill
            ChronicleSwarmStore.afterBlockWrite = () -> {
                System.out.println("DAMAGED");
                System.out.flush();
                while (true) {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        // wait for SIGKILL
                    }
                }
            };
            a.peer(BIG_TORRENT, CUT_PEER).left(10).send(0);
            throw new AssertionError("the hook did not run");
        }
        System.out.println("READY");
        System.out.flush();
        for (int i = 0; ; i++) {
            AnnounceEvent event = i % 3 == 0 ? AnnounceEvent.STOPPED : AnnounceEvent.NONE;
            a.peer(i % 7, peers + (i % 1000)).left(i % 2).event(event);
            a.send(10);
        }
    }
}

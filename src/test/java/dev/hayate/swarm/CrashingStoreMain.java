package dev.hayate.swarm;

import dev.hayate.protocol.AnnounceEvent;
import java.nio.file.Path;

/**
 * Child JVM of {@link PersistenceTest}: fills a persisted store, says READY, then waits to be killed with SIGKILL
 * (never closing the store). Arguments: store directory, peer count.
 */
public final class CrashingStoreMain {
    public static void main(String[] args) throws Exception {
        int peers = Integer.parseInt(args[1]);
        ChronicleSwarmStore store = ChronicleSwarmStore.open(PersistenceTest.options(Path.of(args[0])));
        Announces a = new Announces(store);
        PersistenceTest.fill(a, peers);
        System.out.println("READY");
        System.out.flush();
        // Keep announcing while waiting to be killed, so the kill lands mid-announce sometimes.
        for (int i = 0; ; i++) {
            AnnounceEvent event = i % 3 == 0 ? AnnounceEvent.STOPPED : AnnounceEvent.NONE;
            a.peer(i % 7, peers + (i % 1000)).left(i % 2).event(event);
            a.send(10);
        }
    }
}

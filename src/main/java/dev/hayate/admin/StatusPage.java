package dev.hayate.admin;

import java.util.Locale;

/**
 * Renders the status page: a self-contained HTML document with an inline SVG chart, no scripts and no external
 * assets. Everything it prints is a number or a string from {@link Status}, which the server fills from its own
 * state; nothing from the request is ever written into the page.
 */
final class StatusPage {
    static final int CHART_WIDTH = 600;
    static final int CHART_HEIGHT = 140;
    private static final int BARS = 60;

    private StatusPage() {}

    /**
     * One snapshot of what the page shows.
     *
     * @param minutes announces in each completed minute, oldest first (at most 59 are drawn)
     * @param currentMinute announces so far in the minute not yet sampled
     * @param webTorrent the WebTorrent swarms (their own, apart from the BitTorrent ones); {@code null} when off
     */
    record Status(
            String version,
            long uptimeSeconds,
            long torrents,
            long seeders,
            long leechers,
            double capacityUsed,
            long[] minutes,
            long currentMinute,
            WebTorrent webTorrent) {
        Status(
                String version,
                long uptimeSeconds,
                long torrents,
                long seeders,
                long leechers,
                double capacityUsed,
                long[] minutes,
                long currentMinute) {
            this(version, uptimeSeconds, torrents, seeders, leechers, capacityUsed, minutes, currentMinute, null);
        }

        long peers() {
            return seeders + leechers;
        }

        /** The 60 bars of the chart, oldest first: the last 59 completed minutes (zeros before start) and now. */
        long[] bars() {
            long[] bars = new long[BARS];
            int completed = Math.min(minutes.length, BARS - 1);
            System.arraycopy(minutes, minutes.length - completed, bars, BARS - 1 - completed, completed);
            bars[BARS - 1] = currentMinute;
            return bars;
        }

        long announcesLastHour() {
            long sum = 0;
            for (long b : bars()) {
                sum += b;
            }
            return sum;
        }
    }

    /** The WebTorrent tracker's live sockets and swarms. */
    record WebTorrent(long connections, long torrents, long seeders, long leechers) {}

    static String render(Status s) {
        StringBuilder h = new StringBuilder(8192);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Hayate status</title>\n<style>\n")
                .append("body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:640px;color:#222;"
                        + "background:#fafafa}\n")
                .append("h1{font-size:1.4rem;margin:0 0 1rem}\n")
                .append("table{border-collapse:collapse;margin-bottom:1.5rem}\n")
                .append("th{text-align:left;font-weight:normal;color:#555;padding:.2rem 2rem .2rem 0}\n")
                .append("td{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}\n")
                .append("figure{margin:0}figcaption{color:#555;margin-bottom:.4rem}\n")
                .append("footer{color:#777;font-size:.85rem;margin-top:1.5rem}\n")
                .append("</style>\n</head>\n<body>\n<h1>Hayate tracker</h1>\n<table>\n");
        row(h, "torrents", "Torrents", Long.toString(s.torrents()));
        row(h, "peers", "Peers", Long.toString(s.peers()));
        row(h, "seeders", "Seeders", Long.toString(s.seeders()));
        row(h, "leechers", "Leechers", Long.toString(s.leechers()));
        row(h, "capacity", "Store capacity used", String.format(Locale.ROOT, "%.2f%%", s.capacityUsed() * 100));
        if (s.webTorrent() != null) {
            StatusPage.WebTorrent w = s.webTorrent();
            row(h, "ws-connections", "WebTorrent connections", Long.toString(w.connections()));
            row(h, "ws-torrents", "WebTorrent torrents", Long.toString(w.torrents()));
            row(h, "ws-peers", "WebTorrent peers", Long.toString(w.seeders() + w.leechers()));
            row(h, "ws-seeders", "WebTorrent seeders", Long.toString(w.seeders()));
            row(h, "ws-leechers", "WebTorrent leechers", Long.toString(w.leechers()));
        }
        row(h, "announces-hour", "Announces, last hour", Long.toString(s.announcesLastHour()));
        row(h, "uptime", "Uptime", uptime(s.uptimeSeconds()));
        row(h, "version", "Version", escape(s.version()));
        h.append("</table>\n");
        chart(h, s.bars());
        h.append("<footer>Prometheus metrics: <code>/metrics</code> on this listener.</footer>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void row(StringBuilder h, String id, String label, String value) {
        h.append("<tr><th>")
                .append(label)
                .append("</th><td id=\"")
                .append(id)
                .append("\">")
                .append(value)
                .append("</td></tr>\n");
    }

    /** Bars scaled to the busiest minute; the rightmost bar is the current, unfinished minute (lighter). */
    private static void chart(StringBuilder h, long[] bars) {
        long peak = 0;
        for (long b : bars) {
            peak = Math.max(peak, b);
        }
        long max = Math.max(1, peak);
        int plotHeight = CHART_HEIGHT - 20;
        double slot = (double) CHART_WIDTH / bars.length;
        h.append("<figure>\n<figcaption>Announces per minute, last hour (peak ")
                .append(peak)
                .append(")</figcaption>\n")
                .append("<svg id=\"announce-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(CHART_WIDTH)
                .append("\" height=\"")
                .append(CHART_HEIGHT)
                .append("\" viewBox=\"0 0 ")
                .append(CHART_WIDTH)
                .append(' ')
                .append(CHART_HEIGHT)
                .append("\" role=\"img\" aria-label=\"announces per minute\">\n")
                .append("<rect x=\"0\" y=\"0\" width=\"")
                .append(CHART_WIDTH)
                .append("\" height=\"")
                .append(plotHeight)
                .append("\" fill=\"#fff\" stroke=\"#ddd\"/>\n");
        for (int i = 0; i < bars.length; i++) {
            double height = bars[i] == 0 ? 0 : Math.max(1, (double) bars[i] * (plotHeight - 4) / max);
            h.append(String.format(
                    Locale.ROOT,
                    "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                            + "<title>%s: %d</title></rect>\n",
                    i * slot + 1,
                    plotHeight - height,
                    slot - 2,
                    height,
                    i == bars.length - 1 ? "#8fb8e0" : "#2f6fb0",
                    i == bars.length - 1 ? "this minute" : (bars.length - 1 - i) + " min ago",
                    bars[i]));
        }
        h.append("<text x=\"0\" y=\"")
                .append(CHART_HEIGHT - 4)
                .append("\" font-size=\"12\" fill=\"#555\">")
                .append("60 min ago</text>\n")
                .append("<text x=\"")
                .append(CHART_WIDTH)
                .append("\" y=\"")
                .append(CHART_HEIGHT - 4)
                .append("\" font-size=\"12\" fill=\"#555\" text-anchor=\"end\">now</text>\n")
                .append("</svg>\n</figure>\n");
    }

    static String uptime(long seconds) {
        long d = seconds / 86_400;
        long hours = seconds / 3_600 % 24;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return d > 0
                ? String.format(Locale.ROOT, "%dd %dh %02dm", d, hours, m)
                : String.format(Locale.ROOT, "%dh %02dm %02ds", hours, m, sec);
    }

    /** The version comes from the jar manifest, not from a request; escaped anyway, as any text in HTML should be. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}

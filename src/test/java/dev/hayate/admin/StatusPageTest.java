package dev.hayate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StatusPageTest {

    private static StatusPage.Status status(long[] minutes, long current) {
        return new StatusPage.Status("1.2.3", 93_784, 12, 30, 7, 0.25, minutes, current);
    }

    @Test
    void shouldShowEveryNumberWhenRendered() {
        String html = StatusPage.render(status(new long[] {5, 10}, 3));
        assertTrue(html.contains("<td id=\"torrents\">12</td>"), html);
        assertTrue(html.contains("<td id=\"peers\">37</td>"), html);
        assertTrue(html.contains("<td id=\"seeders\">30</td>"), html);
        assertTrue(html.contains("<td id=\"leechers\">7</td>"), html);
        assertTrue(html.contains("<td id=\"capacity\">25.00%</td>"), html);
        assertTrue(html.contains("<td id=\"announces-hour\">18</td>"), html);
        assertTrue(html.contains("<td id=\"uptime\">1d 2h 03m</td>"), html);
        assertTrue(html.contains("<td id=\"version\">1.2.3</td>"), html);
    }

    @Test
    void shouldShowTheWebTorrentSwarmsApartWhenTheWebTorrentTrackerRuns() {
        String html = StatusPage.render(new StatusPage.Status(
                "1.2.3", 5, 12, 30, 7, 0.25, new long[0], 0, new StatusPage.WebTorrent(9, 4, 2, 6)));
        assertTrue(html.contains("<td id=\"ws-connections\">9</td>"), html);
        assertTrue(html.contains("<td id=\"ws-torrents\">4</td>"), html);
        assertTrue(html.contains("<td id=\"ws-peers\">8</td>"), html);
        assertTrue(html.contains("<td id=\"ws-seeders\">2</td>"), html);
        assertTrue(html.contains("<td id=\"ws-leechers\">6</td>"), html);
        assertTrue(html.contains("<td id=\"peers\">37</td>"), "the BitTorrent counts stay their own");
        assertFalse(StatusPage.render(status(new long[0], 0)).contains("ws-connections"), "no rows when ws is off");
    }

    @Test
    void shouldDrawSixtyBarsScaledToThePeakWhenTheHourIsPartlyFilled() {
        String html = StatusPage.render(status(new long[] {40, 10}, 20));
        Matcher bar =
                Pattern.compile("<rect class=\"bar\"[^>]* height=\"([0-9.]+)\"").matcher(html);
        int bars = 0;
        double tallest = 0;
        double last = 0;
        while (bar.find()) {
            bars++;
            last = Double.parseDouble(bar.group(1));
            tallest = Math.max(tallest, last);
        }
        assertEquals(60, bars);
        assertEquals(StatusPage.CHART_HEIGHT - 24, tallest, 0.01);
        assertEquals(tallest / 2, last, 0.01, "the current minute, 20, is half the peak of 40");
        assertTrue(html.contains("(peak 40)"), html);
    }

    @Test
    void shouldContainNoScriptOrExternalReferenceWhenRendered() {
        String html = StatusPage.render(status(new long[0], 0)).toLowerCase();
        assertFalse(html.contains("<script"), html);
        assertFalse(html.contains("src="), html);
        assertFalse(html.contains("href="), html);
        assertFalse(html.contains("url("), html);
        // The SVG namespace is an identifier, not a fetch; nothing else may name a URL.
        assertEquals(1, html.split("http", -1).length - 1, html);
    }

    @Test
    void shouldEscapeMarkupWhenTextContainsIt() {
        assertEquals("a&lt;b&gt;&amp;&quot;&#39;", StatusPage.escape("a<b>&\"'"));
        assertTrue(StatusPage.render(new StatusPage.Status("<x>", 5, 0, 0, 0, 0, new long[0], 0))
                .contains("<td id=\"version\">&lt;x&gt;</td>"));
    }
}

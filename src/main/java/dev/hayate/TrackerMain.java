package dev.hayate;

public final class TrackerMain {
    public static void main(String[] args) {}
}

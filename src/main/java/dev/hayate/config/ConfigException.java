package dev.hayate.config;

/** A start-up configuration problem; the message names the key. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}

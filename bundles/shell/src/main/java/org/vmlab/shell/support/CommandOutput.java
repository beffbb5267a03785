package org.vmlab.shell.support;

/** What a command prints: one JSON object with --json, text otherwise; progress lines only for people. */
public final class CommandOutput {
    private final boolean json;

    public CommandOutput(boolean json) {
        this.json = json;
    }

    public void print(Object jsonValue, String text) {
        System.out.println(json ? Json.write(jsonValue) : text);
    }

    /** A progress line for people; nothing with --json, whose stdout is one object. */
    public void progress(String line) {
        if (!json) {
            System.out.println("  " + line);
            System.out.flush();
        }
    }
}

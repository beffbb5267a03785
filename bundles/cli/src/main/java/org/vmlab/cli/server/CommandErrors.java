package org.vmlab.cli.server;

/** How a failed command is reported to a script: one line, never a stack trace. */
final class CommandErrors {
    private CommandErrors() {
    }

    static String oneLine(Throwable e) {
        Throwable t = e;
        // Gogo wraps what a command throws; the innermost message is the one the command wrote.
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        message = message.replaceAll("\u001B\\[[0-9;]*m", ""); // Karaf colours some parse errors
        message = message.strip();
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl).strip();
        if (line.equals("Too many arguments specified")) {
            // Karaf stops reading options at the first argument; say so, it surprises everyone once.
            line += " (options go before arguments: command [options] arguments)";
        }
        return line;
    }

    static boolean isCommandNotFound(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getClass().getSimpleName().equals("CommandNotFoundException")) {
                return true;
            }
        }
        return false;
    }
}

package org.vmlab.cli.server;

import java.util.List;
import java.util.regex.Pattern;

/** Turns the argument vector a script passed to {@code bin/vmlab} into one shell command line. */
final class CommandLines {
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_./:@%+,=-]+");

    private CommandLines() {
    }

    /**
     * A single argument with white space is taken as a whole command line, so
     * {@code bin/vmlab "feature:list | grep vmlab"} works; otherwise each argument is quoted as
     * needed, so values with spaces or shell characters reach the command unchanged.
     */
    static String join(List<String> args) {
        if (args.size() == 1 && args.get(0).strip().contains(" ")) {
            return args.get(0);
        }
        StringBuilder line = new StringBuilder();
        for (String arg : args) {
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(quote(arg));
        }
        return line.toString();
    }

    static String quote(String arg) {
        if (BARE.matcher(arg).matches()) {
            return arg;
        }
        StringBuilder q = new StringBuilder("\"");
        for (char c : arg.toCharArray()) {
            if (c == '"' || c == '\\' || c == '$') {
                q.append('\\');
            }
            q.append(c);
        }
        return q.append('"').toString();
    }
}

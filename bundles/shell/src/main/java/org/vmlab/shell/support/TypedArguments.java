package org.vmlab.shell.support;

import java.util.List;
import java.util.Optional;

import org.apache.karaf.shell.api.console.CommandLine;

/** What completers read from the command line typed so far. */
public final class TypedArguments {
    private TypedArguments() {
    }

    /**
     * The value given to an option before the cursor ({@code --engine precopy} or
     * {@code --engine=precopy}), the last one if it is given twice.
     */
    public static Optional<String> optionValue(CommandLine line, String... names) {
        String[] args = line.getArguments();
        int end = Math.min(args.length, Math.max(0, line.getCursorArgumentIndex()));
        List<String> wanted = List.of(names);
        String value = null;
        for (int i = 1; i < end; i++) {
            String a = args[i];
            int eq = a.indexOf('=');
            if (a.startsWith("-") && eq > 0 && wanted.contains(a.substring(0, eq))) {
                value = a.substring(eq + 1);
            } else if (wanted.contains(a) && i + 1 < end) {
                value = args[++i];
            }
        }
        return Optional.ofNullable(value).filter(v -> !v.isEmpty());
    }

    /** The first argument after the command name that is not an option (all flags assumed boolean). */
    public static Optional<String> firstArgument(CommandLine line) {
        String[] args = line.getArguments();
        int end = Math.min(args.length, Math.max(0, line.getCursorArgumentIndex()));
        for (int i = 1; i < end; i++) {
            if (!args[i].startsWith("-")) {
                return Optional.of(args[i]);
            }
        }
        return Optional.empty();
    }

    /** The part of the argument under the cursor that is left of the cursor. */
    public static String prefix(CommandLine line) {
        String arg = line.getCursorArgument();
        if (arg == null) {
            return "";
        }
        return arg.substring(0, Math.max(0, Math.min(arg.length(), line.getArgumentPosition())));
    }
}

package org.vmlab.shell.support;

import java.io.PrintStream;
import java.util.List;

import org.vmlab.api.provider.ProviderInfo;

/**
 * What {@code --option help} and {@code --param help} print: the settings of the providers the
 * command would use, as tables, or as one JSON array of providers with {@code --json}.
 */
public final class SettingHelp {
    /** The value of {@code --option} / {@code --param} that asks for this help. */
    public static final String HELP = "help";

    private final boolean json;
    private final PrintStream out;

    public SettingHelp(boolean json, PrintStream out) {
        this.json = json;
        this.out = out;
    }

    /**
     * @param flag      how the settings are given, e.g. {@code migration:start --option}
     * @param providers whose settings to show, in order
     */
    public void show(String flag, List<ProviderInfo> providers) {
        if (json) {
            out.println(Json.write(providers.stream().map(ProviderViews::json).toList()));
            return;
        }
        for (int i = 0; i < providers.size(); i++) {
            if (i > 0) {
                out.println();
            }
            SettingViews.printTable(providers.get(i), flag, out);
        }
    }
}

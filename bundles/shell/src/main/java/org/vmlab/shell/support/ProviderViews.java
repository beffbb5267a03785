package org.vmlab.shell.support;

import java.util.LinkedHashMap;
import java.util.Map;

import org.vmlab.api.provider.ProviderInfo;

/** The machine-readable view of a provider that policy: commands print with --json. */
public final class ProviderViews {
    private ProviderViews() {
    }

    /** The provider's fields, then {@code settings}: its parameters or options, described. */
    public static Map<String, Object> json(ProviderInfo p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("family", p.family());
        m.put("name", p.name());
        m.put("description", p.description());
        m.put("bundle", p.bundle());
        m.put("bundleVersion", p.bundleVersion());
        m.put("ranking", p.ranking());
        m.put("serviceId", p.serviceId());
        m.put("isDefault", p.isDefault());
        m.put("settings", p.settings().stream().map(SettingViews::json).toList());
        return m;
    }
}

package org.vmlab.api.provider;

/** Service property names shared by all vmlab providers. */
public final class ProviderProperties {
    /** Name of the provider, unique within its family; users select providers by it. */
    public static final String NAME = "vmlab.name";
    /** {@link Family#id()} of the provider. */
    public static final String FAMILY = "vmlab.family";
    /** One line saying what the provider does; shown by {@code policy:list}. */
    public static final String DESCRIPTION = "vmlab.description";
    /** On {@code VmBackend} services: {@code emu} or {@code qemu}. */
    public static final String BACKEND = "vmlab.backend";

    private ProviderProperties() {
    }
}

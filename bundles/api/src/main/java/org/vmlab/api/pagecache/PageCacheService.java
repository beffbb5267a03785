package org.vmlab.api.pagecache;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.vm.Vm;

/**
 * Runs the installed page-cache detectors on a VM and checks what they find, for the shell and
 * experiments ({@code pagecache:list}, {@code pagecache:show}).
 *
 * @since 1.1
 */
@ProviderType
public interface PageCacheService {

    /** The installed detectors' names, the default first. */
    List<String> detectors();

    /** Every installed detector on {@code vm}, one after another. */
    List<Detection> detectAll(Vm vm);

    /**
     * One detector on {@code vm}.
     *
     * @throws IllegalArgumentException naming the installed detectors, if none is called {@code detector}
     */
    Detection detect(Vm vm, String detector);
}

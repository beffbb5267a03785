package org.vmlab.shell.support;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;

/** Completes the names of the installed page-cache detectors. */
@Service
public class DetectorCompleter extends ProviderCompleter {
    public DetectorCompleter() {
        super(Family.PAGECACHE);
    }
}

package org.vmlab.shell.storage;

import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "storage", name = "unexport", description = "Stops serving an export; its image and bitmap stay.")
public class StorageUnexportCommand extends StorageAction {

    @Argument(index = 0, name = "name", description = "Export name", required = true)
    String name;

    @Override
    public Object execute() {
        storage().unexport(name);
        print(Map.of("unexported", name), "No longer serving '" + name + "'.");
        return null;
    }
}

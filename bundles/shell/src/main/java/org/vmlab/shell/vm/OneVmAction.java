package org.vmlab.shell.vm;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.vmlab.api.vm.Vm;
import org.vmlab.shell.support.VmCompleter;

/** A vm: command about one VM, named by its first argument. */
abstract class OneVmAction extends VmAction {

    @Argument(index = 0, name = "vm", required = true, description = "VM id")
    @Completion(VmCompleter.class)
    String id;

    @Override
    public final Object execute() {
        execute(vm(id));
        return null;
    }

    abstract void execute(Vm vm);
}

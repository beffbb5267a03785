package org.vmlab.qemu;

import org.vmlab.api.VmlabException;
import org.vmlab.api.guest.GuestTask;
import org.vmlab.api.guest.TaskHandle;
import org.vmlab.api.guest.Vcpus;

/** QEMU guests run their own software: they count vCPUs but take no vmlab tasks. */
final class QemuVcpus implements Vcpus {
    private final int count;

    QemuVcpus(int count) {
        this.count = count;
    }

    @Override
    public int count() {
        return count;
    }

    @Override
    public TaskHandle submit(String name, GuestTask task) {
        throw new VmlabException("qemu guests run their own programs; vmlab tasks ('" + name
                + "') cannot run on their vCPUs");
    }
}

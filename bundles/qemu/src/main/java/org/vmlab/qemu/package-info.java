/** The QEMU VM backend (private: other bundles see it only as a {@code VmBackend} service). */
package org.vmlab.qemu;

/**
 * Page-cache detectors: find guest page frames that hold clean copies of disk blocks, so that with
 * shared storage a migration sends them as (frame, block) references and the destination reads the
 * blocks itself. Researchers add detectors by implementing {@link PageCacheDetector}.
 */
@Export
@Version("1.1.0")
package org.vmlab.api.pagecache;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

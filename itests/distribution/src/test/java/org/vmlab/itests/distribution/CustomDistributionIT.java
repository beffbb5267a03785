package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** examples/custom-dist: a distribution composed of chosen vmlab features boots and serves bin/vmlab. */
class CustomDistributionIT {

    @Test
    void composedDistributionBootsOnlyTheChosenFeatures() throws Exception {
        Path work = Path.of(System.getProperty("vmlab.work.dir") + "-custom");
        try (Distribution custom = Distribution.unpack(Path.of(System.getProperty("vmlab.custom.archive")), work)) {
            Distribution.Result list = custom.vmlab("policy:list", "--json");
            assertEquals(0, list.exit(), list.stderr());
            JsonNode providers = new ObjectMapper().readTree(list.stdout());
            assertEquals(4, providers.size(), list.stdout());
            for (JsonNode p : providers) {
                assertEquals("ordering", p.get("family").asText());
            }
            Distribution.Result features = custom.vmlab("feature:list", "-i");
            assertEquals(0, features.exit(), features.stderr());
            assertTrue(features.stdout().lines().anyMatch(l -> l.startsWith("vmlab-ordering ")), features.stdout());
            assertTrue(features.stdout().lines().noneMatch(l -> l.startsWith("vmlab ")), "the aggregate is not installed: " + features.stdout());
        }
    }
}

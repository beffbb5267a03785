package org.vmlab.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.vmlab.transport.SharedSecret;

class OrderTest {
    private static final SharedSecret SECRET = SharedSecret.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    private static final SharedSecret OTHER = SharedSecret.of("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8));

    private static Order order() {
        return Order.issue("o1", "vm1", "a", "b", "127.0.0.1:7301", null, true, null, "a", 7, 60_000, SECRET);
    }

    @Test
    void anOrderIsSignedWithTheClusterSecretAndSurvivesJson() {
        Order o = Records.read(Records.write(order()), Order.class);
        assertTrue(o.signedBy(SECRET));
        assertFalse(o.signedBy(OTHER), "another secret does not verify it");
        Order done = o.withOutcome(Order.COMPLETED, "m1", 10, 20, "passed", "");
        assertTrue(done.signedBy(SECRET), "the outcome fields are not part of the decision");
        assertTrue(done.isFinal());
    }

    @Test
    void aTamperedDecisionFailsItsSignature() {
        String json = Records.write(order());
        for (String[] change : new String[][]{{"\"epoch\":7", "\"epoch\":8"}, {"\"to\":\"b\"", "\"to\":\"c\""},
                {"127.0.0.1:7301", "127.0.0.1:7302"}, {"\"vm\":\"vm1\"", "\"vm\":\"vm2\""}}) {
            Order forged = Records.read(json.replace(change[0], change[1]), Order.class);
            assertNotEquals(json, Records.write(forged));
            assertFalse(forged.signedBy(SECRET), "changed " + change[0]);
        }
    }

    @Test
    void theEngineClusterNameDependsOnTheSecretButDoesNotContainIt() {
        String a = HazelcastMember.engineClusterName("lab", SECRET);
        assertEquals(a, HazelcastMember.engineClusterName("lab", SECRET));
        assertNotEquals(a, HazelcastMember.engineClusterName("lab", OTHER));
        assertTrue(a.startsWith("lab-"));
        assertFalse(a.contains("0123456789abcdef"));
    }

    @Test
    void recordsFromAnotherBuildAreIgnoredNotFatal() {
        assertEquals(null, Records.read("{not json", Order.class));
        Order o = Records.read(Records.write(order()).replace("{", "{\"future\":1,"), Order.class);
        assertEquals("vm1", o.vm());
    }
}

package org.vmlab.api.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

    @ParameterizedTest
    @CsvSource({
            "10.0.0.2:7001, 10.0.0.2, 7001",
            "node2:7001, node2, 7001",
            "localhost:1, localhost, 1",
            "host.example.org:65535, host.example.org, 65535",
            "[::1]:7001, ::1, 7001",
            "[fe80::1%eth0]:22, fe80::1%eth0, 22",
            "' node2:80 ', node2, 80",
    })
    void parses(String text, String host, int port) {
        Endpoint e = Endpoint.parse(text);
        assertEquals(new Endpoint(host, port), e);
        assertEquals(e, Endpoint.parse(e.toString()));
    }

    @Test
    void formatsIpv6InBrackets() {
        assertEquals("[::1]:7001", new Endpoint("::1", 7001).toString());
        assertEquals("node2:7001", new Endpoint("node2", 7001).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "node2", "node2:", ":7001", "::1:7001", "[::1]", "[::1]7001",
            "[]:7001", "node 2:7001", "node2:70a", "node2:-1", "node2:+80", "a:b:c"})
    void rejectsNonEndpoints(String text) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text));
        assertTrue(e.getMessage().startsWith("not an endpoint: '" + text + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"node2:0", "node2:65536", "[::1]:70000", "node2:99999999999"})
    void rejectsBadPorts(String text) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text));
        assertTrue(e.getMessage().startsWith("port must be 1..65535"), e.getMessage());
    }

    @Test
    void validatesConstructor() {
        assertThrows(IllegalArgumentException.class, () -> new Endpoint("h", 0));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(" ", 1));
        assertThrows(NullPointerException.class, () -> new Endpoint(null, 1));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(null));
    }
}

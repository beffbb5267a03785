package org.vmlab.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class CommandLinesTest {

    @Test
    void plainArgumentsStayAsTheyAre() {
        assertEquals("policy:list --family ordering --json", CommandLines.join(List.of("policy:list", "--family", "ordering", "--json")));
    }

    @Test
    void argumentsWithSpacesOrShellCharactersAreQuoted() {
        assertEquals("vm:create \"my vm\" \"a\\\"b\" \"\\$HOME\" \"x;y\"", CommandLines.join(List.of("vm:create", "my vm", "a\"b", "$HOME", "x;y")));
        assertEquals("echo \"\"", CommandLines.join(List.of("echo", "")));
    }

    @Test
    void oneArgumentWithSpacesIsAWholeCommandLine() {
        assertEquals("feature:list | grep vmlab", CommandLines.join(List.of("feature:list | grep vmlab")));
    }

    @Test
    void errorsAreOneLineWithoutColour() {
        Exception wrapped = new RuntimeException(null, new IllegalArgumentException("\u001B[1mbad\u001B[0m value\n  at somewhere"));
        assertEquals("bad value", CommandErrors.oneLine(wrapped));
        assertEquals("IllegalStateException", CommandErrors.oneLine(new IllegalStateException()));
        assertEquals("Too many arguments specified (options go before arguments: command [options] arguments)",
                CommandErrors.oneLine(new IllegalArgumentException("Too many arguments specified")));
    }
}

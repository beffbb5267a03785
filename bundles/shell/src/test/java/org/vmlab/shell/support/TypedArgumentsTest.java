package org.vmlab.shell.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.vmlab.shell.support.FakeCatalog.line;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class TypedArgumentsTest {
    @Test
    void findsAnOptionValueLeftOfTheCursorInEitherForm() {
        assertEquals(Optional.of("postcopy"), TypedArguments.optionValue(line("migration:start --engine postcopy --option "),
                "--engine", "-e"));
        assertEquals(Optional.of("hybrid"), TypedArguments.optionValue(line("migration:start -e hybrid --option "),
                "--engine", "-e"));
        assertEquals(Optional.of("hybrid"), TypedArguments.optionValue(line("migration:start --engine=hybrid --option "),
                "--engine", "-e"));
        assertEquals(Optional.of("b"), TypedArguments.optionValue(line("migration:start -e a -e b --option "),
                "--engine", "-e"));
    }

    @Test
    void anOptionWithoutItsValueOrNotGivenIsEmpty() {
        assertEquals(Optional.empty(), TypedArguments.optionValue(line("migration:start --option "), "--engine"));
        // The value is still being typed under the cursor: not a value yet.
        assertEquals(Optional.empty(), TypedArguments.optionValue(line("migration:start --engine "), "--engine"));
        assertEquals(Optional.empty(), TypedArguments.optionValue(line("migration:start --engine= --option "), "--engine"));
    }

    @Test
    void firstArgumentSkipsFlagsAndPrefixIsWhatIsLeftOfTheCursor() {
        assertEquals(Optional.of("engine"), TypedArguments.firstArgument(line("policy:info --json engine pre")));
        assertEquals(Optional.empty(), TypedArguments.firstArgument(line("policy:info --json eng")));
        assertEquals("pre", TypedArguments.prefix(line("policy:info engine pre")));
        assertEquals("", TypedArguments.prefix(line("policy:info engine ")));
    }
}

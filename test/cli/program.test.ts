/**
 * The program loads only the module of the command asked for (src/cli/program.ts): the table of
 * top-level commands must name, for each, the module that registers exactly that command, and
 * the arguments must be read as commander reads them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProgram, commandAskedFor, COMMANDS } from '../../src/cli/program.ts';

test('each top-level command is registered by the module the table names, and by it alone', async () => {
  for (const name of Object.keys(COMMANDS)) {
    const program = await buildProgram(name);
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      [name],
      `COMMANDS.${name} loads the module registering ${name}`,
    );
  }
  const all = await buildProgram();
  assert.deepEqual(
    all.commands.map((c) => c.name()),
    Object.keys(COMMANDS),
    'every command, in help order',
  );
});

test('the command asked for is the first argument that is not a global option or its value', () => {
  assert.equal(commandAskedFor(['x12', 'validate', 'a.edi']), 'x12');
  assert.equal(commandAskedFor(['--config', 'store', 'start', '--once']), 'start', "the config file's name is not a command");
  assert.equal(commandAskedFor(['-c', 'x.yaml', 'messages', 'list']), 'messages');
  assert.equal(commandAskedFor(['--config=x.yaml', 'serve']), 'serve');
  assert.equal(commandAskedFor([]), null, 'no command: the full help');
  assert.equal(commandAskedFor(['--help']), null);
  assert.equal(commandAskedFor(['help', 'x12']), null, "commander's help command sees them all");
  assert.equal(commandAskedFor(['x21', 'validate']), null, 'a typo: commander suggests from them all');
});

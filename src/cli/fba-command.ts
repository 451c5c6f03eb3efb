/** PLACEHOLDER (issue 12): `dockgate fba ...` is being written. */
import type { Command } from 'commander';

export function registerFbaCommands(program: Command): void {
  void program;
}

/** PLACEHOLDER (issue 12): `dockgate reconcile ...` is being written. */
import type { Command } from 'commander';

export function registerReconcileCommands(program: Command): void {
  void program;
}

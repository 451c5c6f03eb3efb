/**
 * `dockgate demo` put together: the story told with its progress lines, the summary, then
 * (without --once) the gateway and the simulated warehouses kept running on the live clock
 * with the dashboard up until Ctrl-C. Exit 0 when everything went as designed, 1 with the
 * reasons when not.
 */
import type { LoadedConfig } from '../../config/config.ts';
import { requireDataDir } from '../user-paths.ts';
import { loadScenario } from './scenario-file.ts';
import { STEPS, tellStory, type Progress } from './story.ts';
import { shownPath } from './paths.ts';
import { summarize } from './summary.ts';

export interface DemoOptions {
  once: boolean;
  /** The dashboard's port (0: a free one). */
  httpPort: number;
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function runDemo(loaded: LoadedConfig, o: DemoOptions): Promise<number> {
  requireDataDir(loaded.dataDir);
  const scenario = loadScenario();
  const began = Date.now();
  const progress: Progress = (step, title, details = []) => {
    o.out(`${step}/${STEPS} ${title}`);
    for (const d of details) o.out(`    ${d}`);
  };
  o.out('Dockgate demo: the gateway between a seller\'s Amazon account and its warehouses, on a local SP-API emulator and two simulated 3PLs (no outside services).');
  o.out(`The story: two hours of a gateway's day (${shownPath(scenario.file)}), its clock moved from step to step rather than waited for.`);
  const story = await tellStory({ loaded, scenario, progress, say: o.out });
  let closed = false;
  try {
    const summary = await summarize(story, loaded, Date.now() - began);
    const unexpected = [...story.unexpected, ...summary.unexpected];
    o.out(`\n${summary.text}`);
    if (unexpected.length) {
      o.err(`dockgate demo: ${unexpected.length} thing(s) did not go as the demo is designed:`);
      for (const u of unexpected) o.err(`  ${u}`);
      o.out(`\nThe demo did NOT run as designed: why is on stderr, the detail in ${shownPath(story.logFile)}.`);
    } else {
      o.out('\nEverything went as designed: the exceptions above are the demo\'s, one of each kind it shows.');
    }
    if (o.once) return unexpected.length ? 1 : 0;
    closed = true;
    const { keepRunning } = await import('./live.ts');
    return await keepRunning(story, { httpPort: o.httpPort, out: o.out, failed: unexpected.length > 0 });
  } finally {
    if (!closed) await story.close();
  }
}

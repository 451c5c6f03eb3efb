#!/usr/bin/env node
// The dockgate command. TypeScript sources are loaded through tsx so that the
// checkout you run is the code you read: no separate build step to forget.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');

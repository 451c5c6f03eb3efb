// Runs a command that listens on 127.0.0.1 only and relays a port on every interface to it, so
// another container can reach it: `dockgate sandbox amazon` binds 127.0.0.1 (it has no --host
// flag), which inside a container nobody else can reach. compose.yaml's `amazon` service:
//   node docker/expose-port.mjs --listen 8910 --to 8911 -- node bin/dockgate.js sandbox amazon --port 8911
// Every connection to 0.0.0.0:<listen> is piped to 127.0.0.1:<to>. SIGTERM / SIGINT go to the
// command; this process exits with the command's exit code (or 1 if it died of a signal).
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

function usage(message) {
  process.stderr.write(`expose-port: ${message}\nusage: node docker/expose-port.mjs --listen PORT --to PORT [--host H] -- COMMAND [ARG...]\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
if (split < 0 || split === argv.length - 1) usage('no command after --');
const options = {};
for (let i = 0; i < split; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  if (!['--listen', '--to', '--host'].includes(flag) || value === undefined || i + 1 >= split) usage(`unknown or incomplete option ${flag}`);
  options[flag.slice(2)] = value;
}
const port = (name) => {
  const n = Number(options[name]);
  if (!Number.isInteger(n) || n < 0 || n > 65535) usage(`--${name} takes a port number (0-65535), not ${JSON.stringify(options[name])}`);
  return n;
};
const listenPort = port('listen');
const targetPort = port('to');
const host = options.host ?? '0.0.0.0';

const relay = createServer((socket) => {
  const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
  // Either side closing or failing (the command not listening yet: ECONNREFUSED) ends both.
  socket.on('error', () => upstream.destroy());
  upstream.on('error', () => socket.destroy());
  socket.pipe(upstream).pipe(socket);
});
relay.on('error', (e) => {
  process.stderr.write(`expose-port: cannot listen on ${host}:${listenPort}: ${e.message}\n`);
  child.kill('SIGTERM');
  process.exitCode = 1;
});
relay.listen(listenPort, host, () => {
  const address = relay.address();
  process.stdout.write(`${JSON.stringify({ msg: 'relay listening', listen: `${address.address}:${address.port}`, to: `127.0.0.1:${targetPort}` })}\n`);
});

const child = spawn(argv[split + 1], argv.slice(split + 2), { stdio: 'inherit' });
child.on('error', (e) => {
  process.stderr.write(`expose-port: cannot run ${argv[split + 1]}: ${e.message}\n`);
  process.exit(1);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => {
  relay.close();
  process.exit(process.exitCode || (code ?? 1));
});

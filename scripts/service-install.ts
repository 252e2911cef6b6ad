import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CommandError } from './lib/run-command';

/**
 * `npm run service:install`: the systemd units of deploy/systemd/ for this checkout, so that Steadfast starts at boot
 * and restarts when it fails: the production engine (PostgreSQL, Temporal Server, Web UI), N workers, or the codec
 * server alone where Temporal runs elsewhere, grouped under steadfast.target. As the user's units by default (no root;
 * `loginctl enable-linger` makes them start at boot), or with `--system` (run with sudo) as system units that run as
 * the invoking user. The engine's data goes to a state directory outside the clone, written to `.env` as
 * STEADFAST_PRODUCTION_STATE so the engine, `backup` and `restore` agree on it. Prints the systemctl steps.
 */
export interface UnitOptions {
  checkout: string;
  node: string;
  /** System units run as this user; user units as their own. */
  user?: string;
  engine: boolean;
  workers: number;
}

const templates = resolve(__dirname, '..', 'deploy', 'systemd');

/** The units, by file name, for this checkout. */
export function renderUnits(options: UnitOptions): Record<string, string> {
  const services = [
    ...(options.engine ? ['steadfast-engine.service'] : ['steadfast-codec.service']),
    ...Array.from({ length: options.workers }, (_, i) => `steadfast-worker@${i + 1}.service`),
  ];
  const fill = (text: string) =>
    text
      .replaceAll('@CHECKOUT@', options.checkout)
      .replaceAll('@NODE@', options.node)
      .replaceAll('@USER_LINE@', options.user ? `User=${options.user}` : '# (the user manager runs it as its user)')
      .replaceAll('@UNITS@', services.join(' '))
      .replaceAll('@WANTED_BY@', options.user ? 'multi-user.target' : 'default.target');
  const wanted = ['steadfast.target', options.engine ? 'steadfast-engine.service' : 'steadfast-codec.service'];
  return Object.fromEntries(
    readdirSync(templates)
      .filter((file) => file === 'steadfast-worker@.service' || wanted.includes(file))
      .map((file) => [file, fill(readFileSync(join(templates, file), 'utf8'))]),
  );
}

/** Sets STEADFAST_PRODUCTION_STATE in `.env` unless it is set there already; says what it did. */
function settle(envFile: string, stateDir: string, owner?: { uid: number; gid: number }): string {
  const text = existsSync(envFile) ? readFileSync(envFile, 'utf8') : '';
  const set = /^STEADFAST_PRODUCTION_STATE=(.*)$/m.exec(text);
  if (set) return `${envFile} keeps STEADFAST_PRODUCTION_STATE=${set[1]}`;
  const line = `${text === '' || text.endsWith('\n') ? '' : '\n'}# The engine's data, outside the clone (npm run service:install).\nSTEADFAST_PRODUCTION_STATE=${stateDir}\n`;
  appendFileSync(envFile, line, { mode: 0o600 });
  if (owner) chownSync(envFile, owner.uid, owner.gid);
  return `${envFile}: STEADFAST_PRODUCTION_STATE=${stateDir}`;
}

function run(): void {
  const { values } = parseArgs({
    options: {
      system: { type: 'boolean', default: false },
      workers: { type: 'string', default: '2' },
      'no-engine': { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      to: { type: 'string' },
    },
  });
  const checkout = process.cwd();
  const manifest = join(checkout, 'package.json');
  if (!existsSync(manifest) || (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name !== 'steadfast') {
    throw new CommandError(`${checkout} is not a Steadfast checkout: run npm run service:install in one`);
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) {
    throw new CommandError(`--workers ${values.workers}: a number of workers from 1 to 16`);
  }
  // Under sudo, the units run as the owner who asked, not as root.
  const sudoUser = process.env.SUDO_USER;
  const owner =
    values.system && sudoUser
      ? { name: sudoUser, uid: Number(process.env.SUDO_UID), gid: Number(process.env.SUDO_GID) }
      : undefined;
  if (values.system && !values.to && process.getuid?.() !== 0) {
    throw new CommandError('--system writes /etc/systemd/system: run it with sudo (or drop --system for user units)');
  }
  const user = values.system ? (owner?.name ?? userInfo().username) : undefined;
  const home = owner ? resolve('/home', owner.name) : homedir();
  const target = values.to ?? (values.system ? '/etc/systemd/system' : join(home, '.config', 'systemd', 'user'));
  const stateHome = values.system ? '/var/lib' : (process.env.XDG_STATE_HOME ?? join(home, '.local', 'state'));
  // StateDirectory=steadfast makes this folder for the engine's unit; the engine keeps PostgreSQL's data inside it.
  const stateDir = resolve(values['state-dir'] ?? join(stateHome, 'steadfast'), 'production');

  const units = renderUnits({ checkout, node: process.execPath, user, engine: !values['no-engine'], workers });
  mkdirSync(target, { recursive: true });
  for (const [file, text] of Object.entries(units)) writeFileSync(join(target, file), text);
  console.log(`Wrote ${Object.keys(units).join(', ')} to ${target}`);
  console.log(settle(join(checkout, '.env'), stateDir, owner));
  const earlier = join(checkout, '.temporal', 'production');
  if (!values['no-engine'] && existsSync(join(earlier, 'postgres')) && !existsSync(join(stateDir, 'postgres'))) {
    console.log(
      `The engine's data is still in the clone: stop npm run server:production, then: mkdir -p ${resolve(stateDir, '..')} && mv ${earlier} ${stateDir}`,
    );
  }
  const systemctl = values.system ? 'sudo systemctl' : 'systemctl --user';
  console.log('Then:');
  console.log(`  ${systemctl} daemon-reload`);
  console.log(`  ${systemctl} enable --now steadfast.target`);
  if (!values.system)
    console.log(`  sudo loginctl enable-linger ${userInfo().username}   # start at boot, not at login`);
  console.log(
    `  ${systemctl} status 'steadfast*'   # and journalctl ${values.system ? '' : '--user '}-u 'steadfast*' -f`,
  );
}

if (require.main === module) {
  try {
    run();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(err instanceof CommandError ? err.exitCode : 1);
  }
}

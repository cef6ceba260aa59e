import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTemporalCli, temporalCliCacheDir } from '../../src/dev/temporal-cli';
import { testLogger } from '../support/config';

describe('findTemporalCli', () => {
  let dir: string;
  const logger = testLogger();

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sis-cli-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function fakeCli(folder: string): Promise<string> {
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, 'temporal');
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o755);
    return file;
  }

  it('keeps built CLIs under XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(temporalCliCacheDir({ XDG_CACHE_HOME: '/c' }), '/c/stripe-intercom-sync/bin');
    assert.match(temporalCliCacheDir({}), /\/\.cache\/stripe-intercom-sync\/bin$/);
  });

  it('prefers TEMPORAL_CLI_PATH, and names it when it is not executable', async () => {
    const explicit = await fakeCli(path.join(dir, 'explicit'));
    const onPath = await fakeCli(path.join(dir, 'path'));
    assert.equal(
      await findTemporalCli({ TEMPORAL_CLI_PATH: explicit }, logger, { PATH: path.dirname(onPath) }),
      explicit,
    );
    await assert.rejects(
      findTemporalCli({ TEMPORAL_CLI_PATH: path.join(dir, 'missing') }, logger, {}),
      /^Error: TEMPORAL_CLI_PATH: .* is not an executable file$/,
    );
  });

  it('then `temporal` on PATH, then the cache dir', async () => {
    const onPath = await fakeCli(path.join(dir, 'path'));
    const cacheHome = path.join(dir, 'cache');
    const cached = await fakeCli(path.join(cacheHome, 'stripe-intercom-sync', 'bin'));
    assert.equal(await findTemporalCli({}, logger, { PATH: path.dirname(onPath), XDG_CACHE_HOME: cacheHome }), onPath);
    assert.equal(await findTemporalCli({}, logger, { PATH: '/nonexistent', XDG_CACHE_HOME: cacheHome }), cached);
  });

  it('without a CLI or Go, says what would work', async () => {
    const env = { PATH: '/nonexistent', GOROOT: '/nonexistent', XDG_CACHE_HOME: path.join(dir, 'empty') };
    await assert.rejects(
      findTemporalCli({}, logger, env),
      /TEMPORAL_ADDRESS.*TEMPORAL_CLI_PATH.*go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/,
    );
  });

  it('builds with Go when nothing else is there, saying what and why, then the elapsed time while it runs', async () => {
    // A stand-in `go` that takes a little while and installs a CLI into GOBIN, as `go install` does.
    const goDir = path.join(dir, 'go', 'bin');
    await mkdir(goDir, { recursive: true });
    await writeFile(
      path.join(goDir, 'go'),
      '#!/bin/sh\nsleep 0.5\nprintf "#!/bin/sh\\n" > "$GOBIN/temporal"\nchmod +x "$GOBIN/temporal"\n',
    );
    await chmod(path.join(goDir, 'go'), 0o755);
    const lines: string[] = [];
    const env = { PATH: `${goDir}:/usr/bin:/bin`, XDG_CACHE_HOME: path.join(dir, 'cache') };
    const cli = await findTemporalCli({}, logger, env, { say: (line) => lines.push(line), progressEveryMs: 100 });
    assert.equal(cli, path.join(dir, 'cache', 'stripe-intercom-sync', 'bin', 'temporal'));
    assert.match(lines[0] ?? '', /^building the Temporal CLI \(go install .*\): it runs the local Temporal server/);
    assert.ok(
      lines.some((line) => /^still building the Temporal CLI: \d+ s so far$/.test(line)),
      lines.join('\n'),
    );
    assert.match(lines.at(-1) ?? '', /^built the Temporal CLI in \d+ s: /);
  });
});

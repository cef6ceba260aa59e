import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import { createRouter } from '../router';

const ASSETS: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
};

/** The pages' stylesheet and script, read once at start and served from here (no CDN). */
export function createAssetsRouter(): Router {
  const files = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(path.join(__dirname, '..', 'pages', 'assets', name)) },
    ]),
  );
  const router = createRouter();
  router.get('/assets/:name', (ctx) => {
    const file = files.get(ctx.params.name ?? '');
    if (!file) return;
    ctx.type = file.type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = file.body;
  });
  return router;
}

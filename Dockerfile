# The service image: the API and the worker run from source with tsx (the same code path as `npm start`).
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production
# The heap flags `npm start` runs with (README "Memory"): V8 collects at 1.4x the live heap instead of letting garbage
# reach 4x it. Set NODE_OPTIONS in the deployment to change them.
ENV NODE_OPTIONS="--max-old-space-size=512 --max-semi-space-size=8"

# Dependencies first, so editing the source does not reinstall them. tsx is a runtime dependency.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

USER node
EXPOSE 3000
# node itself as PID 1 (not npx/npm in front): `docker stop`'s SIGTERM reaches our handler, which drains and exits 0.
CMD ["node", "--import", "tsx", "src/api/server.ts"]

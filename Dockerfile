# The service image, in two stages on Node 24 (the active LTS line). The build stage installs every dependency and runs
# `npm run build`: plain JavaScript in dist/ and the workflow code bundled once (dist/workflow-bundle.js). The runtime
# stage holds dist/ and a production install only: no tsx, no embedded PostgreSQL, no webpack run at worker start.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Dependencies first, so editing the source does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY bin/service-node bin/service-node
COPY --from=build /app/dist dist

USER node
EXPOSE 3000
# bin/service-node sets the runtime's memory settings (docs/deployment.md, memory) and execs node, so node itself is PID 1 (not
# npx/npm in front): `docker stop`'s SIGTERM reaches our handler, which drains and exits 0. The worker runs the same
# image with `dist/worker.js`.
CMD ["sh", "bin/service-node", "dist/api/server.js"]

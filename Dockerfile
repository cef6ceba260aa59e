# The service image: the API and the worker run from source with tsx (the same code path as `npm start`).
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so editing the source does not reinstall them. tsx is a runtime dependency.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

USER node
EXPOSE 3000
# bin/service-node sets the runtime's memory settings (README "Memory") and execs node, so node itself is PID 1 (not
# npx/npm in front): `docker stop`'s SIGTERM reaches our handler, which drains and exits 0.
CMD ["sh", "bin/service-node", "src/api/server.ts"]

# The photo-album web app: built by Vite, served by nginx on :5173 (the only origin the dev realm's
# photoz-web client accepts). The API and Keycloak addresses are baked in at build time.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY apps/web apps/web
COPY libs/uma-client libs/uma-client
COPY libs/api-contract libs/api-contract
ARG VITE_ALBUM_API=http://localhost:3000
ARG VITE_PERMISSION_API=http://localhost:3001
ARG VITE_KEYCLOAK_URL=http://localhost:8080
ENV VITE_ALBUM_API=${VITE_ALBUM_API} VITE_PERMISSION_API=${VITE_PERMISSION_API} \
    VITE_KEYCLOAK_URL=${VITE_KEYCLOAK_URL}
RUN npm run web:build
# The security headers (CSP, frame protection, nosniff, referrer policy), from the same definition
# as the dev server's (apps/web/security-headers.ts), for the addresses above.
RUN node apps/web/nginx-config.ts > /app/nginx.conf

FROM nginx:1.27-alpine
COPY --from=build /app/dist/web /usr/share/nginx/html
COPY --from=build /app/nginx.conf /etc/nginx/conf.d/default.conf
EXPOSE 5173

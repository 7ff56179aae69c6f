# knm built from this repository; `knm start` against COUCH_URL (see docker-compose.yml).
FROM node:20
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build
ENV NODE_ENV=production
EXPOSE 9184
CMD ["node", "dist/src/cli/main.js", "start"]

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3000);
await app.listen(port, '127.0.0.1');
const url = `http://127.0.0.1:${port}`;
new Logger('Example').log(
  `Listening on ${url}. Try: curl ${url}/products/1 (twice: the second is cached), curl ${url}/products/stats, ` +
    `curl -X PATCH -H 'content-type: application/json' -d '{"price":11}' ${url}/products/1`,
);
